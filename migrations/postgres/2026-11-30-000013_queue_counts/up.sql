-- The queue's counts (postgres; keep in step with the other backend's 2026-11-30-000013_queue_counts).
-- Counting the open requests on every queue page cost time in proportion to the table. Instead a trigger
-- appends +1 / -1 whenever an open request enters or leaves a bucket (state, right, place, procedure,
-- assignee); readers add the folded totals and the deltas not folded yet, in one statement; the notice
-- worker folds deltas into totals every few seconds. Appending, never updating a shared counter row,
-- keeps concurrent intakes and transitions from waiting on (or deadlocking over) a hot row.
CREATE TABLE queue_counts (
    state TEXT NOT NULL,
    request_type TEXT NOT NULL,
    jurisdiction TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    assigned_to TEXT NOT NULL, -- '' when nobody is assigned
    n BIGINT NOT NULL,
    PRIMARY KEY (state, request_type, jurisdiction, workflow_id, assigned_to)
);
-- No key: rows are only appended, summed, and deleted all at once by the fold.
CREATE TABLE queue_count_deltas (
    state TEXT NOT NULL,
    request_type TEXT NOT NULL,
    jurisdiction TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    assigned_to TEXT NOT NULL,
    n BIGINT NOT NULL
);
CREATE FUNCTION queue_count_delta() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.closed_at IS NULL THEN
        INSERT INTO queue_count_deltas (state, request_type, jurisdiction, workflow_id, assigned_to, n)
        VALUES (OLD.state, OLD.request_type, OLD.jurisdiction, OLD.workflow_id, COALESCE(OLD.assigned_to, ''), -1);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.closed_at IS NULL THEN
        INSERT INTO queue_count_deltas (state, request_type, jurisdiction, workflow_id, assigned_to, n)
        VALUES (NEW.state, NEW.request_type, NEW.jurisdiction, NEW.workflow_id, COALESCE(NEW.assigned_to, ''), 1);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER requests_queue_count_insert_delete AFTER INSERT OR DELETE ON requests
    FOR EACH ROW EXECUTE FUNCTION queue_count_delta();
CREATE TRIGGER requests_queue_count_update AFTER UPDATE ON requests
    FOR EACH ROW WHEN (OLD.closed_at IS DISTINCT FROM NEW.closed_at OR OLD.state IS DISTINCT FROM NEW.state
        OR OLD.request_type IS DISTINCT FROM NEW.request_type OR OLD.jurisdiction IS DISTINCT FROM NEW.jurisdiction
        OR OLD.workflow_id IS DISTINCT FROM NEW.workflow_id OR OLD.assigned_to IS DISTINCT FROM NEW.assigned_to)
    EXECUTE FUNCTION queue_count_delta();
INSERT INTO queue_counts (state, request_type, jurisdiction, workflow_id, assigned_to, n)
SELECT state, request_type, jurisdiction, workflow_id, COALESCE(assigned_to, ''), COUNT(*)
FROM requests WHERE closed_at IS NULL
GROUP BY state, request_type, jurisdiction, workflow_id, COALESCE(assigned_to, '');
-- The queue's page: an index on (closed_at, queue_due, id) cannot give open requests in deadline order
-- (a planner treats `closed_at IS NULL` as a filter, not an equality), so PostgreSQL read and sorted
-- every open request for each page. A partial index over the open requests is in the page's order.
DROP INDEX requests_queue;
CREATE INDEX requests_queue ON requests (queue_due, id) WHERE closed_at IS NULL;
