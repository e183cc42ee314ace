-- dbcare 0.3.1 -> 0.3.2 (ALTER EXTENSION dbcare UPDATE): no object of the
-- extension changes; 0.3.2 changes the library only (and, on SQLite, the
-- bookkeeping: a backup's row keeps its file's SHA-256). The script exists
-- so that ALTER EXTENSION has a path to the version the library reports.
-- Leaves a database exactly as CREATE EXTENSION dbcare of 0.3.2 does;
-- test/script/pg_upgrade.sh compares the two, from every earlier version.
\echo Use "ALTER EXTENSION dbcare UPDATE TO '0.3.2'" to load this file. \quit
