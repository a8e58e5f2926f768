CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
DROP TABLE audit_chain_head;
DROP INDEX audit_events_seq;
ALTER TABLE audit_events DROP COLUMN redacted_at;
ALTER TABLE audit_events DROP COLUMN details_sha256;
ALTER TABLE audit_events DROP COLUMN hash;
ALTER TABLE audit_events DROP COLUMN prev_hash;
ALTER TABLE audit_events DROP COLUMN seq;
