#!/usr/bin/env bash
# docs/postgresql.md "What gets created" names every object CREATE EXTENSION
# dbcare records in pg_depend, and nothing else (issue 20, item 28: the list
# named a fraction of them). Compared both ways by name: each extension member
# (schema, table, sequence, view, function) must appear in the section in
# backticks, and each dbcare object the section names must be a member.
set -eu
db=dbcare_docs_objects
. "$(dirname "$0")/lib/pg.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
fresh_db

# The section's text, from its heading to the next one.
awk '/^## What gets created/ { on = 1; next } on && /^## / { exit } on' \
  "$root/docs/postgresql.md" > "$work/section"
[ -s "$work/section" ] || fail "docs/postgresql.md has no section \"What gets created\""

# Each member by its plain name: dbcare.config, dbcare_get, dbcheck_relations, dbcare.
q -c "SELECT DISTINCT CASE
          WHEN classid = 'pg_proc'::regclass THEN
            (SELECT CASE WHEN n.nspname = 'dbcare' THEN 'dbcare.' ELSE '' END || p.proname
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = objid)
          WHEN classid = 'pg_class'::regclass THEN
            (SELECT CASE WHEN n.nspname = 'dbcare' THEN 'dbcare.' ELSE '' END || c.relname
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = objid)
          WHEN classid = 'pg_namespace'::regclass THEN (SELECT nspname FROM pg_namespace WHERE oid = objid)
          ELSE pg_describe_object(classid, objid, 0) END
      FROM pg_depend
     WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
       AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dbcare')
     ORDER BY 1" > "$work/members"
[ "$(wc -l < "$work/members")" -gt 20 ] || fail "too few members found: $(cat "$work/members")"

missing=""
while read -r name; do
  # `name`, `name(...)` or `name(` inside backticks
  grep -qE "\`$(sed 's/\./\\./g' <<< "$name")(\`|\()" "$work/section" || missing="$missing $name"
done < "$work/members"
[ -z "$missing" ] || fail "docs/postgresql.md \"What gets created\" does not name:$missing"

# Every dbcare object the section names exists (no stale names).
grep -oE '`(dbcare\.[a-z_]+|db(care|migrate|health|check|schema|monitor)_[a-z_]+)' "$work/section" |
  tr -d '`' | sort -u > "$work/named"
stale=$(comm -23 "$work/named" "$work/members" | tr '\n' ' ')
[ -z "$stale" ] || fail "docs/postgresql.md \"What gets created\" names objects CREATE EXTENSION does not create: $stale"
echo "ok: $(wc -l < "$work/members") members, all listed"
