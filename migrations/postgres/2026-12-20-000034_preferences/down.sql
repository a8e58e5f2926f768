DROP TABLE privacy_preferences;
