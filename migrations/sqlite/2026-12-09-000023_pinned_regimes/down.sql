-- Back to workflows read against the current regimes (sqlite).
ALTER TABLE workflow_definitions DROP COLUMN regime_version;
ALTER TABLE workflow_definitions DROP COLUMN regime_id;
DROP TABLE regime_definitions;
