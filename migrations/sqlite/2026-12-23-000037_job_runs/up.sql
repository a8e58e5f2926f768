-- The hourly jobs' runs: one row per job and hour, inserted by the instance that runs it, so that with
-- several instances (serve and workers) each job runs once an hour, not once per instance
-- (sqlite; keep in step with ../../postgres/2026-12-23-000037_job_runs).
CREATE TABLE job_runs (
    job          TEXT      NOT NULL,
    period       TEXT      NOT NULL,
    instance     TEXT      NOT NULL,
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP,
    records      BIGINT,
    error        TEXT,
    PRIMARY KEY (job, period)
);
CREATE INDEX job_runs_started ON job_runs (started_at);
