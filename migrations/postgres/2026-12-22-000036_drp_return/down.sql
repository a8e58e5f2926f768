ALTER TABLE drp_requests DROP COLUMN redirect_to;
