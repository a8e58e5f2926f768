-- Bank matching (keep in step with ../../sqlite/2026-12-13-000027_kana_and_match_reasons):
-- the requester's and the agent's names in kana (フリガナ), as banks print payers, and the agent's address;
-- every imported payment keeps why it was matched, or why it was left for an officer (JSON).
ALTER TABLE postal_details ADD COLUMN subject_name_kana TEXT;
ALTER TABLE postal_details ADD COLUMN agent_name_kana TEXT;
ALTER TABLE postal_details ADD COLUMN agent_address TEXT;
ALTER TABLE payments ADD COLUMN match_reason TEXT;
