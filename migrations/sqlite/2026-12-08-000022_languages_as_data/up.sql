-- Languages are data (sqlite; keep in step with ../../postgres/2026-12-08-000022_languages_as_data): a
-- folder of Fluent files in `templates/i18n/` adds one, so no CHECK list pins the language a request or a
-- notice is written in (kaiji checks it is one it speaks when the request is filed). SQLite cannot drop a
-- CHECK, so requests and notices are rebuilt with their indexes and the queue's count triggers; no row
-- changes, so the queue's counts stand.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE requests_rebuilt (
    id                    TEXT      NOT NULL PRIMARY KEY,
    receipt_number        TEXT      NOT NULL UNIQUE,
    tracking_token_sha256 TEXT      NOT NULL UNIQUE,
    workflow_id           TEXT      NOT NULL,
    workflow_version      BIGINT    NOT NULL,
    state                 TEXT      NOT NULL,
    version               BIGINT    NOT NULL CHECK (version >= 1),
    request_type          TEXT      NOT NULL,
    jurisdiction          TEXT      NOT NULL,
    channel               TEXT      NOT NULL CHECK (channel IN ('web', 'api', 'postal')),
    language              TEXT      NOT NULL,
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
    -- The requests filed together in one submission share this random id; NULL when filed alone.
    filing_id             TEXT,
    assigned_to           TEXT      REFERENCES staff_users (id),
    queue_due             TEXT      NOT NULL DEFAULT '9999-12-31',
    personal_data_purged_at TIMESTAMP,
    period_from           TEXT,
    FOREIGN KEY (workflow_id, workflow_version) REFERENCES workflow_definitions (workflow_id, version)
);
INSERT INTO requests_rebuilt (id, receipt_number, tracking_token_sha256, workflow_id, workflow_version, state, version, request_type, jurisdiction, channel, language, subject_name, subject_email, message, facts, received_at, updated_at, closed_at, filing_id, assigned_to, queue_due, personal_data_purged_at, period_from)
    SELECT id, receipt_number, tracking_token_sha256, workflow_id, workflow_version, state, version, request_type, jurisdiction, channel, language, subject_name, subject_email, message, facts, received_at, updated_at, closed_at, filing_id, assigned_to, queue_due, personal_data_purged_at, period_from FROM requests;
DROP TABLE requests;
ALTER TABLE requests_rebuilt RENAME TO requests;
CREATE INDEX requests_received_at ON requests (received_at, id);
CREATE INDEX requests_open ON requests (closed_at, received_at, id);
CREATE INDEX requests_state ON requests (state);
CREATE INDEX requests_filing ON requests (filing_id);
CREATE INDEX requests_assigned_to ON requests (assigned_to);
CREATE INDEX requests_queue ON requests (queue_due, id) WHERE closed_at IS NULL;
CREATE INDEX requests_unconfirmed ON requests (received_at)
WHERE closed_at IS NULL AND subject_email IS NOT NULL AND facts NOT LIKE '%"email_confirmed"%';
CREATE TRIGGER requests_queue_count_insert AFTER INSERT ON requests WHEN NEW.closed_at IS NULL
BEGIN
    INSERT INTO queue_count_deltas (state, request_type, jurisdiction, workflow_id, assigned_to, n)
    VALUES (NEW.state, NEW.request_type, NEW.jurisdiction, NEW.workflow_id, COALESCE(NEW.assigned_to, ''), 1);
END;
CREATE TRIGGER requests_queue_count_delete AFTER DELETE ON requests WHEN OLD.closed_at IS NULL
BEGIN
    INSERT INTO queue_count_deltas (state, request_type, jurisdiction, workflow_id, assigned_to, n)
    VALUES (OLD.state, OLD.request_type, OLD.jurisdiction, OLD.workflow_id, COALESCE(OLD.assigned_to, ''), -1);
END;
CREATE TRIGGER requests_queue_count_update AFTER UPDATE ON requests
WHEN OLD.closed_at IS NOT NEW.closed_at OR OLD.state IS NOT NEW.state
    OR OLD.request_type IS NOT NEW.request_type OR OLD.jurisdiction IS NOT NEW.jurisdiction
    OR OLD.workflow_id IS NOT NEW.workflow_id OR OLD.assigned_to IS NOT NEW.assigned_to
BEGIN
    INSERT INTO queue_count_deltas (state, request_type, jurisdiction, workflow_id, assigned_to, n)
    SELECT OLD.state, OLD.request_type, OLD.jurisdiction, OLD.workflow_id, COALESCE(OLD.assigned_to, ''), -1
    WHERE OLD.closed_at IS NULL;
    INSERT INTO queue_count_deltas (state, request_type, jurisdiction, workflow_id, assigned_to, n)
    SELECT NEW.state, NEW.request_type, NEW.jurisdiction, NEW.workflow_id, COALESCE(NEW.assigned_to, ''), 1
    WHERE NEW.closed_at IS NULL;
END;
CREATE INDEX requests_subject_email_lower ON requests (lower(subject_email));
CREATE TABLE notices_rebuilt (
    id         TEXT      NOT NULL PRIMARY KEY,
    request_id TEXT      NOT NULL REFERENCES requests (id),
    kind       TEXT      NOT NULL,
    channel    TEXT      NOT NULL CHECK (channel IN ('email', 'letter')),
    language   TEXT      NOT NULL,
    status     TEXT      NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    created_at TIMESTAMP NOT NULL,
    payload    TEXT      NOT NULL DEFAULT '{}',
    attempts   BIGINT    NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP,
    claimed_by TEXT,
    claimed_until TIMESTAMP,
    sent_at    TIMESTAMP,
    last_error TEXT,
    recipient_staff_id TEXT REFERENCES staff_users (id)
);
INSERT INTO notices_rebuilt (id, request_id, kind, channel, language, status, created_at, payload, attempts, next_attempt_at, claimed_by, claimed_until, sent_at, last_error, recipient_staff_id)
    SELECT id, request_id, kind, channel, language, status, created_at, payload, attempts, next_attempt_at, claimed_by, claimed_until, sent_at, last_error, recipient_staff_id FROM notices;
DROP TABLE notices;
ALTER TABLE notices_rebuilt RENAME TO notices;
CREATE INDEX notices_request ON notices (request_id, created_at);
CREATE INDEX notices_status ON notices (status, created_at);
CREATE INDEX notices_due ON notices (status, channel, next_attempt_at);
COMMIT;
PRAGMA foreign_keys = ON;
