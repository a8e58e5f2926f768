DROP INDEX requests_unconfirmed;
DROP INDEX request_clocks_remind;
ALTER TABLE request_clocks DROP COLUMN remind_at;
