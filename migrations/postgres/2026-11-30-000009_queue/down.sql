DROP INDEX requests_queue;
ALTER TABLE requests DROP COLUMN queue_due;
