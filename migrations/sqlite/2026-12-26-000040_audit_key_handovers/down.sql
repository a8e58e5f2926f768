DROP TRIGGER audit_log_state_guard;
CREATE TRIGGER audit_log_state_guard BEFORE UPDATE ON audit_log_state
WHEN NOT (NEW.id = OLD.id AND NEW.chain_size = OLD.chain_size
      AND (OLD.verifier_key IS NULL
           OR (NEW.verifier_key = OLD.verifier_key AND NEW.origin = OLD.origin
               AND NEW.key_recorded_at = OLD.key_recorded_at))
      AND (OLD.closures_carried_at IS NULL OR NEW.closures_carried_at = OLD.closures_carried_at))
BEGIN
    SELECT RAISE(ABORT, 'audit_log_state: the key is recorded once');
END;
DROP TABLE audit_key_handovers;
