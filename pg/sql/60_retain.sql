-- dbcare extension script, part 60: soft delete and retention policies (docs/retention.md).
-- The functions are declared in the API table; the build writes their
-- statements at the marker below.

-- dbcare:api retain
