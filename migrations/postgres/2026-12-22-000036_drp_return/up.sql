-- Where the person returns after confirming an agent's request (DRP §3.02.1 `redirect_to`): an address
-- on the agent's registered web origin, set when the agent opens the user-verification page for them
-- (postgres; keep in step with ../../sqlite/2026-12-22-000036_drp_return).
ALTER TABLE drp_requests ADD COLUMN redirect_to TEXT;
