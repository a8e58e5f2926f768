-- Regimes are published like workflows (sqlite; keep in step with ../../postgres/2026-12-09-000023_pinned_regimes):
-- a version, once published, never changes, and each workflow version records the regime version it was
-- checked against. A request keeps the law of its procedure (its deadlines, grounds and fee rules) when a
-- later version of the law's file changes them. Workflows published before this have no pinned regime
-- and read the current one.
CREATE TABLE regime_definitions (
    regime_id     TEXT      NOT NULL,
    version       BIGINT    NOT NULL CHECK (version >= 1),
    source        TEXT      NOT NULL,
    source_sha256 TEXT      NOT NULL,
    published_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (regime_id, version)
);
ALTER TABLE workflow_definitions ADD COLUMN regime_id TEXT;
ALTER TABLE workflow_definitions ADD COLUMN regime_version BIGINT;
