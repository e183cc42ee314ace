-- dbcare 0.3.5 -> 0.3.6 (ALTER EXTENSION dbcare UPDATE).
-- Leaves a database exactly as CREATE EXTENSION dbcare of 0.3.6 does;
-- test/script/pg_upgrade.sh compares the two, from every earlier version.
\echo Use "ALTER EXTENSION dbcare UPDATE TO '0.3.6'" to load this file. \quit
