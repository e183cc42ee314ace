#!/usr/bin/env bash
# Hot standby: a streaming replica started from pg_basebackup -R of the test
# cluster (Unix socket only, its own port and directory, run as the OS user of
# the primary, stopped on every path). On it the reading functions work and
# the changing ones fail with SQLSTATE 25006 (read-only transaction) and a
# "dbcare: " message, first, before they look at their arguments: every
# VOLATILE function of the extension read from pg_proc, except the reviewed
# read-only ones (the list of test/pgtap/hostile_privileges.sql), so a new
# changing function cannot slip through unchecked.
set -eu
B="${PG_BIN:?}"
db=dbcare_standby
fail() { echo "FAIL: $*"; exit 1; }
work=$(mktemp -d)
sdata=$work/standby
ssock=$work/sock
sport=$(( (PGPORT + 1 + RANDOM % 1000) % 65536 ))
[ "$sport" -gt 1024 ] || sport=$((sport + 20000))
# the replica runs as the owner of the primary's socket (postgres when we are root)
owner=$(stat -c %U "$PGHOST/.s.PGSQL.$PGPORT")
as_owner=()
[ "$(id -un)" = "$owner" ] || as_owner=(runuser -u "$owner" --)
started=0
cleanup() {
  if [ "$started" = 1 ]; then
    "${as_owner[@]}" "$B/pg_ctl" -D "$sdata" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

p() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d $db "$@"; }
s() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$ssock" -p "$sport" -d $db "$@"; }

"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
"$B/psql" -X -q -d postgres -c "CREATE DATABASE $db"
p -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare" \
  -c "CREATE TABLE parent (id int PRIMARY KEY)" -c "CREATE TABLE child (id int, parent_id int)" \
  -c "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE one (a int)')" -c "SELECT dbmigrate_apply()" \
  -c "SELECT dbmigrate_add('2', 'two', 'CREATE TABLE two (a int)')" \
  -c "SELECT dbcheck_add_relation('child_parent', 'child', 'parent_id', 'parent', 'id')" >/dev/null

mkdir -p "$sdata" "$ssock"
chmod 700 "$sdata"
[ ${#as_owner[@]} = 0 ] || chown -R "$owner" "$work"
"${as_owner[@]}" "$B/pg_basebackup" -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -D "$sdata" -R -X stream -c fast \
  >"$work/basebackup.log" 2>&1 || { cat "$work/basebackup.log"; fail "pg_basebackup"; }
cat >>"$sdata/postgresql.conf" <<CONF
# dbcare standby test: its own socket directory and port, no TCP
listen_addresses = ''
port = $sport
unix_socket_directories = '$ssock'
hot_standby = on
CONF
"${as_owner[@]}" "$B/pg_ctl" -D "$sdata" -l "$work/standby.log" -w -t 60 start >/dev/null 2>&1 ||
  { tail -20 "$work/standby.log"; fail "the standby did not start"; }
started=1
[ "$(s -c "SELECT pg_is_in_recovery()")" = t ] || fail "not a standby"

# wait for replay of a marker written after the base backup
p -c "CREATE TABLE replay_marker (a int)"
for _ in $(seq 1 300); do
  [ "$(s -c "SELECT to_regclass('public.replay_marker') IS NOT NULL")" = t ] && break
  sleep 0.1
done
[ "$(s -c "SELECT to_regclass('public.replay_marker') IS NOT NULL")" = t ] || fail "the standby did not replay"

# reading functions work and agree with the primary
for qry in "SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM dbmigrate_status()" \
           "SELECT dbschema_fingerprint()" \
           "SELECT dbcare_get('migrate.out_of_order')" \
           "SELECT count(*) FROM dbcheck_constraints()" \
           "SELECT dbmigrate_current()"; do
  a=$(p -c "$qry") || fail "primary: $qry"
  b=$(s -c "$qry") || fail "standby: $qry"
  [ "$a" = "$b" ] || fail "standby differs for $qry: '$b' vs '$a'"
done
s -c "SELECT dbmigrate_assert('1')" >/dev/null || fail "dbmigrate_assert on the standby"
[ "$(s -c "SELECT dbhealth_report('quick') IS NOT NULL")" = t ] || fail "dbhealth_report(quick) on the standby"
# the maintenance plan works there; running it is refused below (25006)
s -c "SELECT count(*) FROM dbmaintain_plan('quick')" >/dev/null || fail "dbmaintain_plan(quick) on the standby"

# changing functions fail with 25006 and change nothing
before=$(s -c "SELECT dbschema_fingerprint()")
for qry in "SELECT dbmigrate_apply()" \
           "SELECT dbmigrate_add('3', 'three', 'CREATE TABLE three (a int)')" \
           "SELECT dbmigrate_add_all('[]')" \
           "SELECT * FROM dbmigrate_trace('2')" \
           "SELECT dbcare_set('migrate.out_of_order', 'allow')" \
           "SELECT dbhealth_snapshot()" \
           "SELECT dbcheck_add_relation('r2', 'child', 'parent_id', 'parent', 'id')" \
           "SELECT dbcheck_cleanup_orphans(false)" \
           "SELECT * FROM dbmaintain_run('quick')" \
           "SELECT dbaudit_enable('child')" \
           "SELECT dbaudit_disable('child')" \
           "SELECT dbaudit_refresh()"; do
  if out=$(s -c '\set VERBOSITY sqlstate' -c "$qry" 2>&1); then fail "succeeded on the standby: $qry"; fi
  case "$out" in
    *25006*) ;;
    *) fail "$qry: expected 25006, got: $out" ;;
  esac
