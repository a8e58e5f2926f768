DROP TRIGGER audit_events_no_truncate ON audit_events;
DROP TRIGGER audit_events_no_update_or_delete ON audit_events;
DROP FUNCTION audit_events_append_only();
DROP TABLE audit_events;
DROP TABLE setup_links;
DROP TABLE staff_sessions;
DROP TABLE staff_users;
DROP TABLE requests;
DROP TABLE workflow_definitions;
