ALTER TABLE staff_sessions DROP COLUMN mfa_at;
DROP TABLE staff_recovery_codes;
DROP TABLE staff_mfa;