done
# Every changing function, read from pg_proc, refuses first: 25006 and a
# "dbcare: " message with NULL arguments (before any argument check) and with
# harmless ones (a name nothing has: a call that would change nothing).
# The read-only ones come from the API table (api_sql read-only).
gen="$(cd "$(dirname "$0")/../.." && pwd)/build/gen/api_sql"
[ -x "$gen" ] || fail "$gen is not built (make)"
readonly_list=$("$gen" read-only | sed "s/.*/'&'/" | paste -sd, -)
[ -n "$readonly_list" ] || fail "no read-only function in the API table"
calls=$(s <<SQL
SELECT format('%s %s(%s)', CASE p.prokind WHEN 'p' THEN 'CALL' ELSE 'SELECT' END, p.oid::regproc,
              coalesce(string_agg(CASE WHEN NOT h.harmless THEN 'NULL'
                                       WHEN t.typname = 'text' THEN quote_literal('absent')
                                       WHEN t.typname = 'bool' THEN 'true'
                                       WHEN t.typname = 'jsonb' THEN quote_literal('{}')
                                       ELSE '0' END || '::' || t.typname, ', ' ORDER BY u.n), ''))
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'dbcare'
  CROSS JOIN (VALUES (false), (true)) AS h(harmless)
  LEFT JOIN LATERAL unnest(p.proargtypes::oid[]) WITH ORDINALITY AS u(typ, n) ON true
  LEFT JOIN pg_type t ON t.oid = u.typ
 WHERE p.provolatile = 'v' AND p.prorettype <> 'trigger'::regtype
   AND p.oid::regprocedure::text NOT IN ($readonly_list)
 GROUP BY p.oid, h.harmless
 ORDER BY 1
SQL
) || fail "listing the extension's functions"
n=0
while IFS= read -r qry; do
  [ -n "$qry" ] || continue
  n=$((n + 1))
  if out=$(s -c '\set VERBOSITY verbose' -c "$qry" 2>&1); then fail "succeeded on the standby: $qry"; fi
  case "$out" in
    *"ERROR:  25006: dbcare: "*) ;;
    *) fail "$qry: expected 25006 and a dbcare: message, got: $out" ;;
  esac
done <<<"$calls"
# 15 changing functions today, each called twice
[ "$n" -ge 30 ] || fail "only $n calls of changing functions were made"
[ "$(s -c "SELECT dbschema_fingerprint()")" = "$before" ] || fail "the standby's schema changed"
[ "$(s -c "SELECT count(*) FROM dbmigrate_status() WHERE state = 'pending'")" = 1 ] || fail "pending count"

# The dbcare command (docs/cli.md) on the standby: status and health work,
# the client's files are not compared there (nothing can be registered);
# migrate is refused with the 25006 message; a fleet of primary and standby
# migrates the primary and reports the standby, exit code 1.
cli="$(cd "$(dirname "$0")/../.." && pwd)/build/cli/dbcare"
primary="host=$PGHOST port=$PGPORT dbname=$db"
standby="host=$ssock port=$sport dbname=$db"
mkdir -p "$work/m"
echo 'CREATE TABLE three (a int);' >"$work/m/V3__three.sql"
"$cli" status --db "$standby" --dir "$work/m" --json >"$work/out" 2>"$work/err" || fail "dbcare status on the standby"
python3 -c "import json, sys; d = json.load(open(sys.argv[1]))
assert [(m['version'], m['state']) for m in d['migrations']] == [('1', 'applied'), ('2', 'pending')], d" \
  "$work/out" || fail "dbcare status on the standby: $(cat "$work/out")"
grep -qF "is read-only: the files of $work/m are not compared" "$work/err" || fail "no read-only note: $(cat "$work/err")"
# ... but counted: status counts pending as readiness does (the core's
# dbmigrate_pending, read only, over the registry and the folder), so the
# two agree where the registry alone says less: 2, version 2 registered
# and version 3 only in the folder, which the standby cannot register
python3 -c "import json, sys; d = json.load(open(sys.argv[1])); assert d['pending'] == 2, d" \
  "$work/out" || fail "dbcare status on the standby: pending $(cat "$work/out")"
py=python3
. "$(dirname "$0")/lib/serve.sh"
start_serve "$work/serve.log" --db "$standby" --dir "$work/m" --min-interval 0
get "$base/readyz"; want_code 503 "readyz on the standby"
grep -qF ": not ready: 2 migration(s) pending" "$work/body" || fail "readyz on the standby: $(cat "$work/body")"
stop_serve
"$cli" health --db "$standby" --mode quick --json >"$work/out" || fail "dbcare health on the standby"
python3 -c "import json, sys; assert json.load(open(sys.argv[1]))['mode'] == 'quick'" "$work/out" || fail "health json"
if "$cli" migrate --db "$standby" --dir "$work/m" >"$work/out" 2>"$work/err"; then fail "dbcare migrate on the standby"; fi
grep -qF 'dbcare: dbmigrate_add cannot run during recovery (hot standby)' "$work/err" ||
  fail "dbcare migrate: not the 25006 message: $(cat "$work/err")"
rc=0
"$cli" migrate --db "$primary" --db "$standby" --dir "$work/m" --jobs 2 >"$work/out" 2>"$work/err" || rc=$?
[ "$rc" = 1 ] || fail "fleet of primary and standby: exit $rc"
grep -qE "^$primary +ok " "$work/out" && grep -qE "^$standby +failed " "$work/out" || fail "fleet summary: $(cat "$work/out")"
grep -qF 'cannot run during recovery' "$work/err" || fail "fleet error: $(cat "$work/err")"
[ "$(p -c "SELECT string_agg(version || state, ',' ORDER BY version) FROM dbmigrate_status()")" = \
  "1applied,2applied,3applied" ] || fail "the fleet did not migrate the primary"
echo "ok: standby reads work, $n calls of changing functions fail with 25006 first"
