-- The audit log made tamper-evident (sqlite; keep in step with the other backend's 2026-11-30-000008_audit_chain).
-- Each event gets the next sequence number, the previous event's hash and its own: SHA-256 over its
-- canonical form (which covers the details through their own SHA-256) and the previous hash. When a
-- record's retention ends its details may be redacted (redacted_at set, nothing else changed): the
-- digest stays, so the chain still verifies; the database allows that one update and no other. The head row holds the last number and hash; updating it in the
-- appending transaction serialises appends, so the chain never forks. Events from before this migration
-- have no sequence number and are reported as before the chain.
ALTER TABLE audit_events ADD COLUMN seq BIGINT;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;
ALTER TABLE audit_events ADD COLUMN details_sha256 TEXT;
ALTER TABLE audit_events ADD COLUMN redacted_at TIMESTAMP;
CREATE UNIQUE INDEX audit_events_seq ON audit_events (seq);
CREATE TABLE audit_chain_head (
    id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    seq  BIGINT  NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_chain_head (id, seq, hash)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

DROP TRIGGER audit_events_no_update;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
WHEN NOT (OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL
      AND NEW.id = OLD.id AND NEW.occurred_at = OLD.occurred_at AND NEW.action = OLD.action
      AND NEW.actor_kind = OLD.actor_kind AND NEW.actor_id IS OLD.actor_id
      AND NEW.request_id IS OLD.request_id AND NEW.from_state IS OLD.from_state
      AND NEW.to_state IS OLD.to_state AND NEW.seq IS OLD.seq AND NEW.prev_hash IS OLD.prev_hash
      AND NEW.hash IS OLD.hash AND NEW.details_sha256 IS OLD.details_sha256
      AND OLD.details_sha256 IS NOT NULL)
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
