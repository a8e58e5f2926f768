-- The queue's counts (sqlite; keep in step with the other backend's 2026-11-30-000013_queue_counts).
-- Counting the open requests on every queue page cost time in proportion to the table. Instead triggers
-- append +1 / -1 whenever an open request enters or leaves a bucket (state, right, place, procedure,
-- assignee); readers add the folded totals and the deltas not folded yet, in one statement; the notice
-- worker folds deltas into totals every few seconds. A migration that rebuilds `requests` must
-- recreate these triggers.
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
CREATE TRIGGER requests_queue_count_insert AFTER INSERT ON requests WHEN NEW.closed_at IS NULL
BEGIN
    INSERT INTO queue_count_deltas (state, request_type, jurisdiction, workflow_id, assigned_to, n)
    VALUES (NEW.state, NEW.request_type, NEW.jurisdiction, NEW.workflow_id, COALESCE(NEW.assigned_to, ''), 1);
END;
CREATE TRIGGER requests_queue_count_delete AFTER DELETE ON requests WHEN OLD.closed_at IS NULL
BEGIN
    INSERT INTO queue_count_deltas (state, request_type, jurisdiction, workflow_id, assigned_to, n)
    VALUES (OLD.state, OLD.request_type, OLD.jurisdiction, OLD.workflow_id, COALESCE(OLD.assigned_to, ''), -1);
END;
CREATE TRIGGER requests_queue_count_update AFTER UPDATE ON requests
WHEN OLD.closed_at IS NOT NEW.closed_at OR OLD.state IS NOT NEW.state
    OR OLD.request_type IS NOT NEW.request_type OR OLD.jurisdiction IS NOT NEW.jurisdiction
    OR OLD.workflow_id IS NOT NEW.workflow_id OR OLD.assigned_to IS NOT NEW.assigned_to
BEGIN
    INSERT INTO queue_count_deltas (state, request_type, jurisdiction, workflow_id, assigned_to, n)
    SELECT OLD.state, OLD.request_type, OLD.jurisdiction, OLD.workflow_id, COALESCE(OLD.assigned_to, ''), -1
    WHERE OLD.closed_at IS NULL;
    INSERT INTO queue_count_deltas (state, request_type, jurisdiction, workflow_id, assigned_to, n)
    SELECT NEW.state, NEW.request_type, NEW.jurisdiction, NEW.workflow_id, COALESCE(NEW.assigned_to, ''), 1
    WHERE NEW.closed_at IS NULL;
END;
INSERT INTO queue_counts (state, request_type, jurisdiction, workflow_id, assigned_to, n)
SELECT state, request_type, jurisdiction, workflow_id, COALESCE(assigned_to, ''), COUNT(*)
FROM requests WHERE closed_at IS NULL
GROUP BY state, request_type, jurisdiction, workflow_id, COALESCE(assigned_to, '');
-- The queue's page: an index on (closed_at, queue_due, id) cannot give open requests in deadline order
-- (a planner treats `closed_at IS NULL` as a filter, not an equality), so PostgreSQL read and sorted
-- every open request for each page. A partial index over the open requests is in the page's order.
DROP INDEX requests_queue;
CREATE INDEX requests_queue ON requests (queue_due, id) WHERE closed_at IS NULL;
