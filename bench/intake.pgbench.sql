-- The writes of one intake, as kaiji makes them, for pgbench: the request row, its clock, its two
-- notices (received, confirm your email), and its audit event at the end of the hash chain.
\set n random(1, 2000000000)
BEGIN;
INSERT INTO requests (id, receipt_number, tracking_token_sha256, workflow_id, workflow_version, state,
  version, request_type, jurisdiction, channel, language, subject_name, subject_email, message, facts,
  received_at, updated_at, queue_due)
VALUES ('bench-' || :client_id || '-' || :n, 'B-' || :client_id || '-' || :n,
  md5(random()::text) || md5(random()::text), 'gdpr', 3, 'received', 1, 'access', 'eea', 'api', 'en',
  'Bench Requester', 'b' || :n || '@example.invalid', 'Benchmark request.', '[]', now(), now(), '2026-12-31');
INSERT INTO request_clocks (request_id, clock_id, started_on, paused_days, extensions, due_on)
  VALUES ('bench-' || :client_id || '-' || :n, 'response', '2026-11-30', 0, 0, '2026-12-31');
INSERT INTO notices (id, request_id, kind, channel, language, status, created_at, payload)
  VALUES (gen_random_uuid()::text, 'bench-' || :client_id || '-' || :n, 'received', 'email', 'en', 'queued', now(), '{}'),
         (gen_random_uuid()::text, 'bench-' || :client_id || '-' || :n, 'email_confirmation', 'email', 'en', 'queued', now(), '{}');
UPDATE audit_chain_head SET seq = seq + 1 WHERE id = 1;
INSERT INTO audit_events (id, occurred_at, action, actor_kind, request_id, details, seq, prev_hash, hash, details_sha256)
  SELECT gen_random_uuid()::text, now(), 'request.received', 'requester', 'bench-' || :client_id || '-' || :n,
         '{}', seq, hash, md5(random()::text) || md5(random()::text), md5('{}') FROM audit_chain_head WHERE id = 1;
UPDATE audit_chain_head SET hash = md5(random()::text) WHERE id = 1;
END;
