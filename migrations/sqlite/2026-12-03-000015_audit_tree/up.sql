-- The audit log as a transparency log (sqlite; keep in step with the other backend's 2026-12-03-000015_audit_tree).
--
-- Writers no longer take a shared lock: an audited change inserts its event without a sequence number,
-- committing to its details with a random salt (SHA-256 over salt and details), in its own transaction.
-- One sequencer at a time (SQLite's single writer) integrates committed events in batches: it gives them
-- their sequence numbers, adds their RFC 9162 leaf hashes to the Merkle tree (stored as C2SP tlog-tiles of
-- height 8 in audit_tiles), and signs a checkpoint of the new tree (audit_checkpoints), in one transaction.
-- The events of the hash chain (1 .. chain_size) become the first leaves, in chain order; the head row that
-- serialised every append goes. Retention erases an event's details and salt only under a redaction record
-- already in the log; the database refuses every other change to an event.
ALTER TABLE audit_events ADD COLUMN details_salt TEXT;
ALTER TABLE audit_events ADD COLUMN committed_at TIMESTAMP;
ALTER TABLE audit_events ADD COLUMN integrated_at TIMESTAMP;
CREATE INDEX audit_events_pending ON audit_events (id) WHERE seq IS NULL AND details_sha256 IS NOT NULL;

CREATE TABLE audit_log_state (
    id                      INTEGER   NOT NULL PRIMARY KEY CHECK (id = 1),
    chain_size              BIGINT    NOT NULL,
    origin                  TEXT,
    verifier_key            TEXT,
    key_recorded_at         TIMESTAMP,
    closures_carried_at     TIMESTAMP
);
INSERT INTO audit_log_state (id, chain_size) SELECT 1, COALESCE(MAX(seq), 0) FROM audit_events;

CREATE TABLE audit_tiles (
    level  INTEGER NOT NULL,
    idx    BIGINT  NOT NULL,
    hashes BLOB    NOT NULL,
    PRIMARY KEY (level, idx)
);

CREATE TABLE audit_checkpoints (
    size      BIGINT    NOT NULL PRIMARY KEY,
    root_hash TEXT      NOT NULL,
    note      TEXT      NOT NULL,
    signed_at TIMESTAMP NOT NULL
);

DROP TABLE audit_chain_head;

DROP TRIGGER audit_events_no_update;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
WHEN NOT (OLD.details_sha256 IS NOT NULL
      AND NEW.id = OLD.id AND NEW.occurred_at = OLD.occurred_at AND NEW.action = OLD.action
      AND NEW.actor_kind = OLD.actor_kind AND NEW.actor_id IS OLD.actor_id
      AND NEW.request_id IS OLD.request_id AND NEW.from_state IS OLD.from_state
      AND NEW.to_state IS OLD.to_state AND NEW.prev_hash IS OLD.prev_hash AND NEW.hash IS OLD.hash
      AND NEW.details_sha256 IS OLD.details_sha256 AND NEW.committed_at IS OLD.committed_at
      AND (
        -- The sequencer integrates an event once: its sequence number and when.
        (OLD.seq IS NULL AND NEW.seq IS NOT NULL AND OLD.prev_hash IS NULL
         AND OLD.integrated_at IS NULL AND NEW.integrated_at IS NOT NULL
         AND NEW.details IS OLD.details AND NEW.details_salt IS OLD.details_salt
         AND NEW.redacted_at IS OLD.redacted_at)
        OR
        -- Retention erases an integrated event's details and salt, once, under its redaction record.
        (OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL
         AND OLD.seq IS NOT NULL AND NEW.seq IS OLD.seq AND NEW.integrated_at IS OLD.integrated_at
         AND NEW.details = '{"redacted":true}' AND NEW.details_salt IS NULL
         AND EXISTS (SELECT 1 FROM audit_events r
                     WHERE r.request_id = OLD.request_id AND r.action = 'request.records_purged'
                       AND r.details LIKE '%"' || OLD.id || '"%'))))
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

-- A tile only grows (a partial tile gains hashes until it holds 256); nothing else changes.
CREATE TRIGGER audit_tiles_grow_only BEFORE UPDATE ON audit_tiles
WHEN NOT (NEW.level = OLD.level AND NEW.idx = OLD.idx
      AND length(NEW.hashes) > length(OLD.hashes) AND length(NEW.hashes) <= 8192
      AND substr(NEW.hashes, 1, length(OLD.hashes)) = OLD.hashes)
BEGIN
    SELECT RAISE(ABORT, 'audit_tiles only grow');
END;
CREATE TRIGGER audit_tiles_no_delete BEFORE DELETE ON audit_tiles
BEGIN
    SELECT RAISE(ABORT, 'audit_tiles only grow');
END;

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;

-- The key is recorded once; the chain's size never changes.
CREATE TRIGGER audit_log_state_guard BEFORE UPDATE ON audit_log_state
WHEN NOT (NEW.id = OLD.id AND NEW.chain_size = OLD.chain_size
      AND (OLD.verifier_key IS NULL
           OR (NEW.verifier_key = OLD.verifier_key AND NEW.origin = OLD.origin
               AND NEW.key_recorded_at = OLD.key_recorded_at))
      AND (OLD.closures_carried_at IS NULL OR NEW.closures_carried_at = OLD.closures_carried_at))
BEGIN
    SELECT RAISE(ABORT, 'audit_log_state: the key is recorded once');
END;
CREATE TRIGGER audit_log_state_no_delete BEFORE DELETE ON audit_log_state
BEGIN
    SELECT RAISE(ABORT, 'audit_log_state: the key is recorded once');
END;
