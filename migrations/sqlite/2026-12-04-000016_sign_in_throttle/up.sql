-- Staff sign-in throttling (sqlite; keep in step with the other backend's 2026-12-04-000016_sign_in_throttle).
-- The per-account lock (any stranger could keep an administrator locked out) gives way to counted
-- failures with growing waits, per account and address, per address, and per account from addresses it
-- never signed in from. Failures are appended and counted over a window, never a shared counter row.
-- Emails and addresses are stored as keyed digests: the counts need equality, not the values.
CREATE TABLE sign_in_failures (
    id TEXT PRIMARY KEY,
    email_key TEXT NOT NULL,
    address_key TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX sign_in_failures_by_email ON sign_in_failures (email_key, at);
CREATE INDEX sign_in_failures_by_address ON sign_in_failures (address_key, at);
-- Where each member signed in from: failures elsewhere do not slow them there.
CREATE TABLE staff_sign_in_addresses (
    staff_id TEXT NOT NULL REFERENCES staff_users (id),
    address_key TEXT NOT NULL,
    last_seen TIMESTAMP NOT NULL,
    PRIMARY KEY (staff_id, address_key)
);
-- One audit event per throttled (scope, key) and hour, however many attempts were turned away.
CREATE TABLE sign_in_throttle_events (
    scope_key TEXT NOT NULL,
    window_start TIMESTAMP NOT NULL,
    PRIMARY KEY (scope_key, window_start)
);
ALTER TABLE staff_users DROP COLUMN locked_until;
ALTER TABLE staff_users DROP COLUMN failed_logins;
