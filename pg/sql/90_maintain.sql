-- dbcare extension script, part 90: maintenance and repair plans (docs/maintenance.md).
-- The history of dbmaintain_run lives in the bookkeeping schema and survives
-- pg_dump; reading it is for monitoring roles, running the plan for whom the
-- DBA grants it. The functions are declared in the API table; the build
-- writes their statements at the marker below.

-- dbcare:book maintain_history

-- dbcare:api maintain
