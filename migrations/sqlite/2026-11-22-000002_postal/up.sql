-- Requests by post (SQLite). Keep in step with ../../postgres/2026-11-22-000002_postal/up.sql.

-- What the officer read off the envelope and the form. Requests registered from one envelope share an
-- envelope_id (one request per request type).
CREATE TABLE postal_details (
    request_id      TEXT      NOT NULL PRIMARY KEY REFERENCES requests (id),
    envelope_id     TEXT      NOT NULL,
    received_on     TEXT      NOT NULL,
    mail_class      TEXT      NOT NULL CHECK (mail_class IN ('simple_registered', 'registered_with_delivery_certificate', 'ordinary', 'fax', 'email', 'telephone', 'visit')),
    tracking_number TEXT,
    -- The date written on the form: the one-month document rule counts back from it.
    request_date    TEXT,
    requester_kind  TEXT      NOT NULL CHECK (requester_kind IN ('self', 'agent', 'legal_agent')),
    agent_name      TEXT,
    -- JSON array of the services (サービス) the request covers; the fee is charged per service.
    services        TEXT      NOT NULL,
    -- Where replies go by registered mail.
    postal_address  TEXT      NOT NULL,
    created_by      TEXT      NOT NULL REFERENCES staff_users (id),
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX postal_details_envelope ON postal_details (envelope_id);

-- Scans, identity documents and replies, encrypted at rest (XChaCha20-Poly1305 under the document key).
-- A purge empties nonce and ciphertext and sets purged_at; the row stays as the record that it existed.
CREATE TABLE stored_files (
    id          TEXT      NOT NULL PRIMARY KEY,
    request_id  TEXT      NOT NULL REFERENCES requests (id),
    purpose     TEXT      NOT NULL CHECK (purpose IN ('scan', 'identity_document', 'reply')),
    media_type  TEXT      NOT NULL CHECK (media_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size_bytes  BIGINT    NOT NULL,
    nonce       BLOB      NOT NULL,
    ciphertext  BLOB      NOT NULL,
    created_by  TEXT      NOT NULL REFERENCES staff_users (id),
    created_at  TIMESTAMP NOT NULL,
    purged_at   TIMESTAMP
);
CREATE INDEX stored_files_request ON stored_files (request_id);

-- Identity documents as the officer recorded them from the envelope (kind, whose, original or copy, the
-- date printed on them), optionally with the scan.
CREATE TABLE identity_documents (
    id          TEXT      NOT NULL PRIMARY KEY,
    request_id  TEXT      NOT NULL REFERENCES requests (id),
    kind        TEXT      NOT NULL,
    holder      TEXT      NOT NULL CHECK (holder IN ('principal', 'agent')),
    original    BOOLEAN   NOT NULL,
    created_on  TEXT,
    file_id     TEXT      REFERENCES stored_files (id),
    recorded_by TEXT      NOT NULL REFERENCES staff_users (id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX identity_documents_request ON identity_documents (request_id);
