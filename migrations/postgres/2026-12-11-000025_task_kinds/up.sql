-- Every right carried out in each data system (postgres; keep in step with
-- ../../sqlite/2026-12-11-000025_task_kinds): besides exports and erasures, a system rectifies, restricts
-- or stops processing, and says so with a recorded outcome or the legal ground for not acting.
ALTER TABLE system_tasks DROP CONSTRAINT system_tasks_kind_check;
ALTER TABLE system_tasks ADD CONSTRAINT system_tasks_kind_check
    CHECK (kind IN ('export', 'erase', 'rectify', 'restrict', 'stop_processing'));
ALTER TABLE system_tasks DROP CONSTRAINT system_tasks_status_check;
ALTER TABLE system_tasks ADD CONSTRAINT system_tasks_status_check
    CHECK (status IN ('open', 'exported', 'no_data', 'erased', 'retained', 'rectified', 'restricted',
                      'stopped', 'declined'));
-- Restricted: the processing still allowed (GDPR Art. 18(2)); stopped: the purposes the stop covers.
ALTER TABLE system_tasks ADD COLUMN purposes TEXT;
-- A restriction stays until lifted; the person is told before it is (Art. 18(3)): the day it ends and why.
ALTER TABLE system_tasks ADD COLUMN lifted_on TEXT;
ALTER TABLE system_tasks ADD COLUMN lift_reason TEXT;

-- What each system does for which right (a JSON array of task kinds), the purposes it processes for
-- (purpose notices, stops of processing) and whom it discloses to (told of rectifications, erasures
-- and restrictions: GDPR Art. 19, CCPA §1798.105(c), §7023, PIPEDA 4.9.5), a JSON array of
-- {name, email, role, language}. Systems registered before serve every kind.
ALTER TABLE data_systems ADD COLUMN serves TEXT NOT NULL
    DEFAULT '["export","erase","rectify","restrict","stop_processing"]';
ALTER TABLE data_systems ADD COLUMN purposes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE data_systems ADD COLUMN recipients TEXT NOT NULL DEFAULT '[]';
-- For the access answer (GDPR Art. 15(1)(g), (h); CCPA §1798.110): where the system's data comes from,
-- the automated decision-making it does (empty: none declared), and the fields it holds but never
-- discloses (CCPA Regs. §7024(d): government identifiers, account numbers, passwords, biometrics), a
-- JSON array of field names dropped from its exports.
ALTER TABLE data_systems ADD COLUMN sources TEXT NOT NULL DEFAULT '';
ALTER TABLE data_systems ADD COLUMN automated_decisions TEXT NOT NULL DEFAULT '';
ALTER TABLE data_systems ADD COLUMN never_disclose TEXT NOT NULL DEFAULT '[]';
-- Review before release: an officer withholds a system's export from the answer, on a ground (other
-- people's data: GDPR Art. 15(4), APPI 33(2)(i), PIPEDA s. 9(1)); the answer says so.
ALTER TABLE system_tasks ADD COLUMN withheld_ground TEXT;

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

-- Data-system owners (role system_owner) work only their own systems' tasks.
ALTER TABLE staff_users DROP CONSTRAINT staff_users_role_check;
ALTER TABLE staff_users ADD CONSTRAINT staff_users_role_check
    CHECK (role IN ('officer', 'auditor', 'admin', 'system_owner'));
