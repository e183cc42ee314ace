-- dbcare extension script, part 70: the row-level audit trail (docs/audit.md).
-- The functions are declared in the API table; the build writes their
-- statements at the marker below.

-- dbcare:api audit
