DROP TRIGGER audit_events_no_update;
DROP TABLE audit_chain_head;
DROP INDEX audit_events_seq;
ALTER TABLE audit_events DROP COLUMN redacted_at;
ALTER TABLE audit_events DROP COLUMN details_sha256;
ALTER TABLE audit_events DROP COLUMN hash;
ALTER TABLE audit_events DROP COLUMN prev_hash;
ALTER TABLE audit_events DROP COLUMN seq;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
