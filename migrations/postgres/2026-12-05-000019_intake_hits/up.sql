-- Intake rate limits shared by every instance (postgres; keep in step with the other backend's 2026-12-05-000019_intake_hits).
-- On PostgreSQL each counted submission appends one row per bucket it counts against (its client's
-- address, its email address, or the address's bucket for submissions with errors), and a check sums
-- the bucket's rows of the past hour: no row is updated by every request from one address, and a
-- restart forgets nothing. The check is one function call (one round trip), made inside the intake's
-- own transaction, and exact across instances. SQLite serves one process and counts in memory; the table is here so both
-- schemas stay the same. Buckets are keyed digests: the counts need equality, not addresses.
CREATE TABLE intake_hits (
    hit_id TEXT NOT NULL,
    bucket_key TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    -- One index, which the counts read (a bucket's hits in the window) and which keeps rows unique.
    PRIMARY KEY (bucket_key, at, hit_id)
);

-- Counts one submission against its buckets: admitted (and appended to each) only if every bucket holds
-- fewer than its limit since p_since. The buckets' advisory locks, taken in one order and held to the
-- end of the caller's transaction, make concurrent checks of one bucket take turns (a plpgsql statement
-- sees what committed before it, so the count after the lock includes the previous holder's hit):
-- never more than the limit, never fewer. Refused, it returns the newest "oldest hit" among the full
-- buckets: one window after it there is room. Called first in a transaction, before any other lock.
CREATE FUNCTION intake_hit(p_hit TEXT, p_keys TEXT[], p_limits BIGINT[], p_now TIMESTAMP, p_since TIMESTAMP)
RETURNS TABLE (admitted BOOLEAN, full_since TIMESTAMP)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    added INTEGER;
BEGIN
    -- Every bucket's lock, in one order, so two checks never wait on each other crosswise.
    PERFORM pg_advisory_xact_lock(h) FROM (
        SELECT DISTINCT hashtextextended('kaiji.intake_hits:' || x, 0) AS h FROM unnest(p_keys) AS x ORDER BY 1) AS l;
    INSERT INTO intake_hits (hit_id, bucket_key, at)
    SELECT p_hit, x, p_now FROM unnest(p_keys) AS x
    WHERE NOT EXISTS (
        SELECT 1 FROM unnest(p_keys, p_limits) AS q(k, lim)
        WHERE (SELECT COUNT(*) FROM intake_hits h WHERE h.bucket_key = q.k AND h.at > p_since) >= q.lim);
    GET DIAGNOSTICS added = ROW_COUNT;
    -- Refused: when the oldest hit of the bucket that frees last leaves the window, there is room.
    IF added > 0 THEN
        RETURN QUERY SELECT TRUE, NULL::TIMESTAMP;
    ELSE
        RETURN QUERY SELECT FALSE, max(c.oldest)
          FROM unnest(p_keys, p_limits) AS q(k, lim)
          CROSS JOIN LATERAL (SELECT COUNT(*) AS n, MIN(h.at) AS oldest FROM intake_hits h
                              WHERE h.bucket_key = q.k AND h.at > p_since) AS c
         WHERE c.n >= q.lim;
    END IF;
END
$$;
