-- Places and rights are data (postgres; keep in step with ../../sqlite/2026-12-06-000020_places_as_data):
-- `seeds/places/*.toml` and `seeds/regimes/*.toml` say which exist, so no CHECK list pins them and a new
-- law needs no migration. The five places requests were filed under before now take their ISO 3166 codes
-- (the place files keep the old ones as aliases, so the API still takes them); the audit log keeps the
-- code each request was filed under. Right codes are unchanged. The queue's count triggers move the open
-- requests' counts to the new codes.
ALTER TABLE requests DROP CONSTRAINT requests_request_type_check;
ALTER TABLE requests DROP CONSTRAINT requests_jurisdiction_check;
UPDATE requests SET jurisdiction = CASE jurisdiction
        WHEN 'japan' THEN 'JP'
        WHEN 'eea' THEN 'EEA'
        WHEN 'california' THEN 'US-CA'
        WHEN 'canada' THEN 'CA'
    END
    WHERE jurisdiction IN ('japan', 'eea', 'california', 'canada');
