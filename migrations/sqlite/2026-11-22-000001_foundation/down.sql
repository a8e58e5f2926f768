DROP TRIGGER audit_events_no_delete;
DROP TRIGGER audit_events_no_update;
DROP TABLE audit_events;
DROP TABLE setup_links;
DROP TABLE staff_sessions;
DROP TABLE staff_users;
DROP TABLE requests;
DROP TABLE workflow_definitions;
