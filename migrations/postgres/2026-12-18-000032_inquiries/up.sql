-- Inquiries and complaints (postgres; keep in step with ../../sqlite/2026-12-18-000032_inquiries): a matter
-- of the desk's own, not a request under one law; recorded, acknowledged and answered, with the dates the
-- desk (seeds/inquiries.toml) or the person's law sets. Their notices go through the one outbox, so
-- `notices` now belongs to a request or to an inquiry (exactly one).
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
ALTER TABLE notices ALTER COLUMN request_id DROP NOT NULL;
ALTER TABLE notices ADD COLUMN inquiry_id TEXT REFERENCES inquiries (id);
ALTER TABLE notices ADD CONSTRAINT notices_one_subject CHECK ((request_id IS NULL) <> (inquiry_id IS NULL));
CREATE INDEX notices_inquiry ON notices (inquiry_id, created_at);
