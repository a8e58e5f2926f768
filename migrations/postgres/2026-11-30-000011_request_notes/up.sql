-- Officers' notes on a request (postgres; keep in step with the other backend's 2026-11-30-000011_request_notes):
-- internal, never shown to the requester; added, never edited (a correction is a new note).
CREATE TABLE request_notes (
    id         TEXT      NOT NULL PRIMARY KEY,
    request_id TEXT      NOT NULL REFERENCES requests (id),
    staff_id   TEXT      NOT NULL REFERENCES staff_users (id),
    body       TEXT      NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX request_notes_request ON request_notes (request_id, created_at);
