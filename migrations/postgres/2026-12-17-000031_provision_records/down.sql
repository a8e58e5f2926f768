DROP TABLE request_provision_records;
DROP TABLE provision_records;
