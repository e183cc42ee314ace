#!/usr/bin/env bash
# dbmigrate_generate against real histories on PostgreSQL (issue 40): the
# migration folders of test/fixtures that PostgreSQL reads give consecutive
# schema states; for each pair, the plan generated from the earlier state
# to the later one's pg_dump, applied statement by statement at top level,
# must reach the later state's fingerprint. Prints, per corpus, how many
# pairs need no hand edit, and asserts the floor measured when the test
# was written.
set -eu
db=dbcare_generate_corpus
. "$(dirname "$0")/lib/pg.sh"
fixtures=$(cd "$(dirname "$0")/../fixtures" && pwd)
cp -r "$fixtures/migrations" "$fixtures/popx_layout" "$work/"
chmod -R a+rX "$work"
chmod a+rx "$work"

# every state is a copy of ${db}_tpl, which holds dbcare: CREATE EXTENSION
# runs once, not twice a pair; copied as files (STRATEGY FILE_COPY), not
# block by block through the WAL
"$B/psql" -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS ${db}_tpl" \
  -c "CREATE DATABASE ${db}_tpl" >/dev/null
"$B/psql" -X -q -v ON_ERROR_STOP=1 -d ${db}_tpl -c "SET client_min_messages = warning" \
  -c "CREATE EXTENSION dbcare" >/dev/null
# state DB VERSION: a fresh database at VERSION of the folder ("" for none)
state() {
  "$B/psql" -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1" \
    -c "CREATE DATABASE $1 TEMPLATE ${db}_tpl STRATEGY FILE_COPY" >/dev/null
  "$B/psql" -X -q -v ON_ERROR_STOP=1 -d "$1" -c "SET client_min_messages = warning" \
    -c "SELECT dbmigrate_load('$folder')" >/dev/null
  # apply, or (a no-transaction migration on the way) the psql script
  if [ -n "$2" ] && ! "$B/psql" -X -q -v ON_ERROR_STOP=1 -d "$1" -c "SELECT dbmigrate_apply('$2')" >/dev/null 2>&1; then
    "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "SELECT dbmigrate_script('$2')" > "$work/apply.sql"
    "$B/psql" -X -q -v ON_ERROR_STOP=1 -d "$1" -f "$work/apply.sql" >/dev/null
  fi
}
fp() { "$B/psql" -X -q -At -d "$1" -c "SELECT dbschema_fingerprint()"; }

total_fail=0
# Each pair builds two databases from their folder: the suite judges three
# corpora; DBC_CORPUS=all (the long tier, docs/testing.md) all six.
corpora="migrations/golang:2 migrations/flyway:1 migrations/diesel:3"
[ "${DBC_CORPUS:-}" != all ] ||
  corpora="migrations/golang:2 migrations/golang_gaps:6 migrations/flyway:1 migrations/popx:2 migrations/diesel:3 popx_layout:6"
for spec in $corpora; do
  rel=${spec%%:*} floor=${spec##*:} folder="$work/${spec%%:*}"
  state ${db}_a ""
  versions=$("$B/psql" -X -q -At -d ${db}_a -c "SELECT version FROM dbmigrate_status() WHERE version IS NOT NULL")
  ok=0 pairs=0 prev=""
  for v in $versions; do
    pairs=$((pairs + 1))
    # a state the folder itself cannot build (a repeatable naming a table
    # of a later version) is no pair to judge
    if ! state ${db}_want "$v" 2>/dev/null; then echo "  $rel $v: the folder does not build this state"; pairs=$((pairs - 1)); prev=$v; continue; fi
    "$B/pg_dump" -s -n public --no-owner --no-privileges -d ${db}_want \
      | grep -v '^CREATE SCHEMA public;$\|^COMMENT ON SCHEMA public\|EXTENSION\|^\\' > "$work/want.sql"
    if ! state ${db}_a "$prev" 2>/dev/null; then pairs=$((pairs - 1)); prev=$v; continue; fi
    if "$B/psql" -X -q -v ON_ERROR_STOP=1 -v "desired=$(cat "$work/want.sql")" -d ${db}_a \
        > "$work/gen.out" 2>&1 <<'SQL'
SELECT statement FROM dbmigrate_generate(:'desired', '{"allow_drop": true}') ORDER BY step \gexec
SQL
    then
      if [ "$(fp ${db}_a)" = "$(fp ${db}_want)" ]; then ok=$((ok + 1)); else echo "  $rel $v: plan does not reach the state"; fi
    else
      echo "  $rel $v: $(grep -m1 ERROR "$work/gen.out")"
    fi
    prev=$v
  done
  echo "$rel: $ok of $pairs pairs need no hand edit"
  [ "$ok" -ge "$floor" ] || total_fail=1
done
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS ${db}_a" -c "DROP DATABASE IF EXISTS ${db}_want" \
  -c "DROP DATABASE IF EXISTS ${db}_tpl" >/dev/null
[ "$total_fail" = 0 ] || fail "a corpus is below its floor"
echo ok
