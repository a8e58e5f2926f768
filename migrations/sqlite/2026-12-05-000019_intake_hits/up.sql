-- Intake rate limits shared by every instance (sqlite; keep in step with the other backend's 2026-12-05-000019_intake_hits).
-- On PostgreSQL each counted submission appends one row per bucket it counts against (its client's
-- address, its email address, or the address's bucket for submissions with errors), and a check sums
-- the bucket's rows of the past hour: no row is updated by every request from one address, and a
-- restart forgets nothing. SQLite serves one process and counts in memory; the table is here so both
-- schemas stay the same. Buckets are keyed digests: the counts need equality, not addresses.
CREATE TABLE intake_hits (
    hit_id TEXT NOT NULL,
    bucket_key TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    -- One index, which the counts read (a bucket's hits in the window) and which keeps rows unique.
    PRIMARY KEY (bucket_key, at, hit_id)
);
