-- The writes of one officer transition as kaiji makes them (start_processing on a GDPR request): claim
-- the row's version, one task per active data system, the new state and facts, the clocks rewritten
-- with the queue's deadline, and the audit event, unsequenced, with its salt and salted digest. bench/run fills
-- bench_transition_ids with requests that kaiji's own run did not move; each client walks its own
-- share (-D step=<clients>), so no request is moved twice.
\set k :client_id + 1 + :step * :i
\set i :i + 1
-- No row: this client ran out of requests, and pgbench aborts it (bench/run then rejects the run).
SELECT id FROM bench_transition_ids WHERE n = :k \gset
BEGIN;
UPDATE requests SET version = version + 1 WHERE id = (SELECT id FROM bench_transition_ids WHERE n = :k);
INSERT INTO system_tasks (id, request_id, system_id, kind, status, note, created_at)
  SELECT gen_random_uuid()::text, b.id, s.id, 'export', 'open', '', now()
  FROM bench_transition_ids b, data_systems s WHERE b.n = :k AND s.active;
UPDATE requests SET state = 'in_progress', facts = '["email_confirmed"]', updated_at = now(), version = version + 1
  WHERE id = (SELECT id FROM bench_transition_ids WHERE n = :k);
DELETE FROM request_clocks WHERE request_id = (SELECT id FROM bench_transition_ids WHERE n = :k);
INSERT INTO request_clocks (request_id, clock_id, started_on, paused_days, extensions, due_on)
  SELECT id, 'response', '2026-11-30', 0, 0, '2026-12-31' FROM bench_transition_ids WHERE n = :k;
UPDATE requests SET queue_due = '2026-12-31' WHERE id = (SELECT id FROM bench_transition_ids WHERE n = :k);
INSERT INTO audit_events (id, occurred_at, action, actor_kind, request_id, from_state, to_state, details, details_salt, details_sha256, committed_at)
  SELECT gen_random_uuid()::text, now(), 'request.transitioned', 'staff', id, 'received', 'in_progress', '{}',
         md5(random()::text) || md5(random()::text), md5(random()::text) || md5(random()::text), clock_timestamp()
  FROM bench_transition_ids WHERE n = :k;
END;
