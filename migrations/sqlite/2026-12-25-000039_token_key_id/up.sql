-- The session key a request's tracking token was derived with (its key id; NULL for requests filed before
-- keys rotated: their token came from the first session key). Notices derive the link again with that key,
-- and an old session key stays verify-only while any request still carries its id
-- (sqlite; keep in step with ../../postgres/2026-12-25-000039_token_key_id).
ALTER TABLE requests ADD COLUMN token_key_id TEXT;
