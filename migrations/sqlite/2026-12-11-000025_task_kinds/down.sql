-- Back to exports and erasures only (sqlite): tasks of the other kinds are dropped with their changes.
PRAGMA foreign_keys = OFF;
BEGIN;
-- System owners lose their accounts' role: they become disabled auditors (nothing to see, nothing to do).
UPDATE staff_users SET disabled_at = COALESCE(disabled_at, CURRENT_TIMESTAMP), role = 'auditor'
    WHERE role = 'system_owner';
CREATE TABLE staff_users_rebuilt (
    id            TEXT      NOT NULL PRIMARY KEY,
    email         TEXT      NOT NULL UNIQUE,
    role          TEXT      NOT NULL CHECK (role IN ('officer', 'auditor', 'admin')),
    password_hash TEXT      NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    disabled_at   TIMESTAMP
);
INSERT INTO staff_users_rebuilt (id, email, role, password_hash, created_at, disabled_at)
SELECT id, email, role, password_hash, created_at, disabled_at FROM staff_users;
DROP TABLE staff_users;
ALTER TABLE staff_users_rebuilt RENAME TO staff_users;
DROP TABLE request_approvals;
-- SQLite cannot drop a column a foreign key uses: data_changes is rebuilt without it.
CREATE TABLE data_changes_rebuilt (
    id          TEXT      NOT NULL PRIMARY KEY,
    request_id  TEXT      NOT NULL REFERENCES requests (id),
    action      TEXT      NOT NULL CHECK (action IN ('corrected', 'deleted', 'use_stopped')),
    item        TEXT      NOT NULL,
    prior_value TEXT,
    new_value   TEXT,
    recorded_by TEXT      NOT NULL REFERENCES staff_users (id),
    recorded_at TIMESTAMP NOT NULL
);
INSERT INTO data_changes_rebuilt
SELECT id, request_id, action, item, prior_value, new_value, recorded_by, recorded_at
FROM data_changes WHERE task_id IS NULL;
DROP TABLE data_changes;
ALTER TABLE data_changes_rebuilt RENAME TO data_changes;
CREATE INDEX data_changes_request ON data_changes (request_id);
ALTER TABLE data_systems DROP COLUMN never_disclose;
ALTER TABLE data_systems DROP COLUMN automated_decisions;
ALTER TABLE data_systems DROP COLUMN sources;
ALTER TABLE data_systems DROP COLUMN recipients;
ALTER TABLE data_systems DROP COLUMN purposes;
ALTER TABLE data_systems DROP COLUMN serves;
CREATE TABLE system_tasks_rebuilt (
    id                TEXT      NOT NULL PRIMARY KEY,
    request_id        TEXT      NOT NULL REFERENCES requests (id),
    system_id         TEXT      NOT NULL REFERENCES data_systems (id),
    kind              TEXT      NOT NULL CHECK (kind IN ('export', 'erase')),
    status            TEXT      NOT NULL CHECK (status IN ('open', 'exported', 'no_data', 'erased', 'retained')),
    legal_ground      TEXT,
    note              TEXT      NOT NULL,
    export_media_type TEXT      CHECK (export_media_type IN ('application/json', 'text/csv')),
    export_size       BIGINT,
    export_nonce      BLOB,
    export_ciphertext BLOB,
    export_purged_at  TIMESTAMP,
    completed_by      TEXT      REFERENCES staff_users (id),
    completed_at      TIMESTAMP,
    created_at        TIMESTAMP NOT NULL,
    UNIQUE (request_id, system_id)
);
INSERT INTO system_tasks_rebuilt
SELECT id, request_id, system_id, kind, status, legal_ground, note, export_media_type, export_size,
       export_nonce, export_ciphertext, export_purged_at, completed_by, completed_at, created_at
FROM system_tasks WHERE kind IN ('export', 'erase');
DROP TABLE system_tasks;
ALTER TABLE system_tasks_rebuilt RENAME TO system_tasks;
CREATE INDEX system_tasks_open ON system_tasks (status, created_at);
COMMIT;
PRAGMA foreign_keys = ON;
