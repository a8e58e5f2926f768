-- The audit log made tamper-evident (postgres; keep in step with the other backend's 2026-11-30-000008_audit_chain).
-- Each event gets the next sequence number, the previous event's hash and its own: SHA-256 over its
-- canonical form and the previous hash. The head row holds the last number and hash; updating it in the
-- appending transaction serialises appends, so the chain never forks. Events from before this migration
-- have no sequence number and are reported as before the chain.
ALTER TABLE audit_events ADD COLUMN seq BIGINT;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_events_seq ON audit_events (seq);
CREATE TABLE audit_chain_head (
    id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    seq  BIGINT  NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_chain_head (id, seq, hash)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
