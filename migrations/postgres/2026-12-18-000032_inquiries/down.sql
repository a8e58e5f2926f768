DELETE FROM notices WHERE inquiry_id IS NOT NULL;
DROP INDEX notices_inquiry;
ALTER TABLE notices DROP CONSTRAINT notices_one_subject;
ALTER TABLE notices DROP COLUMN inquiry_id;
ALTER TABLE notices ALTER COLUMN request_id SET NOT NULL;
DROP TABLE inquiries;
