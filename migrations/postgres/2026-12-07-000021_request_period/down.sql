DROP INDEX requests_subject_email_lower;
ALTER TABLE requests DROP COLUMN period_from;
