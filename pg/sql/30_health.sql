-- dbcare extension script, part 30: health reports. Snapshots live in the
-- bookkeeping schema and survive pg_dump; reading functions are for monitoring
-- roles (pg_monitor), recording a snapshot is for whom the DBA grants it.

-- dbcare:book health_snapshots

-- dbcare:book health_table_sizes

-- dbcare:book health_query_stats

-- The functions: generated at build time from the API table
-- (core/api/functions.h) by pg/gen/api_sql.c in place of the next line.
-- dbcare:api health
