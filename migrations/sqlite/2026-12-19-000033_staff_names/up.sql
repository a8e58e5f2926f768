-- Staff members get a display name, so that pages, the timeline and the audit log name people rather than
-- show their ids. Existing accounts are named after their address's local part until they change it.
ALTER TABLE staff_users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
UPDATE staff_users SET display_name = substr(email, 1, instr(email, '@') - 1);
