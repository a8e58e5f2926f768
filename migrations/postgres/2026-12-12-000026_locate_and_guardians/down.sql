ALTER TABLE request_on_behalf DROP COLUMN minor_under;
ALTER TABLE request_on_behalf DROP COLUMN person_born_on;
ALTER TABLE request_on_behalf DROP COLUMN guardian_basis;
DELETE FROM system_tasks WHERE kind = 'locate';
ALTER TABLE system_tasks DROP CONSTRAINT system_tasks_kind_check;
ALTER TABLE system_tasks ADD CONSTRAINT system_tasks_kind_check
    CHECK (kind IN ('export', 'erase', 'rectify', 'restrict', 'stop_processing'));
ALTER TABLE system_tasks DROP CONSTRAINT system_tasks_status_check;
ALTER TABLE system_tasks ADD CONSTRAINT system_tasks_status_check
    CHECK (status IN ('open', 'exported', 'no_data', 'erased', 'retained', 'rectified', 'restricted',
                      'stopped', 'declined'));
