-- dbcare extension script, part 10: schema snapshot, fingerprint and diff.
-- They only read the catalogs, so PUBLIC keeps EXECUTE.

-- The functions: generated at build time from the API table
-- (core/api/functions.h) by pg/gen/api_sql.c in place of the next line.
-- dbcare:api schema
