-- The Data Rights Protocol (sqlite; keep in step with ../../postgres/2026-12-21-000035_drp): the authorised
-- agents an administrator registered from the service directory (their Ed25519 keys), the bearer tokens
-- their pair-wise key setups received (SHA-256 digests only), which requests each agent filed, and the
-- signed bodies already received (a replay inside its validity window is refused).
CREATE TABLE drp_agents (
    id                TEXT      NOT NULL PRIMARY KEY,
    name              TEXT      NOT NULL,
    verify_key        TEXT      NOT NULL,
    web_url           TEXT,
    technical_contact TEXT,
    business_contact  TEXT,
    callback_hosts    TEXT      NOT NULL DEFAULT '[]',
    added_by          TEXT      NOT NULL,
    added_at          TIMESTAMP NOT NULL,
    removed_at        TIMESTAMP
);
CREATE TABLE drp_tokens (
    token_sha256 TEXT      NOT NULL PRIMARY KEY,
    agent_id     TEXT      NOT NULL REFERENCES drp_agents (id),
    created_at   TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP
);
CREATE INDEX drp_tokens_agent ON drp_tokens (agent_id);
CREATE TABLE drp_requests (
    request_id       TEXT      NOT NULL PRIMARY KEY REFERENCES requests (id),
    agent_id         TEXT      NOT NULL REFERENCES drp_agents (id),
    action           TEXT      NOT NULL,
    agent_request_id TEXT,
    status_callback  TEXT,
    verified_claims  TEXT      NOT NULL DEFAULT '[]',
    created_at       TIMESTAMP NOT NULL,
    -- The status last queued for the agent's callback (JSON), to send only what changed.
    last_status      TEXT
);
CREATE UNIQUE INDEX drp_requests_agent_request ON drp_requests (agent_id, agent_request_id);
-- Status callbacks (§2.03): an outbox of its own, queued in the transaction that changed the status,
-- retried with backoff; a newer status supersedes one not yet delivered.
CREATE TABLE drp_callbacks (
    id              TEXT      NOT NULL PRIMARY KEY,
    request_id      TEXT      NOT NULL REFERENCES requests (id),
    agent_id        TEXT      NOT NULL REFERENCES drp_agents (id),
    url             TEXT      NOT NULL,
    body            TEXT      NOT NULL,
    status          TEXT      NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'superseded')),
    attempts        INTEGER   NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until   TIMESTAMP,
    last_error      TEXT,
    created_at      TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP
);
CREATE INDEX drp_callbacks_due ON drp_callbacks (status, next_attempt_at);
CREATE TABLE drp_seen (
    signature  TEXT      NOT NULL PRIMARY KEY,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX drp_seen_expiry ON drp_seen (expires_at);
