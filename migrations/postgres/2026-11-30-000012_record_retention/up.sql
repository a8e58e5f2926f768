-- Record retention (postgres; keep in step with the other backend's 2026-11-30-000012_record_retention): when
-- KAIJI_RECORD_RETENTION_MONTHS have passed since a request closed, its personal data is erased (names,
-- addresses, messages, notes, notice contents, recorded changes; its audit events' details are redacted)
-- and the request keeps only what reports and the audit chain need.
ALTER TABLE requests ADD COLUMN personal_data_purged_at TIMESTAMP;
