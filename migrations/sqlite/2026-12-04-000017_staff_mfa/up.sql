-- Staff two-step sign-in (sqlite; keep in step with the other backend's 2026-12-04-000017_staff_mfa).
-- A member's TOTP secret, sealed under the document key (nonce.ciphertext, base64), unconfirmed until
-- the first code from their app is entered; last_step is the newest step accepted, so each code is
-- accepted once (RFC 6238 section 5.2).
CREATE TABLE staff_mfa (
    staff_id TEXT PRIMARY KEY REFERENCES staff_users (id),
    secret_sealed TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    confirmed_at TIMESTAMP,
    last_step BIGINT NOT NULL DEFAULT 0
);
-- One-time recovery codes, stored as digests.
CREATE TABLE staff_recovery_codes (
    code_sha256 TEXT PRIMARY KEY,
    staff_id TEXT NOT NULL REFERENCES staff_users (id),
    used_at TIMESTAMP
);
CREATE INDEX staff_recovery_codes_by_staff ON staff_recovery_codes (staff_id);
-- When the session passed the second step; NULL: only the password so far.
ALTER TABLE staff_sessions ADD COLUMN mfa_at TIMESTAMP;
