DROP INDEX requests_queue;
CREATE INDEX requests_queue ON requests (closed_at, queue_due, id);
DROP TRIGGER requests_queue_count_update;
DROP TRIGGER requests_queue_count_delete;
DROP TRIGGER requests_queue_count_insert;
DROP TABLE queue_count_deltas;
DROP TABLE queue_counts;
