-- The review queue (sqlite; keep in step with the other backend's 2026-11-30-000009_queue). Each request keeps
-- the nearest due date of its running clocks ('9999-12-31' when none runs: paused, or closed), so the
-- queue sorts by deadline and pages by (queue_due, id) through one index, the same cost on any page.
ALTER TABLE requests ADD COLUMN queue_due TEXT NOT NULL DEFAULT '9999-12-31';
UPDATE requests SET queue_due = COALESCE(
    (SELECT MIN(c.due_on) FROM request_clocks c
      WHERE c.request_id = requests.id AND c.due_on IS NOT NULL AND c.stopped_on IS NULL),
    '9999-12-31');
CREATE INDEX requests_queue ON requests (closed_at, queue_due, id);
