-- The period a requester asks the answer to cover, where the law lets them say (CCPA "know": back to
-- 2022-01-01, seeds/regimes period_earliest). NULL: the law's default.
ALTER TABLE requests ADD COLUMN period_from TEXT;
-- Lost tracking links are looked up by address, compared in lower case (app::tracking::resend_links).
CREATE INDEX requests_subject_email_lower ON requests (lower(subject_email));
