DROP TABLE identity_documents;
DROP TABLE stored_files;
DROP TABLE postal_details;
