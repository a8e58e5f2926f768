#!/usr/bin/python3
"""The sink's ceiling for bench/notices: CONNECTIONS asyncio clients on 127.0.0.1:PORT sending COUNT
messages of a notice's size (6 KB) in all, each over a connection kept open, as a pooled mailer does.
Prints messages per second.

    bench/smtp-blast.py PORT CONNECTIONS COUNT
"""
import asyncio
import sys
import time

BODY = b"".join(b"Line %05d of a notice's text, about as long as a line of kaiji's letters.\r\n" % i
                for i in range(80))


async def reply(reader):
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("closed")
        if line[3:4] != b"-":
            return line


async def client(port, jobs):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await reply(reader)
    writer.write(b"EHLO blast\r\n")
    await reply(reader)
    while True:
        try:
            n = jobs.get_nowait()
        except asyncio.QueueEmpty:
            break
        writer.write(b"MAIL FROM:<no-reply@localhost>\r\n")
        await reply(reader)
        writer.write(b"RCPT TO:<p%d@example.invalid>\r\n" % n)
        await reply(reader)
        writer.write(b"DATA\r\n")
        await reply(reader)
        writer.write(b"Message-ID: <blast-%d@localhost>\r\nSubject: blast\r\n\r\n" % n + BODY + b".\r\n")
        await reply(reader)
    writer.write(b"QUIT\r\n")
    await reply(reader)
    writer.close()


async def main():
    port, connections, count = map(int, sys.argv[1:4])
    jobs = asyncio.Queue()
    for n in range(count):
        jobs.put_nowait(n)
    t0 = time.monotonic()
    await asyncio.gather(*(client(port, jobs) for _ in range(connections)))
    print(round(count / (time.monotonic() - t0)))


asyncio.run(main())
