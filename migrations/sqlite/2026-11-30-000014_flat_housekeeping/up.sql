-- Housekeeping that stays flat as requests accumulate (sqlite; keep in step with the other backend's
-- 2026-11-30-000014_flat_housekeeping).
--
-- Deadline reminders: each clock carries the instant the worker should next look at it (the start of its
-- due-soon day, then of its overdue day, in the procedure's zone; NULL once nothing is left), and the
-- worker's round reads only clocks whose instant has come, through a partial index. Before this, every
-- round (every few seconds) read every clock due within four days and loaded each request.
ALTER TABLE request_clocks ADD COLUMN remind_at TIMESTAMP;
-- Existing running clocks are looked at once now; the worker then schedules each exactly.
UPDATE request_clocks SET remind_at = '2000-01-01 00:00:00'
WHERE stopped_on IS NULL AND due_on IS NOT NULL
  AND (overdue_notice_for IS NULL OR overdue_notice_for <> due_on);
CREATE INDEX request_clocks_remind ON request_clocks (remind_at) WHERE remind_at IS NOT NULL;
-- The hourly expiry of unconfirmed requests reads only the open requests whose email is unconfirmed
-- (`db::requests::open_received_before` spells the same condition), not every open request.
CREATE INDEX requests_unconfirmed ON requests (received_at)
WHERE closed_at IS NULL AND subject_email IS NOT NULL AND facts NOT LIKE '%"email_confirmed"%';
