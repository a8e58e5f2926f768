ALTER TABLE payments DROP COLUMN match_reason;
ALTER TABLE postal_details DROP COLUMN agent_address;
ALTER TABLE postal_details DROP COLUMN agent_name_kana;
ALTER TABLE postal_details DROP COLUMN subject_name_kana;
