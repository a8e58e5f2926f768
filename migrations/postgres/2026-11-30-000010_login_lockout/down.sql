ALTER TABLE staff_users DROP COLUMN locked_until;
ALTER TABLE staff_users DROP COLUMN failed_logins;
