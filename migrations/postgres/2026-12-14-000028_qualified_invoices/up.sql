-- Qualified invoices (keep in step with ../../sqlite/2026-12-14-000028_qualified_invoices):
-- an invoice keeps the consumption tax it was issued with (the rate of its day, the tax its total
-- contains, rounded once) and the issuer's registration number, so it reprints as issued.
ALTER TABLE invoices ADD COLUMN tax_rate_percent BIGINT;
ALTER TABLE invoices ADD COLUMN tax_yen BIGINT;
ALTER TABLE invoices ADD COLUMN registration_number TEXT;
