DROP INDEX requests_queue;
CREATE INDEX requests_queue ON requests (closed_at, queue_due, id);
DROP TRIGGER requests_queue_count_update ON requests;
DROP TRIGGER requests_queue_count_insert_delete ON requests;
DROP FUNCTION queue_count_delta();
DROP TABLE queue_count_deltas;
DROP TABLE queue_counts;
