-- Two more rights (sqlite; keep in step with ../../postgres/2026-11-30-000006_more_rights_and_evidence):
-- withdrawal of consent (GDPR Art. 7(3), PIPEDA cl. 4.3.8) and the CCPA right to know the categories
-- (§1798.110), answered without specific pieces; and filings: the requests one submission asked for
-- (several rights at once) share a filing id, so that one confirmation link confirms them all. SQLite
-- cannot alter a CHECK, so requests is rebuilt.
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
    request_type          TEXT      NOT NULL CHECK (request_type IN ('access', 'correction', 'deletion', 'stop_of_use', 'purpose_notification', 'restriction', 'objection', 'portability', 'third_party_records', 'withdraw_consent', 'know_categories')),
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
    -- The requests filed together in one submission share this random id; NULL when filed alone.
    filing_id             TEXT,
    FOREIGN KEY (workflow_id, workflow_version) REFERENCES workflow_definitions (workflow_id, version)
);
INSERT INTO requests_rebuilt (id, receipt_number, tracking_token_sha256, workflow_id, workflow_version, state, version, request_type, jurisdiction, channel, language, subject_name, subject_email, message, facts, received_at, updated_at, closed_at)
    SELECT id, receipt_number, tracking_token_sha256, workflow_id, workflow_version, state, version, request_type, jurisdiction, channel, language, subject_name, subject_email, message, facts, received_at, updated_at, closed_at FROM requests;
DROP TABLE requests;
ALTER TABLE requests_rebuilt RENAME TO requests;
CREATE INDEX requests_received_at ON requests (received_at, id);
CREATE INDEX requests_open ON requests (closed_at, received_at, id);
CREATE INDEX requests_state ON requests (state);
CREATE INDEX requests_filing ON requests (filing_id);

-- What a requester sends to prove who they are, or that they may act for someone: data points (sealed
-- JSON), an identity document, or an agent's signed authorisation. Always encrypted (XChaCha20-Poly1305
-- under the document key); identity evidence is emptied right after the identity decision, an
-- authorisation when the request closes. The row stays as the record that it existed.
CREATE TABLE identity_evidence (
    id          TEXT      NOT NULL PRIMARY KEY,
    request_id  TEXT      NOT NULL REFERENCES requests (id),
    kind        TEXT      NOT NULL CHECK (kind IN ('data_points', 'identity_document', 'agent_authorisation')),
    media_type  TEXT      NOT NULL CHECK (media_type IN ('application/json', 'application/pdf', 'image/jpeg', 'image/png')),
    size_bytes  BIGINT    NOT NULL,
    nonce       BLOB      NOT NULL,
    ciphertext  BLOB      NOT NULL,
    -- The name the requester signed a declaration under penalty of perjury with (CCPA specific pieces).
    declared_by TEXT,
    created_at  TIMESTAMP NOT NULL,
    purged_at   TIMESTAMP
);
CREATE INDEX identity_evidence_request ON identity_evidence (request_id);
COMMIT;
PRAGMA foreign_keys = ON;
