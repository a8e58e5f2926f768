-- Privacy preferences (postgres; keep in step with ../../sqlite/2026-12-20-000034_preferences): each choice a person
-- stated (an opt-out of the sale or sharing of their personal information, a limit on the use of their
-- sensitive data, their own opt-in again), newest last, so that data systems can ask where someone stands
-- and an auditor can see how it came to be. A person is found by the SHA-256 of their email address's
-- lookup form (and of their account id, where known), never by the address itself: the choice outlives the
-- request that carried it, whose personal data retention erases.
CREATE TABLE privacy_preferences (
    id            TEXT      NOT NULL PRIMARY KEY,
    email_sha256  TEXT,
    account_sha256 TEXT,
    kind          TEXT      NOT NULL,
    value         TEXT      NOT NULL CHECK (value IN ('opted_out', 'opted_in')),
    source        TEXT      NOT NULL CHECK (source IN ('request', 'gpc')),
    regime        TEXT      NOT NULL,
    request_id    TEXT      REFERENCES requests (id),
    recorded_at   TIMESTAMP NOT NULL,
    CHECK (email_sha256 IS NOT NULL OR account_sha256 IS NOT NULL)
);
CREATE INDEX privacy_preferences_email ON privacy_preferences (email_sha256, kind, recorded_at);
CREATE INDEX privacy_preferences_account ON privacy_preferences (account_sha256, kind, recorded_at);
CREATE INDEX privacy_preferences_recorded ON privacy_preferences (source, recorded_at);
