-- Every right carried out in each data system (sqlite; keep in step with
-- ../../postgres/2026-12-11-000025_task_kinds): besides exports and erasures, a system rectifies, restricts
-- or stops processing, and says so with a recorded outcome or the legal ground for not acting. SQLite
-- cannot change a CHECK, so system_tasks is rebuilt with its index; no row changes.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE system_tasks_rebuilt (
    id                TEXT      NOT NULL PRIMARY KEY,
    request_id        TEXT      NOT NULL REFERENCES requests (id),
    system_id         TEXT      NOT NULL REFERENCES data_systems (id),
    kind              TEXT      NOT NULL CHECK (kind IN ('export', 'erase', 'rectify', 'restrict', 'stop_processing')),
    status            TEXT      NOT NULL CHECK (status IN ('open', 'exported', 'no_data', 'erased', 'retained', 'rectified', 'restricted', 'stopped', 'declined')),
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
    -- Restricted: the processing still allowed (GDPR Art. 18(2)); stopped: the purposes the stop covers.
    purposes          TEXT,
    -- A restriction stays until lifted; the person is told before it is (Art. 18(3)).
    lifted_on         TEXT,
    lift_reason       TEXT,
    -- Review before release: the ground an officer withheld the export on (GDPR Art. 15(4), APPI
    -- 33(2)(i), PIPEDA s. 9(1)); the answer says so.
    withheld_ground   TEXT,
    UNIQUE (request_id, system_id)
);
INSERT INTO system_tasks_rebuilt
    (id, request_id, system_id, kind, status, legal_ground, note, export_media_type, export_size,
     export_nonce, export_ciphertext, export_purged_at, completed_by, completed_at, created_at)
SELECT id, request_id, system_id, kind, status, legal_ground, note, export_media_type, export_size,
       export_nonce, export_ciphertext, export_purged_at, completed_by, completed_at, created_at
FROM system_tasks;
DROP TABLE system_tasks;
ALTER TABLE system_tasks_rebuilt RENAME TO system_tasks;
CREATE INDEX system_tasks_open ON system_tasks (status, created_at);

-- What each system does for which right, the purposes it processes for and whom it discloses to (told of
-- rectifications, erasures and restrictions: GDPR Art. 19, CCPA §1798.105(c), §7023, PIPEDA 4.9.5).
ALTER TABLE data_systems ADD COLUMN serves TEXT NOT NULL
    DEFAULT '["export","erase","rectify","restrict","stop_processing"]';
ALTER TABLE data_systems ADD COLUMN purposes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE data_systems ADD COLUMN recipients TEXT NOT NULL DEFAULT '[]';
-- For the access answer (GDPR Art. 15(1)(g), (h); CCPA §1798.110): sources, automated decision-making
-- (empty: none declared) and the fields held but never disclosed (CCPA Regs. §7024(d)).
ALTER TABLE data_systems ADD COLUMN sources TEXT NOT NULL DEFAULT '';
ALTER TABLE data_systems ADD COLUMN automated_decisions TEXT NOT NULL DEFAULT '';
ALTER TABLE data_systems ADD COLUMN never_disclose TEXT NOT NULL DEFAULT '[]';

-- A change a system's owner recorded when closing a rectification task (NULL: recorded at the desk).
ALTER TABLE data_changes ADD COLUMN task_id TEXT REFERENCES system_tasks (id);
CREATE INDEX data_changes_task ON data_changes (task_id);
-- Four eyes (a procedure's `four_eyes`): a second officer approves an answer or refusal at the request's
-- version; any later change to the request makes the approval stale.
CREATE TABLE request_approvals (
    id              TEXT      NOT NULL PRIMARY KEY,
    request_id      TEXT      NOT NULL REFERENCES requests (id),
    event           TEXT      NOT NULL,
    request_version BIGINT    NOT NULL,
    approved_by     TEXT      NOT NULL REFERENCES staff_users (id),
    approved_at     TIMESTAMP NOT NULL,
    UNIQUE (request_id, event, request_version, approved_by)
);
-- Data-system owners (role system_owner) work only their own systems' tasks: staff_users is rebuilt for
-- its CHECK; every row and every reference to it stays.
CREATE TABLE staff_users_rebuilt (
    id            TEXT      NOT NULL PRIMARY KEY,
    email         TEXT      NOT NULL UNIQUE,
    role          TEXT      NOT NULL CHECK (role IN ('officer', 'auditor', 'admin', 'system_owner')),
    password_hash TEXT      NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    disabled_at   TIMESTAMP
);
INSERT INTO staff_users_rebuilt (id, email, role, password_hash, created_at, disabled_at)
SELECT id, email, role, password_hash, created_at, disabled_at FROM staff_users;
DROP TABLE staff_users;
ALTER TABLE staff_users_rebuilt RENAME TO staff_users;
COMMIT;
PRAGMA foreign_keys = ON;
