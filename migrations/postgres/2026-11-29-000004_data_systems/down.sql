DROP TABLE system_tasks;
DROP TABLE data_systems;
