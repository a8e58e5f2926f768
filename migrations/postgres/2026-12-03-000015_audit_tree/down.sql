DROP TRIGGER audit_log_state_guard ON audit_log_state;
DROP FUNCTION audit_log_state_guard();
DROP TABLE audit_log_state;
DROP TABLE audit_checkpoints;
DROP FUNCTION audit_checkpoints_append_only();
DROP TABLE audit_tiles;
DROP FUNCTION audit_tiles_grow_only();
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
ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete;
ALTER TABLE audit_events DROP COLUMN integrated_at;
ALTER TABLE audit_events DROP COLUMN committed_at;
ALTER TABLE audit_events DROP COLUMN details_salt;
ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_or_delete;
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL
       AND OLD.details_sha256 IS NOT NULL
       AND NEW.id = OLD.id AND NEW.occurred_at = OLD.occurred_at AND NEW.action = OLD.action
       AND NEW.actor_kind = OLD.actor_kind
       AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
       AND NEW.request_id IS NOT DISTINCT FROM OLD.request_id
       AND NEW.from_state IS NOT DISTINCT FROM OLD.from_state
       AND NEW.to_state IS NOT DISTINCT FROM OLD.to_state
       AND NEW.seq IS NOT DISTINCT FROM OLD.seq
       AND NEW.prev_hash IS NOT DISTINCT FROM OLD.prev_hash
       AND NEW.hash IS NOT DISTINCT FROM OLD.hash
       AND NEW.details_sha256 IS NOT DISTINCT FROM OLD.details_sha256 THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
