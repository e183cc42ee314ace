-- dbcare extension script, part 00: the bookkeeping schema, the settings store
-- and the version. The Makefile concatenates pg/sql/*.sql in order into
-- dbcare--<version>.sql. Every function pins its search_path, so nothing it
-- runs can be redirected by objects a caller put earlier on the path.

\echo Use "CREATE EXTENSION dbcare" to load this file. \quit

-- Bookkeeping lives in its own schema whatever schema the functions go to.
CREATE SCHEMA dbcare;
COMMENT ON SCHEMA dbcare IS 'dbcare bookkeeping: settings, migration history, health snapshots';

-- The bookkeeping tables: generated at build time from the bookkeeping
-- catalogue (core/book/tables.c) by pg/gen/book_sql.c in place of each
-- "-- dbcare:book <table>" line, with their indexes, comment, pg_dump
-- registration (pg_dump keeps the rows of an extension's configuration
-- table) and pg_monitor grant.
-- dbcare:book config

-- Monitoring roles read settings; changing them is for whom the DBA grants it.
GRANT USAGE ON SCHEMA dbcare TO pg_monitor;

-- The functions: generated at build time from the API table
-- (core/api/functions.h) by pg/gen/api_sql.c in place of the next line.
-- dbcare:api core

-- The API's "table dbcare_settings": SELECT * FROM dbcare_settings works too.
CREATE VIEW dbcare_settings AS SELECT * FROM dbcare_settings();
COMMENT ON VIEW dbcare_settings IS 'every dbcare setting with its value, default and description';
GRANT SELECT ON dbcare_settings TO pg_monitor;
