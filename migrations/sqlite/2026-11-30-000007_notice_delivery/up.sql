-- Delivering the outbox (sqlite; keep in step with the other backend's 2026-11-30-000007_notice_delivery).
-- A worker claims a queued email notice for a lease (claimed_by, claimed_until) and counts the attempt;
-- a notice whose worker died is claimed again once the lease ends. Failures wait next_attempt_at
-- (exponential backoff); after the last attempt the notice is 'failed' until an officer retries it.
ALTER TABLE notices ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notices ADD COLUMN next_attempt_at TIMESTAMP;
ALTER TABLE notices ADD COLUMN claimed_by TEXT;
ALTER TABLE notices ADD COLUMN claimed_until TIMESTAMP;
ALTER TABLE notices ADD COLUMN sent_at TIMESTAMP;
ALTER TABLE notices ADD COLUMN last_error TEXT;
CREATE INDEX notices_due ON notices (status, channel, next_attempt_at);
