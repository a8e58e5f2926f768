-- The key set the instances share, by kind (session, document, audit, assertion): each key's id (an HMAC
-- of a fixed text under the key, which says nothing of the key) and, for the audit key, its public half.
-- An instance whose key differs from a kind's active one refuses to start
-- (postgres; keep in step with ../../sqlite/2026-12-24-000038_service_keys).
CREATE TABLE service_keys (
    kind         TEXT      NOT NULL CHECK (kind IN ('session', 'document', 'audit', 'assertion')),
    key_id       TEXT      NOT NULL,
    public_half  TEXT,
    status       TEXT      NOT NULL CHECK (status IN ('active', 'verify_only', 'retired')),
    added_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, key_id)
);
