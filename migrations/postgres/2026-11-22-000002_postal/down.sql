DROP TABLE postal_details;
