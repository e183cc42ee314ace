#!/usr/bin/env bash
# The pg_cron recipe of docs/retention.md ("Scheduling") runs as written: a
# cluster of its own with shared_preload_libraries = 'pg_cron' and
# cron.database_name = 'postgres' (both read at server start only), each SQL
# block of the section run in its database (a block using cron.* in pg_cron's
# database, the others in the application's, "app"), then the job pg_cron
# holds names app and its command, run there, applies the policy.
set -eu
db=dbcare_docs_cron
. "$(dirname "$0")/lib/pg.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
[ -f "$("$B/pg_config" --sharedir)/extension/pg_cron.control" ] ||
  fail "pg_cron is not installed (postgresql-15-cron, test/harness/packages.txt)"

owner=$(stat -c %U "$PGHOST/.s.PGSQL.$PGPORT")
as_owner=()
[ "$(id -un)" = "$owner" ] || as_owner=(runuser -u "$owner" --)
cdata=$work/cron-data; csock=$work/cron-sock
cport=$(( (PGPORT + 3 + RANDOM % 1000) % 65536 )); [ "$cport" -gt 1024 ] || cport=$((cport + 20000))
mkdir -p "$csock"
[ ${#as_owner[@]} = 0 ] || chown -R "$owner" "$work"
"${as_owner[@]}" "$B/initdb" -D "$cdata" -A trust -U postgres >/dev/null 2>&1 || fail "initdb"
cat >>"$cdata/postgresql.conf" <<CONF
listen_addresses = ''
port = $cport
unix_socket_directories = '$csock'
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
fsync = off
CONF
stop_cluster() { "${as_owner[@]}" "$B/pg_ctl" -D "$cdata" -m immediate -w stop >/dev/null 2>&1 || true; }
trap 'stop_cluster; cleanup' EXIT
"${as_owner[@]}" "$B/pg_ctl" -D "$cdata" -l "$work/cron.log" -w -t 60 start >/dev/null 2>&1 ||
  { tail -20 "$work/cron.log"; fail "the pg_cron cluster did not start"; }
c() { local d=$1; shift; "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$csock" -p "$cport" -U postgres -d "$d" "$@"; }

c postgres -c "SET client_min_messages = warning" -c "CREATE EXTENSION pg_cron" -c "CREATE DATABASE app"
c app -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare" \
  -c "CREATE TABLE events (id int PRIMARY KEY, at timestamptz NOT NULL)" \
  -c "INSERT INTO events SELECT g, now() - interval '400 days' FROM generate_series(1, 5000) g" \
  -c "SELECT dbretain_add('events', 'events', 'at', '1 year', 'delete')" >/dev/null

# the section's SQL blocks, in order
/usr/bin/python3 - "$root/docs/retention.md" "$work" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
sec = text.split("\n## Scheduling\n", 1)[1].split("\n## ", 1)[0]
blocks = re.findall(r"```sql\n(.*?)```", sec, re.S)
assert blocks, "no SQL block in the Scheduling section"
for i, b in enumerate(blocks):
    open("%s/block%d.sql" % (sys.argv[2], i), "w").write(b)
PY
n=0
for f in "$work"/block*.sql; do
  where=app
  grep -q 'cron\.' "$f" && where=postgres
  c "$where" -f "$f" >/dev/null 2>"$work/block.err" ||
    fail "$(basename "$f") of the recipe fails in database $where: $(cat "$work/block.err")"
  n=$((n + 1))
done
[ "$n" -ge 2 ] || fail "the recipe is one block: the cron schema and dbcare_set are in different databases"

[ "$(c postgres -c "SELECT database || '|' || schedule || '|' || command FROM cron.job WHERE jobname = 'dbcare-retention'")" = \
  "app|*/10 * * * *|CALL dbretain_run()" ] || fail "job: $(c postgres -c 'SELECT * FROM cron.job')"
[ "$(c app -c "SELECT dbcare_get('retain.batch_size')")" = 2000 ] || fail "settings not in app"
# the job's command, run where pg_cron runs it
c app -c "$(c postgres -c "SELECT command FROM cron.job WHERE jobname = 'dbcare-retention'")" >/dev/null
[ "$(c app -c "SELECT count(*) FROM events")" = 0 ] || fail "the job did not apply the policy"
echo ok
