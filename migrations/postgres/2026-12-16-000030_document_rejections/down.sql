ALTER TABLE identity_documents DROP COLUMN rejected_at;
ALTER TABLE identity_documents DROP COLUMN rejected_by;
ALTER TABLE identity_documents DROP COLUMN rejected_reason;
