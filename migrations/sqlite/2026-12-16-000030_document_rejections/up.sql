-- An officer may reject a recorded identity document (illegible, another person's, not what it claims)
-- (keep in step with ../../postgres/2026-12-16-000030_document_rejections):
-- it keeps its row and its reason; the checklist no longer counts it, so a document sent in its place
-- supersedes it, and the request for documents says why it was not accepted.
ALTER TABLE identity_documents ADD COLUMN rejected_reason TEXT;
ALTER TABLE identity_documents ADD COLUMN rejected_by TEXT;
ALTER TABLE identity_documents ADD COLUMN rejected_at TIMESTAMP;
