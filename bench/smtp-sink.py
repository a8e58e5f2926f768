#!/usr/bin/python3
"""A counting SMTP sink for bench/notices (aiosmtpd, Debian's python3-aiosmtpd): accepts every message
on 127.0.0.1:PORT and every 0.2 s writes to STATUS what it has seen: messages in all, distinct
Message-IDs, and how many arrived more than once (a notice sent twice keeps its Message-ID).

    bench/smtp-sink.py PORT STATUS
"""
import json
import os
import sys
import time

from aiosmtpd.controller import Controller


class Counter:
    def __init__(self):
        self.total = 0
        self.ids = set()
        self.doubled = 0
        self.first = None
        self.last = None

    async def handle_DATA(self, server, session, envelope):
        head = envelope.original_content.split(b"\r\n\r\n", 1)[0]
        mid = b""
        for line in head.split(b"\r\n"):
            if line[:11].lower() == b"message-id:":
                mid = line[11:].strip()
                break
        now = time.monotonic()
        self.first = self.first or now
        self.last = now
        self.total += 1
        if mid in self.ids:
            self.doubled += 1
        else:
            self.ids.add(mid)
        return "250 OK"


def main():
    port, status = int(sys.argv[1]), sys.argv[2]
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port, decode_data=False)
    controller.start()
    try:
        while True:
            span = (counter.last - counter.first) if counter.first else 0.0
            tmp = status + ".tmp"
            with open(tmp, "w") as f:
                json.dump({"total": counter.total, "distinct": len(counter.ids),
                           "doubled": counter.doubled, "span_seconds": span}, f)
            os.replace(tmp, status)
            time.sleep(0.2)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
