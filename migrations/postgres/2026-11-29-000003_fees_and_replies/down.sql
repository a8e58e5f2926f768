ALTER TABLE notices DROP COLUMN payload;
DROP TABLE data_changes;
DROP TABLE reply_downloads;
DROP TABLE answer_packages;
DROP TABLE reply_dispatches;
DROP TABLE payments;
DROP TABLE invoices;
