PRAGMA foreign_keys = OFF;
BEGIN;
ALTER TABLE request_on_behalf DROP COLUMN minor_under;
ALTER TABLE request_on_behalf DROP COLUMN person_born_on;
ALTER TABLE request_on_behalf DROP COLUMN guardian_basis;
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
    purposes          TEXT,
    lifted_on         TEXT,
    lift_reason       TEXT,
    withheld_ground   TEXT,
    UNIQUE (request_id, system_id)
);
INSERT INTO system_tasks_rebuilt SELECT * FROM system_tasks WHERE kind <> 'locate';
DROP TABLE system_tasks;
ALTER TABLE system_tasks_rebuilt RENAME TO system_tasks;
CREATE INDEX system_tasks_open ON system_tasks (status, created_at);
COMMIT;
PRAGMA foreign_keys = ON;
