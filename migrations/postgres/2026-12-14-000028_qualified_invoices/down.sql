ALTER TABLE invoices DROP COLUMN registration_number;
ALTER TABLE invoices DROP COLUMN tax_yen;
ALTER TABLE invoices DROP COLUMN tax_rate_percent;
