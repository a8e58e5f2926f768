-- kaiji foundation (SQLite). Keep in step with ../../postgres/2026-11-22-000001_foundation/up.sql:
-- same tables, same columns, only types both backends share.

CREATE TABLE workflow_definitions (
    workflow_id   TEXT      NOT NULL,
    version       BIGINT    NOT NULL CHECK (version >= 1),
    source        TEXT      NOT NULL,
    source_sha256 TEXT      NOT NULL,
    published_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (workflow_id, version)
);

CREATE TABLE requests (
    id                    TEXT      NOT NULL PRIMARY KEY,
    receipt_number        TEXT      NOT NULL UNIQUE,
    tracking_token_sha256 TEXT      NOT NULL UNIQUE,
    workflow_id           TEXT      NOT NULL,
    workflow_version      BIGINT    NOT NULL,
    state                 TEXT      NOT NULL,
    version               BIGINT    NOT NULL CHECK (version >= 1),
    request_type          TEXT      NOT NULL CHECK (request_type IN ('access', 'correction', 'deletion', 'stop_of_use', 'purpose_notification', 'restriction', 'objection', 'portability', 'third_party_records')),
    jurisdiction          TEXT      NOT NULL CHECK (jurisdiction IN ('japan', 'eea', 'california', 'canada', 'other')),
    channel               TEXT      NOT NULL CHECK (channel IN ('web', 'api', 'postal')),
    language              TEXT      NOT NULL CHECK (language IN ('ja', 'en')),
    subject_name          TEXT      NOT NULL,
    -- Postal requests may come without an email address; their notices become letters.
    subject_email         TEXT,
    message               TEXT      NOT NULL,
    -- What is known about the request (a JSON array of fact names, e.g. ["identity_verified"]).
    facts                 TEXT      NOT NULL,
    received_at           TIMESTAMP NOT NULL,
    updated_at            TIMESTAMP NOT NULL,
    -- Set when the request reaches a terminal state of its workflow; the queue shows open requests.
    closed_at             TIMESTAMP,
    FOREIGN KEY (workflow_id, workflow_version) REFERENCES workflow_definitions (workflow_id, version)
);
CREATE INDEX requests_received_at ON requests (received_at, id);
CREATE INDEX requests_open ON requests (closed_at, received_at, id);
CREATE INDEX requests_state ON requests (state);

-- One row per deadline clock of a request. Dates are calendar days in the procedure's time zone.
CREATE TABLE request_clocks (
    request_id   TEXT   NOT NULL REFERENCES requests (id),
    clock_id     TEXT   NOT NULL,
    started_on   TEXT   NOT NULL,
    paused_since TEXT,
    paused_days  BIGINT NOT NULL CHECK (paused_days >= 0),
    extensions   BIGINT NOT NULL CHECK (extensions >= 0),
    stopped_on   TEXT,
    -- The deadline as of the last change; NULL while paused or once stopped.
    due_on       TEXT,
    PRIMARY KEY (request_id, clock_id)
);
CREATE INDEX request_clocks_due_on ON request_clocks (due_on);

-- The outbox: every notice a transition sends is queued here in the same transaction.
CREATE TABLE notices (
    id         TEXT      NOT NULL PRIMARY KEY,
    request_id TEXT      NOT NULL REFERENCES requests (id),
    kind       TEXT      NOT NULL,
    channel    TEXT      NOT NULL CHECK (channel IN ('email', 'letter')),
    language   TEXT      NOT NULL CHECK (language IN ('ja', 'en')),
    status     TEXT      NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX notices_request ON notices (request_id, created_at);
CREATE INDEX notices_status ON notices (status, created_at);

CREATE TABLE staff_users (
    id            TEXT      NOT NULL PRIMARY KEY,
    email         TEXT      NOT NULL UNIQUE,
    role          TEXT      NOT NULL CHECK (role IN ('officer', 'auditor', 'admin')),
    password_hash TEXT      NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    disabled_at   TIMESTAMP
);

CREATE TABLE staff_sessions (
    token_sha256 TEXT      NOT NULL PRIMARY KEY,
    staff_id     TEXT      NOT NULL REFERENCES staff_users (id),
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL
);
CREATE INDEX staff_sessions_staff_id ON staff_sessions (staff_id);

-- Bearer tokens for the staff API: shown once, stored as a digest, revocable.
CREATE TABLE api_tokens (
    id           TEXT      NOT NULL PRIMARY KEY,
    staff_id     TEXT      NOT NULL REFERENCES staff_users (id),
    token_sha256 TEXT      NOT NULL UNIQUE,
    label        TEXT      NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);
CREATE INDEX api_tokens_staff_id ON api_tokens (staff_id);

CREATE TABLE setup_links (
    token_sha256 TEXT      NOT NULL PRIMARY KEY,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    used_at      TIMESTAMP
);

-- Append-only: no foreign key to requests, so the log outlives any purge of request data.
CREATE TABLE audit_events (
    id          TEXT      NOT NULL PRIMARY KEY,
    occurred_at TIMESTAMP NOT NULL,
    action      TEXT      NOT NULL,
    actor_kind  TEXT      NOT NULL CHECK (actor_kind IN ('requester', 'staff', 'system')),
    actor_id    TEXT,
    request_id  TEXT,
    from_state  TEXT,
    to_state    TEXT,
    details     TEXT      NOT NULL
);
CREATE INDEX audit_events_request ON audit_events (request_id, occurred_at);
CREATE INDEX audit_events_occurred_at ON audit_events (occurred_at, id);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
