-- Purpose notification and the CCPA right to know the categories are answered from the registry for the
-- systems that hold the person (postgres; keep in step with ../../sqlite/2026-12-12-000026_locate_and_guardians):
-- a `locate` task asks each system whether it does (`held` or `no_data`).
ALTER TABLE system_tasks DROP CONSTRAINT system_tasks_kind_check;
ALTER TABLE system_tasks ADD CONSTRAINT system_tasks_kind_check
    CHECK (kind IN ('export', 'erase', 'rectify', 'restrict', 'stop_processing', 'locate'));
ALTER TABLE system_tasks DROP CONSTRAINT system_tasks_status_check;
ALTER TABLE system_tasks ADD CONSTRAINT system_tasks_status_check
    CHECK (status IN ('open', 'exported', 'no_data', 'erased', 'retained', 'rectified', 'restricted',
                      'stopped', 'declined', 'held'));

-- A guardian's filing records its basis: a minor (the person's birth date, under the law's age of
-- `minor_under` on the day of filing) or an adult under guardianship or conservatorship.
ALTER TABLE request_on_behalf ADD COLUMN guardian_basis TEXT CHECK (guardian_basis IN ('minor', 'guardianship'));
ALTER TABLE request_on_behalf ADD COLUMN person_born_on TEXT;
ALTER TABLE request_on_behalf ADD COLUMN minor_under INTEGER;

-- A system that can export a person's data can say whether it holds any: it serves `locate` too.
UPDATE data_systems SET serves = REPLACE(serves, ']', ',"locate"]')
    WHERE serves LIKE '%"export"%' AND serves NOT LIKE '%"locate"%';
