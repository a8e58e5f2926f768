-- Data systems and the tasks requests create in them (postgres). Keep in step with
-- ../../sqlite/2026-11-29-000004_data_systems/up.sql.

-- The registry: where personal data lives, who answers for it, what it holds, how long, how it is erased.
CREATE TABLE data_systems (
    id              TEXT      NOT NULL PRIMARY KEY,
    name            TEXT      NOT NULL UNIQUE,
    owner_email     TEXT      NOT NULL,
    -- JSON array of data categories.
    categories      TEXT      NOT NULL,
    retention       TEXT      NOT NULL,
    deletion_method TEXT      NOT NULL,
    active          BOOLEAN   NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);

-- One task per request and system: export the person's data, or erase it (or keep some on a legal
-- ground). An export is stored encrypted like other files and erased with them after retention.
CREATE TABLE system_tasks (
    id                TEXT      NOT NULL PRIMARY KEY,
    request_id        TEXT      NOT NULL REFERENCES requests (id),
    system_id         TEXT      NOT NULL REFERENCES data_systems (id),
    kind              TEXT      NOT NULL CHECK (kind IN ('export', 'erase')),
    status            TEXT      NOT NULL CHECK (status IN ('open', 'exported', 'no_data', 'erased', 'retained')),
    legal_ground      TEXT,
    note              TEXT      NOT NULL,
    export_media_type TEXT      CHECK (export_media_type IN ('application/json', 'text/csv')),
    export_size       BIGINT,
    export_nonce      BYTEA,
    export_ciphertext BYTEA,
    export_purged_at  TIMESTAMP,
    completed_by      TEXT      REFERENCES staff_users (id),
    completed_at      TIMESTAMP,
    created_at        TIMESTAMP NOT NULL,
    UNIQUE (request_id, system_id)
);
CREATE INDEX system_tasks_open ON system_tasks (status, created_at);
