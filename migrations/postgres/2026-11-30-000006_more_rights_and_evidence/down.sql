-- Undoes up.sql (postgres). Requests of the two new types must be gone first.
DROP TABLE identity_evidence;
DROP INDEX requests_filing;
ALTER TABLE requests DROP COLUMN filing_id;
ALTER TABLE requests DROP CONSTRAINT requests_request_type_check;
ALTER TABLE requests ADD CONSTRAINT requests_request_type_check CHECK (request_type IN ('access', 'correction', 'deletion', 'stop_of_use', 'purpose_notification', 'restriction', 'objection', 'portability', 'third_party_records'));
