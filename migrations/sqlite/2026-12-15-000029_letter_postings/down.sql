DROP TABLE letter_postings;
