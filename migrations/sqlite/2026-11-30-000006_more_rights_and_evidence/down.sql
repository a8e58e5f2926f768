-- Undoes up.sql (sqlite). Requests of the two new types must be gone first.
DROP TABLE identity_evidence;
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE requests_rebuilt (
    id                    TEXT      NOT NULL PRIMARY KEY,
    receipt_number        TEXT      NOT NULL UNIQUE,
    tracking_token_sha256 TEXT      NOT NULL UNIQUE,
    workflow_id           TEXT      NOT NULL,
    workflow_version      BIGINT    NOT NULL,
    state                 TEXT      NOT NULL,
    version               BIGINT    NOT NULL CHECK (version >= 1),
    request_type          TEXT      NOT NULL CHECK (request_type IN ('access', 'correction', 'deletion', 'stop_of_use', 'purpose_notification', 'restriction', 'objection', 'portability', 'third_party_records')),
    jurisdiction          TEXT      NOT NULL CHECK (jurisdiction IN ('japan', 'eea', 'california', 'canada', 'other')),
    channel               TEXT      NOT NULL CHECK (channel IN ('web', 'api', 'postal')),
    language              TEXT      NOT NULL CHECK (language IN ('ja', 'en')),
    subject_name          TEXT      NOT NULL,
    -- Postal requests may come without an email address; their notices become letters.
    subject_email         TEXT,
    message               TEXT      NOT NULL,
    -- What is known about the request (a JSON array of fact names, e.g. ["identity_verified"]).
    facts                 TEXT      NOT NULL,
    received_at           TIMESTAMP NOT NULL,
    updated_at            TIMESTAMP NOT NULL,
    -- Set when the request reaches a terminal state of its workflow; the queue shows open requests.
    closed_at             TIMESTAMP,
    FOREIGN KEY (workflow_id, workflow_version) REFERENCES workflow_definitions (workflow_id, version)
);
INSERT INTO requests_rebuilt (id, receipt_number, tracking_token_sha256, workflow_id, workflow_version, state, version, request_type, jurisdiction, channel, language, subject_name, subject_email, message, facts, received_at, updated_at, closed_at)
    SELECT id, receipt_number, tracking_token_sha256, workflow_id, workflow_version, state, version, request_type, jurisdiction, channel, language, subject_name, subject_email, message, facts, received_at, updated_at, closed_at FROM requests;
DROP TABLE requests;
ALTER TABLE requests_rebuilt RENAME TO requests;
CREATE INDEX requests_received_at ON requests (received_at, id);
CREATE INDEX requests_open ON requests (closed_at, received_at, id);
CREATE INDEX requests_state ON requests (state);
COMMIT;
PRAGMA foreign_keys = ON;
