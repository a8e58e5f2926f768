-- Purpose notification and the CCPA right to know the categories are answered from the registry for the
-- systems that hold the person (sqlite; keep in step with ../../postgres/2026-12-12-000026_locate_and_guardians):
-- a `locate` task asks each system whether it does (`held` or `no_data`). SQLite cannot change a CHECK,
-- so system_tasks is rebuilt with its index; no row changes.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE system_tasks_rebuilt (
    id                TEXT      NOT NULL PRIMARY KEY,
    request_id        TEXT      NOT NULL REFERENCES requests (id),
    system_id         TEXT      NOT NULL REFERENCES data_systems (id),
    kind              TEXT      NOT NULL CHECK (kind IN ('export', 'erase', 'rectify', 'restrict', 'stop_processing', 'locate')),
    status            TEXT      NOT NULL CHECK (status IN ('open', 'exported', 'no_data', 'erased', 'retained', 'rectified', 'restricted', 'stopped', 'declined', 'held')),
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
INSERT INTO system_tasks_rebuilt SELECT * FROM system_tasks;
DROP TABLE system_tasks;
ALTER TABLE system_tasks_rebuilt RENAME TO system_tasks;
CREATE INDEX system_tasks_open ON system_tasks (status, created_at);

-- A guardian's filing records its basis: a minor (the person's birth date, under the law's age of
-- `minor_under` on the day of filing) or an adult under guardianship or conservatorship.
ALTER TABLE request_on_behalf ADD COLUMN guardian_basis TEXT CHECK (guardian_basis IN ('minor', 'guardianship'));
ALTER TABLE request_on_behalf ADD COLUMN person_born_on TEXT;
ALTER TABLE request_on_behalf ADD COLUMN minor_under INTEGER;
COMMIT;
PRAGMA foreign_keys = ON;

-- A system that can export a person's data can say whether it holds any: it serves `locate` too.
UPDATE data_systems SET serves = REPLACE(serves, ']', ',"locate"]')
    WHERE serves LIKE '%"export"%' AND serves NOT LIKE '%"locate"%';
