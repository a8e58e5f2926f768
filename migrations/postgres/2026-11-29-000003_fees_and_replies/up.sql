-- Fees, payments and replies (postgres). Keep in step with ../../sqlite/2026-11-29-000003_fees_and_replies/up.sql.

-- Fee invoices (請求書), in integer yen. One per request that carries a fee.
CREATE TABLE invoices (
    id          TEXT      NOT NULL PRIMARY KEY,
    request_id  TEXT      NOT NULL REFERENCES requests (id),
    number      TEXT      NOT NULL UNIQUE,
    unit_yen    BIGINT    NOT NULL CHECK (unit_yen > 0),
    services    BIGINT    NOT NULL CHECK (services > 0),
    amount_yen  BIGINT    NOT NULL CHECK (amount_yen > 0),
    issued_on   TEXT      NOT NULL,
    due_on      TEXT      NOT NULL,
    status      TEXT      NOT NULL CHECK (status IN ('unpaid', 'paid')),
    created_by  TEXT      NOT NULL REFERENCES staff_users (id),
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX invoices_request ON invoices (request_id);
CREATE INDEX invoices_status ON invoices (status);

-- Payments received, one by one or from a bank statement. An unmatched payment has no invoice yet and
-- waits for an officer.
CREATE TABLE payments (
    id          TEXT      NOT NULL PRIMARY KEY,
    invoice_id  TEXT      REFERENCES invoices (id),
    paid_on     TEXT      NOT NULL,
    amount_yen  BIGINT    NOT NULL CHECK (amount_yen > 0),
    payer_name  TEXT      NOT NULL,
    reference   TEXT      NOT NULL,
    source      TEXT      NOT NULL CHECK (source IN ('manual', 'bank_statement')),
    matched_by  TEXT      CHECK (matched_by IN ('invoice_number', 'payer_and_amount', 'officer')),
    recorded_by TEXT      NOT NULL REFERENCES staff_users (id),
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX payments_invoice ON payments (invoice_id);
-- Importing a statement again is checked against these (identical transfers on one statement are kept).
CREATE INDEX payments_statement_line ON payments (paid_on, amount_yen, payer_name, reference);

-- The reply sent by 配達証明付書留 (a registered-mail dispatch): the outbound tracking number, the day it
-- was posted, and the day on the delivery certificate, which closes the request.
CREATE TABLE reply_dispatches (
    request_id      TEXT      NOT NULL PRIMARY KEY REFERENCES requests (id),
    tracking_number TEXT      NOT NULL,
    dispatched_on   TEXT      NOT NULL,
    delivered_on    TEXT,
    recorded_by     TEXT      NOT NULL REFERENCES staff_users (id),
    created_at      TIMESTAMP NOT NULL
);

-- An access answer as one encrypted ZIP (the data from each system and the processing information),
-- erased when its download expires.
CREATE TABLE answer_packages (
    id          TEXT      NOT NULL PRIMARY KEY,
    request_id  TEXT      NOT NULL REFERENCES requests (id),
    size_bytes  BIGINT    NOT NULL,
    nonce       BYTEA     NOT NULL,
    ciphertext  BYTEA     NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    purged_at   TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX answer_packages_request ON answer_packages (request_id);

-- A reply (an uploaded file or an answer package) released for download. The link is signed (HMAC of the id), so nothing secret is stored; it
-- works until expires_at. The first download closes the request.
CREATE TABLE reply_downloads (
    id                  TEXT      NOT NULL PRIMARY KEY,
    request_id          TEXT      NOT NULL REFERENCES requests (id),
    file_id             TEXT      REFERENCES stored_files (id),
    package_id          TEXT      REFERENCES answer_packages (id),
    -- Downloads allowed through this link.
    max_downloads       BIGINT    NOT NULL,
    expires_at          TIMESTAMP NOT NULL,
    -- An officer can withdraw a link sent to the wrong place.
    revoked_at          TIMESTAMP,
    first_downloaded_at TIMESTAMP,
    downloads           BIGINT    NOT NULL DEFAULT 0,
    created_by          TEXT      NOT NULL REFERENCES staff_users (id),
    created_at          TIMESTAMP NOT NULL,
    CHECK ((file_id IS NULL) <> (package_id IS NULL))
);
CREATE INDEX reply_downloads_request ON reply_downloads (request_id);

-- What a correction, deletion or stop of use changed, for the reply. Corrections keep the prior value;
-- deletions keep only what was deleted, never the data itself.
CREATE TABLE data_changes (
    id          TEXT      NOT NULL PRIMARY KEY,
    request_id  TEXT      NOT NULL REFERENCES requests (id),
    action      TEXT      NOT NULL CHECK (action IN ('corrected', 'deleted', 'use_stopped')),
    item        TEXT      NOT NULL,
    prior_value TEXT,
    new_value   TEXT,
    recorded_by TEXT      NOT NULL REFERENCES staff_users (id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX data_changes_request ON data_changes (request_id);

-- What a notice says beyond its kind (reasons, amounts, missing documents, tracking numbers), as it was
-- when the notice was queued: the printed letter shows exactly that.
ALTER TABLE notices ADD COLUMN payload TEXT NOT NULL DEFAULT '{}';
