-- The register of provision to and receipt from third parties (APPI Arts. 29-30), which answers Art. 33(5)
-- (keep in step with ../../sqlite/2026-12-17-000031_provision_records). The person's name, kana and e-mail
-- address are also kept folded (name_key, kana_key, email_key) to find a requester's records; a record is
-- erased the day after kept_until.
CREATE TABLE provision_records (
    id                          TEXT      NOT NULL PRIMARY KEY,
    regime                      TEXT      NOT NULL,
    direction                   TEXT      NOT NULL CHECK (direction IN ('provided', 'received')),
    method                      TEXT      NOT NULL,
    basis                       TEXT      NOT NULL,
    provided_on                 TEXT      NOT NULL,
    last_provided_on            TEXT,
    counterparty_name           TEXT      NOT NULL,
    counterparty_address        TEXT,
    counterparty_representative TEXT,
    acquired_how                TEXT,
    person_name                 TEXT      NOT NULL,
    person_kana                 TEXT,
    person_email                TEXT,
    person_address              TEXT,
    name_key                    TEXT      NOT NULL,
    kana_key                    TEXT,
    email_key                   TEXT,
    items                       TEXT      NOT NULL,
    kept_until                  TEXT      NOT NULL,
    recorded_by                 TEXT      NOT NULL,
    created_at                  TIMESTAMP NOT NULL
);
CREATE INDEX provision_records_name ON provision_records (name_key);
CREATE INDEX provision_records_kana ON provision_records (kana_key);
CREATE INDEX provision_records_email ON provision_records (email_key);
CREATE INDEX provision_records_kept ON provision_records (kept_until);

-- The records an officer confirmed are a request's person's, disclosed in its answer.
CREATE TABLE request_provision_records (
    request_id  TEXT      NOT NULL REFERENCES requests (id),
    record_id   TEXT      NOT NULL REFERENCES provision_records (id),
    attached_by TEXT      NOT NULL REFERENCES staff_users (id),
    attached_at TIMESTAMP NOT NULL,
    PRIMARY KEY (request_id, record_id)
);
CREATE INDEX request_provision_records_record ON request_provision_records (record_id);
