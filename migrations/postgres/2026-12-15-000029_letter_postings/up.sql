-- A letter kaiji printed is recorded as posted (keep in step with ../../sqlite/2026-12-15-000029_letter_postings):
-- the day, the mail class, and the tracking number of registered mail; once per letter.
CREATE TABLE letter_postings (
    notice_id       TEXT      NOT NULL PRIMARY KEY REFERENCES notices (id),
    request_id      TEXT      NOT NULL REFERENCES requests (id),
    posted_on       TEXT      NOT NULL,
    mail_class      TEXT      NOT NULL CHECK (mail_class IN ('simple_registered', 'registered_with_delivery_certificate', 'ordinary')),
    tracking_number TEXT,
    recorded_by     TEXT      NOT NULL REFERENCES staff_users (id),
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX letter_postings_request ON letter_postings (request_id);
