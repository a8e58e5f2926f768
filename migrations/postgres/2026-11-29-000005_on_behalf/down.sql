DROP TABLE request_on_behalf;
