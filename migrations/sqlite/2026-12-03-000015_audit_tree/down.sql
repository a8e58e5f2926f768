DROP TRIGGER audit_log_state_no_delete;
DROP TRIGGER audit_log_state_guard;
DROP TABLE audit_log_state;
DROP TABLE audit_checkpoints;
DROP TABLE audit_tiles;
CREATE TABLE audit_chain_head (
    id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    seq  BIGINT  NOT NULL,
    hash TEXT    NOT NULL
);
-- Only the chain's events can go back to the chain; events integrated since keep no link.
INSERT INTO audit_chain_head (id, seq, hash)
    SELECT 1, COALESCE(MAX(seq), 0),
           COALESCE((SELECT hash FROM audit_events WHERE prev_hash IS NOT NULL ORDER BY seq DESC LIMIT 1),
                    '0000000000000000000000000000000000000000000000000000000000000000')
    FROM audit_events WHERE prev_hash IS NOT NULL;
DROP INDEX audit_events_pending;
DROP TRIGGER audit_events_no_update;
ALTER TABLE audit_events DROP COLUMN integrated_at;
ALTER TABLE audit_events DROP COLUMN committed_at;
ALTER TABLE audit_events DROP COLUMN details_salt;
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
