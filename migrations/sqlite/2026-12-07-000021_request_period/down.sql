ALTER TABLE requests DROP COLUMN period_from;
