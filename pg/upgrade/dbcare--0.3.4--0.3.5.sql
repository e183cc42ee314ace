-- dbcare 0.3.4 -> 0.3.5 (ALTER EXTENSION dbcare UPDATE).
-- Leaves a database exactly as CREATE EXTENSION dbcare of 0.3.5 does;
-- test/script/pg_upgrade.sh compares the two, from every earlier version.
\echo Use "ALTER EXTENSION dbcare UPDATE TO '0.3.5'" to load this file. \quit

-- Backups the command makes (docs/backups.md): a dump's SHA-256 and the
-- content at its snapshot, pgBackRest's label and WAL range.
ALTER TABLE dbcare.backups ADD COLUMN sha256 text, ADD COLUMN contents jsonb,
    ADD COLUMN label text, ADD COLUMN wal_start text, ADD COLUMN wal_stop text;
