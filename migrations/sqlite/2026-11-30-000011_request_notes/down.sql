DROP TABLE request_notes;
