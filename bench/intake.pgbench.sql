-- The writes of one intake, as kaiji makes them, for pgbench, in one transaction: the intake limits'
-- check (the client's and the email's buckets, keyed digests), the request row, its clock, its two
-- notices (received, confirm your email), and its audit event, unsequenced, with its salt and salted
-- digest (the sequencer, `kaiji audit sequence`, runs beside pgbench and integrates them).
\set n random(1, 2000000000)
BEGIN;
SELECT admitted FROM intake_hit(md5(random()::text), ARRAY[md5('a' || :client_id || '-' || :n), md5('e' || :n)],
  ARRAY[30, 5]::bigint[], now()::timestamp, now()::timestamp - interval '1 hour');
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
INSERT INTO audit_events (id, occurred_at, action, actor_kind, request_id, details, details_salt, details_sha256, committed_at)
  VALUES (gen_random_uuid()::text, now(), 'request.received', 'requester', 'bench-' || :client_id || '-' || :n,
         '{}', md5(random()::text) || md5(random()::text), md5(random()::text) || md5(random()::text), clock_timestamp());
END;
