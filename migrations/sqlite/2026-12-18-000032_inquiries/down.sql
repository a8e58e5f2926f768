PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE notices_rebuilt (
    id         TEXT      NOT NULL PRIMARY KEY,
    request_id TEXT      NOT NULL REFERENCES requests (id),
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
    recipient_staff_id TEXT REFERENCES staff_users (id)
);
INSERT INTO notices_rebuilt (id, request_id, kind, channel, language, status, created_at, payload, attempts, next_attempt_at, claimed_by, claimed_until, sent_at, last_error, recipient_staff_id)
    SELECT id, request_id, kind, channel, language, status, created_at, payload, attempts, next_attempt_at, claimed_by, claimed_until, sent_at, last_error, recipient_staff_id FROM notices WHERE request_id IS NOT NULL;
DROP TABLE notices;
ALTER TABLE notices_rebuilt RENAME TO notices;
CREATE INDEX notices_request ON notices (request_id, created_at);
CREATE INDEX notices_status ON notices (status, created_at);
CREATE INDEX notices_due ON notices (status, channel, next_attempt_at);
DROP TABLE inquiries;
COMMIT;
PRAGMA foreign_keys = ON;
