UPDATE staff_users SET disabled_at = COALESCE(disabled_at, CURRENT_TIMESTAMP), role = 'auditor'
    WHERE role = 'system_owner';
ALTER TABLE staff_users DROP CONSTRAINT staff_users_role_check;
ALTER TABLE staff_users ADD CONSTRAINT staff_users_role_check CHECK (role IN ('officer', 'auditor', 'admin'));
DROP TABLE request_approvals;
-- Back to exports and erasures only (postgres): tasks of the other kinds are dropped with their changes.
DROP INDEX data_changes_task;
DELETE FROM data_changes WHERE task_id IS NOT NULL;
ALTER TABLE data_changes DROP COLUMN task_id;
ALTER TABLE system_tasks DROP COLUMN withheld_ground;
ALTER TABLE data_systems DROP COLUMN never_disclose;
ALTER TABLE data_systems DROP COLUMN automated_decisions;
ALTER TABLE data_systems DROP COLUMN sources;
ALTER TABLE data_systems DROP COLUMN recipients;
ALTER TABLE data_systems DROP COLUMN purposes;
ALTER TABLE data_systems DROP COLUMN serves;
DELETE FROM system_tasks WHERE kind NOT IN ('export', 'erase');
ALTER TABLE system_tasks DROP COLUMN lift_reason;
ALTER TABLE system_tasks DROP COLUMN lifted_on;
ALTER TABLE system_tasks DROP COLUMN purposes;
ALTER TABLE system_tasks DROP CONSTRAINT system_tasks_status_check;
ALTER TABLE system_tasks ADD CONSTRAINT system_tasks_status_check
    CHECK (status IN ('open', 'exported', 'no_data', 'erased', 'retained'));
ALTER TABLE system_tasks DROP CONSTRAINT system_tasks_kind_check;
ALTER TABLE system_tasks ADD CONSTRAINT system_tasks_kind_check CHECK (kind IN ('export', 'erase'));
