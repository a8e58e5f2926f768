-- No more legal holds (postgres): held requests are erased on their ordinary schedule again.
ALTER TABLE requests DROP COLUMN legal_hold_reason;
ALTER TABLE requests DROP COLUMN legal_hold_since;
