-- dbcare extension script, part 80: verified backups and their catalog (docs/backups.md).
-- The functions are declared in the API table; the build writes their
-- statements at the marker below.

-- dbcare:api backup
