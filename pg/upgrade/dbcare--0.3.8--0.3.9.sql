-- dbcare 0.3.8 -> 0.3.9 (ALTER EXTENSION dbcare UPDATE).
-- Leaves a database exactly as CREATE EXTENSION dbcare of 0.3.9 does;
-- test/script/pg_upgrade.sh compares the two, from every earlier version.
\echo Use "ALTER EXTENSION dbcare UPDATE TO '0.3.9'" to load this file. \quit
