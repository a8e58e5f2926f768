-- Requests by post (SQLite). Keep in step with ../../postgres/2026-11-22-000002_postal/up.sql.

-- What the officer read off the envelope and the form. Requests registered from one envelope share an
-- envelope_id (one request per request type).
CREATE TABLE postal_details (
    request_id      TEXT      NOT NULL PRIMARY KEY REFERENCES requests (id),
    envelope_id     TEXT      NOT NULL,
    received_on     TEXT      NOT NULL,
    mail_class      TEXT      NOT NULL CHECK (mail_class IN ('simple_registered', 'registered_with_delivery_certificate', 'ordinary', 'fax', 'email', 'telephone', 'visit')),
    tracking_number TEXT,
    -- The date written on the form: the one-month document rule counts back from it.
    request_date    TEXT,
    requester_kind  TEXT      NOT NULL CHECK (requester_kind IN ('self', 'agent', 'legal_agent')),
    agent_name      TEXT,
    -- JSON array of the services (サービス) the request covers; the fee is charged per service.
    services        TEXT      NOT NULL,
    -- Where replies go by registered mail.
    postal_address  TEXT      NOT NULL,
    created_by      TEXT      NOT NULL REFERENCES staff_users (id),
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX postal_details_envelope ON postal_details (envelope_id);
