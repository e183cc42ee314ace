-- dbcare extension script, part 80: verified backups and their catalog (docs/backups.md).
-- PostgreSQL backups are made outside the database (pg_dump, pg_basebackup,
-- pgBackRest, ...); the tool that made one records it with dbbackup_record.
-- The catalog survives pg_dump; monitoring roles read it.

-- dbcare:book backups

-- Restore points (dbbackup_mark): a label, the moment, the schema
-- fingerprint and the audit chains' heads at the mark, and where the
-- mark is: the LSN of its restore point (the same columns on SQLite,
-- where backup_id names the backup taken for the mark).
-- dbcare:book backup_marks

-- Restore drills (dbbackup_drill, `dbcare backup drill`): a backup restored
-- into scratch, checked and compared with its record; the health check
-- backup_drills grades the age of the newest good one. backup_id is the
-- catalog row drilled (the newest link of a chain).
-- dbcare:book backup_drills

-- The functions: generated at build time from the API table
-- (core/api/functions.h) by pg/gen/api_sql.c in place of the next line.
-- dbcare:api backup
