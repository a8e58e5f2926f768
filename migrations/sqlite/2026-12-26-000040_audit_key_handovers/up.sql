-- Where the log's verifier key changed, at the checkpoint of this size. A rotation: that checkpoint is signed
-- by both the previous key and the new one, checkpoints before it verify under the previous key and those
-- after it under the new one (an auditor holding the previous verifier key checks the co-signed checkpoint
-- and carries on with the new key). A restore: the log goes on under a new name (origin) from a backup
-- whose last checkpoint had backup_size events; what the previous name signed past it was lost
-- (sqlite; keep in step with ../../postgres/2026-12-26-000040_audit_key_handovers).
CREATE TABLE audit_key_handovers (
    size                   BIGINT    NOT NULL PRIMARY KEY,
    previous_verifier_key  TEXT      NOT NULL,
    verifier_key           TEXT      NOT NULL,
    kind                   TEXT      NOT NULL CHECK (kind IN ('rotation', 'restore')),
    backup_size            BIGINT    CHECK ((kind = 'restore') = (backup_size IS NOT NULL)),
    handed_over_at         TIMESTAMP NOT NULL
);

-- A handover is recorded at the newest checkpoint, from the log's key, and never changed.
CREATE TRIGGER audit_key_handovers_at_the_head BEFORE INSERT ON audit_key_handovers
WHEN NOT (NEW.size = (SELECT MAX(size) FROM audit_checkpoints)
      AND NEW.previous_verifier_key = (SELECT verifier_key FROM audit_log_state WHERE id = 1)
      AND NEW.verifier_key <> NEW.previous_verifier_key)
BEGIN
    SELECT RAISE(ABORT, 'audit_key_handovers: only at the newest checkpoint, from the log''s key');
END;
CREATE TRIGGER audit_key_handovers_no_update BEFORE UPDATE ON audit_key_handovers
BEGIN
    SELECT RAISE(ABORT, 'audit_key_handovers is append-only');
END;
CREATE TRIGGER audit_key_handovers_no_delete BEFORE DELETE ON audit_key_handovers
BEGIN
    SELECT RAISE(ABORT, 'audit_key_handovers is append-only');
END;

-- The key is recorded once, or changed by a handover recorded at the newest checkpoint (the name only by a
-- restore's); the chain's size never changes.
DROP TRIGGER audit_log_state_guard;
CREATE TRIGGER audit_log_state_guard BEFORE UPDATE ON audit_log_state
WHEN NOT (NEW.id = OLD.id AND NEW.chain_size = OLD.chain_size
      AND (OLD.verifier_key IS NULL
           OR (NEW.verifier_key = OLD.verifier_key AND NEW.origin = OLD.origin
               AND NEW.key_recorded_at = OLD.key_recorded_at)
           OR EXISTS (
                 SELECT 1 FROM audit_key_handovers h
                 WHERE h.previous_verifier_key = OLD.verifier_key
                   AND h.verifier_key = NEW.verifier_key
                   AND (h.kind = 'restore' OR NEW.origin = OLD.origin)
                   AND h.size = (SELECT MAX(size) FROM audit_checkpoints)))
      AND (OLD.closures_carried_at IS NULL OR NEW.closures_carried_at = OLD.closures_carried_at))
BEGIN
    SELECT RAISE(ABORT, 'audit_log_state: the key is recorded once');
END;
