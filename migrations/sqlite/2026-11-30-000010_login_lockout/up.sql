-- Staff sign-in lockout (sqlite; keep in step with the other backend's 2026-11-30-000010_login_lockout): consecutive
-- failed sign-ins are counted; after too many the account is locked for a while (or until an admin
-- unlocks it). A successful sign-in clears the count.
ALTER TABLE staff_users ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE staff_users ADD COLUMN locked_until TIMESTAMP;
