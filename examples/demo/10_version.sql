-- dbcare is loaded: its version and settings
SELECT dbcare_version() AS dbcare_version, sqlite_version() AS sqlite_version;
SELECT key, value FROM dbcare_settings;
