-- Back to the closed lists (postgres). A request filed under a place or right outside them blocks the
-- way back: the CHECK fails, and the operator decides what those requests become.
UPDATE requests SET jurisdiction = CASE jurisdiction
        WHEN 'JP' THEN 'japan'
        WHEN 'EEA' THEN 'eea'
        WHEN 'US-CA' THEN 'california'
        WHEN 'CA' THEN 'canada'
    END
    WHERE jurisdiction IN ('JP', 'EEA', 'US-CA', 'CA');
ALTER TABLE requests ADD CONSTRAINT requests_jurisdiction_check CHECK (jurisdiction IN ('japan', 'eea', 'california', 'canada', 'other'));
ALTER TABLE requests ADD CONSTRAINT requests_request_type_check CHECK (request_type IN ('access', 'correction', 'deletion', 'stop_of_use', 'purpose_notification', 'restriction', 'objection', 'portability', 'third_party_records', 'withdraw_consent', 'know_categories'));
