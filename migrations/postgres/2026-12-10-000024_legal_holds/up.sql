-- Legal holds (postgres; keep in step with ../../sqlite/2026-12-10-000024_legal_holds): while a complaint,
-- appeal or lawsuit about a request is pending (PIPEDA s. 8(8), VCDPA appeals), an officer holds it, and
-- the erasures that follow a request's close (identity documents, exports, answer packages, the record
-- itself) skip it until the hold is lifted. Both are audited with their reason.
ALTER TABLE requests ADD COLUMN legal_hold_since TIMESTAMP;
ALTER TABLE requests ADD COLUMN legal_hold_reason TEXT;
