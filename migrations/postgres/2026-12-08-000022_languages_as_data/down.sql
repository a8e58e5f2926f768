-- Back to Japanese and English only (postgres). A request or notice in another language blocks the way
-- back: the CHECK fails, and the operator decides what those become.
ALTER TABLE notices ADD CONSTRAINT notices_language_check CHECK (language IN ('ja', 'en'));
ALTER TABLE requests ADD CONSTRAINT requests_language_check CHECK (language IN ('ja', 'en'));
