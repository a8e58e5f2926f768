-- Requests filed by an agent or a guardian for someone else (sqlite). Keep in step with
-- ../../postgres/2026-11-29-000005_on_behalf/up.sql. The request's own name and email are the filer's.
CREATE TABLE request_on_behalf (
    request_id          TEXT      NOT NULL PRIMARY KEY REFERENCES requests (id),
    kind                TEXT      NOT NULL CHECK (kind IN ('agent', 'guardian')),
    person_name         TEXT      NOT NULL,
    -- Where the person confirms directly (required for agents).
    person_email        TEXT,
    person_confirmed_at TIMESTAMP
);
