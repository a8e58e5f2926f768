ALTER TABLE staff_users ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE staff_users ADD COLUMN locked_until TIMESTAMP;
DROP TABLE sign_in_throttle_events;
DROP TABLE staff_sign_in_addresses;
DROP TABLE sign_in_failures;
