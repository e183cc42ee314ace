-- dbcare 0.3.2 -> 0.3.3 (ALTER EXTENSION dbcare UPDATE).
-- Leaves a database exactly as CREATE EXTENSION dbcare of 0.3.3 does;
-- test/script/pg_upgrade.sh compares the two, from every earlier version.
\echo Use "ALTER EXTENSION dbcare UPDATE TO '0.3.3'" to load this file. \quit

-- dbcare.migrations(version) and dbcare.migrations_applied(version): unique
-- indexes instead of UNIQUE constraints, so that a sweep of pg_constraint for
-- the UNIQUE constraints of a user's own table "migrations" never finds them.
ALTER TABLE dbcare.migrations DROP CONSTRAINT dbcare_migrations_version_key;
CREATE UNIQUE INDEX dbcare_migrations_version_key ON dbcare.migrations (version);
ALTER TABLE dbcare.migrations_applied DROP CONSTRAINT dbcare_migrations_applied_version_key;
CREATE UNIQUE INDEX dbcare_migrations_applied_version_key ON dbcare.migrations_applied (version);
