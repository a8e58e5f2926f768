ALTER TABLE requests DROP COLUMN token_key_id;
