DROP INDEX notices_due;
ALTER TABLE notices DROP COLUMN last_error;
ALTER TABLE notices DROP COLUMN sent_at;
ALTER TABLE notices DROP COLUMN claimed_until;
ALTER TABLE notices DROP COLUMN claimed_by;
ALTER TABLE notices DROP COLUMN next_attempt_at;
ALTER TABLE notices DROP COLUMN attempts;
