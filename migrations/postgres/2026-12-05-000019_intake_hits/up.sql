-- Intake rate limits shared by every instance (postgres; keep in step with the other backend's 2026-12-05-000019_intake_hits).
-- On PostgreSQL each counted submission appends one row per bucket it counts against (its client's
-- address, its email address, or the address's bucket for submissions with errors), and a check sums
-- the bucket's rows of the past hour: no row is updated by every request from one address, and a
-- restart forgets nothing. The check is one function call (one round trip), exact across instances. SQLite serves one process and counts in memory; the table is here so both
-- schemas stay the same. Buckets are keyed digests: the counts need equality, not addresses.
CREATE TABLE intake_hits (
    hit_id TEXT NOT NULL,
    bucket_key TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    PRIMARY KEY (hit_id, bucket_key)
);
CREATE INDEX intake_hits_by_bucket ON intake_hits (bucket_key, at);

-- Counts one submission against its buckets: admitted (and appended to each) only if every bucket holds
-- fewer than its limit since p_since. The buckets' advisory locks, taken in one order, make concurrent
-- checks of one bucket take turns (a plpgsql statement sees what committed before it, so the count
-- after the lock includes the previous holder's hit): never more than the limit, never fewer. Refused,
-- it returns the newest "oldest hit" among the full buckets: one window after it there is room.
CREATE FUNCTION intake_hit(p_hit TEXT, p_keys TEXT[], p_limits BIGINT[], p_now TIMESTAMP, p_since TIMESTAMP)
RETURNS TABLE (admitted BOOLEAN, full_since TIMESTAMP)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    k TEXT;
    is_full BOOLEAN;
    oldest_full TIMESTAMP;
BEGIN
    FOR k IN SELECT DISTINCT x FROM unnest(p_keys) AS x ORDER BY x LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended('kaiji.intake_hits:' || k, 0));
    END LOOP;
    SELECT COALESCE(bool_or(c.n >= q.lim), FALSE), max(c.oldest) FILTER (WHERE c.n >= q.lim)
      INTO is_full, oldest_full
      FROM unnest(p_keys, p_limits) AS q(k, lim)
      CROSS JOIN LATERAL (SELECT COUNT(*) AS n, MIN(h.at) AS oldest FROM intake_hits h
                          WHERE h.bucket_key = q.k AND h.at > p_since) AS c;
    IF NOT is_full THEN
        INSERT INTO intake_hits (hit_id, bucket_key, at) SELECT p_hit, x, p_now FROM unnest(p_keys) AS x;
    END IF;
    RETURN QUERY SELECT NOT is_full, oldest_full;
END
$$;
