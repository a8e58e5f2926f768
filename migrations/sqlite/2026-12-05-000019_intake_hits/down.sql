DROP TABLE intake_hits;
