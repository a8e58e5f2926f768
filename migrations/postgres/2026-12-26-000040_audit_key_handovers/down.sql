CREATE OR REPLACE FUNCTION audit_log_state_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.chain_size = OLD.chain_size
       AND (OLD.verifier_key IS NULL
            OR (NEW.verifier_key = OLD.verifier_key AND NEW.origin = OLD.origin
                AND NEW.key_recorded_at = OLD.key_recorded_at))
       AND (OLD.closures_carried_at IS NULL OR NEW.closures_carried_at = OLD.closures_carried_at) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log_state: the key is recorded once';
END;
$$;
DROP TABLE audit_key_handovers;
DROP FUNCTION audit_key_handovers_guard();
