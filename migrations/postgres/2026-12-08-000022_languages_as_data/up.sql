-- Languages are data (postgres; keep in step with ../../sqlite/2026-12-08-000022_languages_as_data): a
-- folder of Fluent files in `templates/i18n/` adds one, so no CHECK list pins the language a request or a
-- notice is written in (kaiji checks it is one it speaks when the request is filed).
ALTER TABLE requests DROP CONSTRAINT requests_language_check;
ALTER TABLE notices DROP CONSTRAINT notices_language_check;
