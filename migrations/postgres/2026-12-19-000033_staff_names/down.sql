ALTER TABLE staff_users DROP COLUMN display_name;
