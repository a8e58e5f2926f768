-- Inquiries and complaints (sqlite; keep in step with ../../postgres/2026-12-18-000032_inquiries): a matter
-- of the desk's own, not a request under one law; recorded, acknowledged and answered, with the dates the
-- desk (seeds/inquiries.toml) or the person's law sets. Their notices go through the one outbox, so
-- `notices` now belongs to a request or to an inquiry (exactly one). SQLite cannot relax NOT NULL, so
-- notices is rebuilt with its indexes; no row changes.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE inquiries (
    id                  TEXT      NOT NULL PRIMARY KEY,
    reference           TEXT      NOT NULL UNIQUE,
    kind                TEXT      NOT NULL,
    place               TEXT      NOT NULL,
    language            TEXT      NOT NULL,
    channel             TEXT      NOT NULL CHECK (channel IN ('web', 'postal', 'email', 'phone', 'visit')),
    name                TEXT      NOT NULL,
    email               TEXT,
    postal_address      TEXT,
    subject             TEXT      NOT NULL,
    body                TEXT      NOT NULL,
    about               TEXT,
    received_on         TEXT      NOT NULL,
    received_at         TIMESTAMP NOT NULL,
    recorded_by         TEXT,
    acknowledge_due     TEXT      NOT NULL,
    law_acknowledge_due TEXT,
    answer_due          TEXT      NOT NULL,
    acknowledged_at     TIMESTAMP,
    acknowledged_by     TEXT,
    acknowledged_how    TEXT      CHECK (acknowledged_how IN ('email', 'letter', 'in_person', 'with_answer')),
    answered_at         TIMESTAMP,
    answered_by         TEXT,
    answer              TEXT,
    erased_at           TIMESTAMP
);
CREATE INDEX inquiries_open ON inquiries (answered_at, received_on);
CREATE TABLE notices_rebuilt (
    id         TEXT      NOT NULL PRIMARY KEY,
    request_id TEXT      REFERENCES requests (id),
    inquiry_id TEXT      REFERENCES inquiries (id),
    kind       TEXT      NOT NULL,
    channel    TEXT      NOT NULL CHECK (channel IN ('email', 'letter')),
    language   TEXT      NOT NULL,
    status     TEXT      NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    created_at TIMESTAMP NOT NULL,
    payload    TEXT      NOT NULL DEFAULT '{}',
    attempts   BIGINT    NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP,
    claimed_by TEXT,
    claimed_until TIMESTAMP,
    sent_at    TIMESTAMP,
    last_error TEXT,
    recipient_staff_id TEXT REFERENCES staff_users (id),
    CHECK ((request_id IS NULL) <> (inquiry_id IS NULL))
);
INSERT INTO notices_rebuilt (id, request_id, kind, channel, language, status, created_at, payload, attempts, next_attempt_at, claimed_by, claimed_until, sent_at, last_error, recipient_staff_id)
    SELECT id, request_id, kind, channel, language, status, created_at, payload, attempts, next_attempt_at, claimed_by, claimed_until, sent_at, last_error, recipient_staff_id FROM notices;
DROP TABLE notices;
ALTER TABLE notices_rebuilt RENAME TO notices;
CREATE INDEX notices_request ON notices (request_id, created_at);
CREATE INDEX notices_inquiry ON notices (inquiry_id, created_at);
CREATE INDEX notices_status ON notices (status, created_at);
CREATE INDEX notices_due ON notices (status, channel, next_attempt_at);
COMMIT;
PRAGMA foreign_keys = ON;
