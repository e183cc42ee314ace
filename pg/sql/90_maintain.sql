-- dbcare extension script, part 90: maintenance and repair plans (docs/maintenance.md).
-- The functions are declared in the API table; the build writes their
-- statements at the marker below.

-- dbcare:api maintain
