-- Two more rights (postgres; keep in step with ../../sqlite/2026-11-30-000006_more_rights_and_evidence):
-- withdrawal of consent (GDPR Art. 7(3), PIPEDA cl. 4.3.8) and the CCPA right to know the categories
-- (§1798.110), answered without specific pieces; and filings: the requests one submission asked for
-- (several rights at once) share a filing id, so that one confirmation link confirms them all.
ALTER TABLE requests DROP CONSTRAINT requests_request_type_check;
-- The requests filed together in one submission share this random id; NULL when filed alone.
ALTER TABLE requests ADD COLUMN filing_id TEXT;
CREATE INDEX requests_filing ON requests (filing_id);
ALTER TABLE requests ADD CONSTRAINT requests_request_type_check CHECK (request_type IN ('access', 'correction', 'deletion', 'stop_of_use', 'purpose_notification', 'restriction', 'objection', 'portability', 'third_party_records', 'withdraw_consent', 'know_categories'));

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
    nonce       BYTEA      NOT NULL,
    ciphertext  BYTEA      NOT NULL,
    -- The name the requester signed a declaration under penalty of perjury with (CCPA specific pieces).
    declared_by TEXT,
    created_at  TIMESTAMP NOT NULL,
    purged_at   TIMESTAMP
);
CREATE INDEX identity_evidence_request ON identity_evidence (request_id);
