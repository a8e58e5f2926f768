ALTER TABLE requests DROP COLUMN personal_data_purged_at;
