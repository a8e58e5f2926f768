-- Staff sessions end after a while without use (sqlite; keep in step with the other backend's
-- 2026-12-04-000018_session_idle). last_seen_at is when the session was last used, to the minute; NULL
-- for sessions from before this migration, which count from their start.
ALTER TABLE staff_sessions ADD COLUMN last_seen_at TIMESTAMP;
