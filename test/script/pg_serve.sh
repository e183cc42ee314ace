#!/usr/bin/env bash
# dbcare serve on PostgreSQL: a fleet of two databases and a SQLite file
# (the series of both engines have the same families and label names,
# but for the PostgreSQL-only ones docs/observe.md lists);
# every endpoint with status, content type and parsed body; promtool
# accepts /metrics; the password never shown; /readyz 503 while a migration
# is pending and 200 after POST /migrate with the token; a member whose
# statement waits on a lock never delays a scrape past --scrape-timeout,
# its age grows and dbcare_up is 0 while the other stays fresh, and its
# refresh is cut at that time bound (its statement cancelled, the error
# saying so), never left waiting on the lock; SIGTERM
# cancels the waiting statement and ends serve at once. Each PostgreSQL
# database keeps one session between refreshes (--keep-connections): the
# same backend answers every scrape, one terminated is replaced within the
# scrape that finds it gone (the database stays up), a refresh cut at its
# time bound leaves a session the next refresh reads on once the lock is
# gone, and --keep-connections 0 leaves no session between scrapes.
set -eu
db=dbcare_serve
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
py=/usr/bin/python3
export DBCARE_MODULE="$root/build/sqlite/dbcare.so"
db2=${db}_2
secret=Serv3S3cretPw
url1="postgresql://$PGUSER:$secret@/$db?host=$PGHOST&port=$PGPORT"
url2="postgresql:///$db2?host=$PGHOST&port=$PGPORT"
fresh_db
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db2" -c "CREATE DATABASE $db2"
"$B/psql" -X -q -d "$db2" -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare"
q -c "CREATE EXTENSION pg_stat_statements"
# how often serve's statements are planned (below): counted for $db's sessions
"$B/psql" -X -q -d postgres -c "ALTER DATABASE $db SET pg_stat_statements.track_planning = on"
cleanup2() { "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db2 WITH (FORCE)" >/dev/null 2>&1 || true; }
trap "kill_serves; cleanup2; cleanup" EXIT
mkdir m
echo 'CREATE TABLE t (id int PRIMARY KEY, v text);' >m/V1__t.sql
run 0 migrate --db "$url1" --dir m
run 0 migrate --db "$url2" --dir m
run 0 migrate --db sqlite:lite.db --dir m
head -c 32 /dev/urandom | base64 >token
chmod 600 token

# every refresh reads the report (--report-interval 0): the age of a member
# that answers stays small; the report's carry-over is the block at the end
start_serve serve.log --db "$url1" --db "$url2" --db sqlite:lite.db --dir m --min-interval 0 \
  --report-interval 0 --scrape-timeout 3s --allow-writes --token-file token
get "$base/livez"; want_code 200 livez
get "$base/readyz"; want_code 200 readyz
grep -q '^ready: 3 of 3' body || fail "readyz: $(cat body)"
get "$base/health"; want_code 200 health
[ "$(body_json "sorted((r['database'], r['engine']) for r in d)")" = \
  "[('$db', 'postgresql'), ('$db2', 'postgresql'), ('lite.db', 'sqlite')]" ] || fail "health: $(cat body)"
get "$base/health?database=$db" -H 'Accept: application/health+json'; want_code 200 health+json
[ "$(header Content-Type)" = application/health+json ] || fail "health+json type"
[ "$(body_json "d['status'] in ('pass', 'warn'), d['checks']['database:responseTime'][0]['componentId']")" = \
  "True $db" ] || fail "health+json: $(cat body)"
get "$base/schema?database=$db2"; want_code 200 schema
[ "$(body_json "'public.t' in d['table'] or 't' in d['table']")" = True ] || fail "schema: $(cat body)"
get "$base/statistics?database=$db"; want_code 200 statistics
[ "$(body_json "d['engine'], d['size_bytes'] > 0, d['tables'] >= 1")" = "postgresql True True" ] ||
  fail "statistics: $(cat body)"
get "$base/migrations?database=$db"; want_code 200 migrations
[ "$(body_json "d['pending'], [(s['version'], s['state']) for s in d['status']]")" = "0 [('1', 'applied')]" ] ||
  fail "migrations: $(cat body)"

get "$base/metrics"; want_code 200 metrics
promtool check metrics <body || fail "promtool refused /metrics"
[ -z "$(grep '^# TYPE' body | sort | uniq -d)" ] || fail "a family twice"
for d in "$db" "$db2"; do
  grep -qx "dbcare_up{engine=\"postgresql\",database=\"$d\"} 1" body || fail "dbcare_up of $d"
done
grep -qx 'dbcare_up{engine="sqlite",database="lite.db"} 1' body || fail "dbcare_up of lite.db"
# the same families and label names on both engines, but for the
# PostgreSQL-only families docs/observe.md lists (statements of
# pg_stat_statements, which $db has): there on PostgreSQL, never on SQLite
"$py" - "$work/body" "$db" <<'EOF' || fail "the engines' series differ"
import re, sys
text, pgdb = open(sys.argv[1]).read(), sys.argv[2]
pg_only = {"dbcare_query_calls", "dbcare_query_total_time_seconds",
           "dbcare_replica_lag_bytes", "dbcare_replica_schema_visible"}
present = {"dbcare_query_calls", "dbcare_query_total_time_seconds"}  # no replica here
shape = {"postgresql": set(), "sqlite": set()}
for line in text.splitlines():
    m = re.match(r'^(\w+)\{(.*)\} \S+$', line)
    if not m:
        continue
    labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2)))
    # a series of the whole fleet (dbcare_fleet_schema_version_databases) has no database
    if labels.get("database") in (pgdb, "lite.db"):
        names = tuple(sorted(k for k in labels if k != "check"))
        shape[labels["engine"]].add((m.group(1), names))
own = {f for f, _ in shape["postgresql"]} & pg_only
wrong = {f for f, _ in shape["sqlite"]} & pg_only
if own != present or wrong:
    print("PostgreSQL-only families: on postgresql", sorted(own), "on sqlite", sorted(wrong))
    sys.exit(1)
diff = {x for x in shape["postgresql"] if x[0] not in pg_only} ^ shape["sqlite"]
if diff:
    print("differ:", sorted(diff))
    sys.exit(1)
EOF
grep -qF "$secret" body serve.log && fail "the password was shown"

# --- one session kept per PostgreSQL database: the same backend answers
# every scrape; terminated, it is replaced by the scrape that finds it gone
value() { sed -n "s/^$1{engine=\"postgresql\",database=\"$2\"} //p" body; }
sessions() {
  q -c "SELECT coalesce(string_agg(pid::text, ',' ORDER BY pid), '') FROM pg_stat_activity
        WHERE datname = '$1' AND application_name = 'dbcare'"
}
get "$base/metrics"; s1=$(sessions "$db")
get "$base/metrics"; s2=$(sessions "$db")
[[ "$s1" =~ ^[0-9]+$ ]] && [ "$s1" = "$s2" ] || fail "serve's session to $db not kept: '$s1', then '$s2'"
q -c "SELECT pg_terminate_backend($s1)" >/dev/null
for _ in $(seq 1 200); do # bounded: 10 s
  [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE pid = $s1")" = 0 ] && break
  sleep 0.05
done
get "$base/metrics"; want_code 200 "the scrape after the kept session was terminated"
[ "$(value dbcare_up "$db")" = 1 ] || fail "$db down after its kept session was terminated"
s3=$(sessions "$db")
[[ "$s3" =~ ^[0-9]+$ ]] && [ "$s3" != "$s1" ] || fail "no new session to $db after $s1 ended: '$s3'"
# on a kept session the statements of a refresh are prepared: planned once
# a session (two sessions so far, and one refresh retried), not per scrape
for _ in 1 2 3 4 5 6; do get "$base/metrics"; done
plans=$(q -c "SELECT s.calls || ' ' || s.plans FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
              WHERE d.datname = '$db' AND s.query LIKE 'SELECT dbhealth_gauges(), dbcare_get(%'")
read -r calls planned <<<"$plans"
[ "${calls:-0}" -ge 8 ] && [ "${planned:-99}" -le 3 ] ||
  fail "serve's gauges statement planned on every scrape: calls and plans '$plans'"

# --- a pending migration: 503; POST /migrate with the token: 200 again
db=$db2 q -c "SELECT dbmigrate_add('2', 'u', 'CREATE TABLE u (id int PRIMARY KEY)')" >/dev/null
get "$base/readyz"; want_code 503 "readyz with a pending migration"
grep -q "^$db2: not ready: 1 migration(s) pending" body || fail "readyz: $(cat body)"
# what readiness asks (dbmigrate_pending) runs in a read-only transaction:
# the registry's pending one, and a folder's version the registry lacks
got=$(db=$db2 q -c "SET default_transaction_read_only = on" \
        -c "SELECT dbmigrate_pending(), dbmigrate_pending('[{\"version\": \"2\"}, {\"version\": \"7\"}]')" 2>&1)
[ "$got" = "1|2" ] || fail "dbmigrate_pending read only: $got"
get "$base/migrate?database=$db2" -X POST; want_code 401 "no token"
get "$base/migrate?database=$db2" -X POST -H "Authorization: Bearer $(cat token)"
want_code 200 "POST /migrate"
[ "$(body_json "d['exit_code'], d['result']['applied']")" = "0 1" ] || fail "migrate: $(cat body)"
get "$base/readyz"; want_code 200 "readyz after the migration"

# --- a slow member: a session holds dbcare.config, which the report reads
"$B/psql" -X -q -d "$db2" -c "BEGIN" -c "LOCK TABLE dbcare.config IN ACCESS EXCLUSIVE MODE" \
  -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
locker=$!
serve_pids+=("$locker")
locked=
for _ in $(seq 1 1200); do # bounded: 60 s (psql starts late on a loaded machine)
  [ "$(db=$db2 q -c "SELECT count(*) FROM pg_locks WHERE relation = 'dbcare.config'::regclass AND mode = 'AccessExclusiveLock'")" = 1 ] && { locked=yes; break; }
  sleep 0.05
done
[ -n "$locked" ] || fail "the session locking $db2's dbcare.config did not take its lock in 60 s"
ages=()
for round in 1 2 3; do
  timed_get "$base/metrics"; want_code 200 "scrape $round with $db2 locked"
  # cut once at the budget: waiting for the lock, or a second budget, takes
  # 6 s at least, which load only lengthens
  [ "$ms" -lt 6000 ] || fail "scrape $round took ${ms}ms with a 3s budget"
  [ "$(value dbcare_up "$db2")" = 0 ] || fail "$db2 up while locked"
  [ "$(value dbcare_up "$db")" = 1 ] || fail "$db not up in round $round"
  read_in_get "$(value dbcare_metric_age_seconds "$db")" ||
    fail "$db stale: $(value dbcare_metric_age_seconds "$db") s old after a ${ms}ms scrape"
  [ -n "$(value dbcare_health_score "$db2")" ] || fail "$db2's last result not served"
  ages+=("$(value dbcare_metric_age_seconds "$db2")")
  sleep 0.5
done
"$py" -c "a = [float(x) for x in '${ages[*]}'.split()]; import sys; sys.exit(0 if a[0] < a[1] < a[2] else 1)" ||
  fail "$db2's age does not grow: ${ages[*]}"
[ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db2' AND application_name = 'dbcare'")" -le 1 ] ||
  fail "more than one connection of serve to $db2"
# each refresh is cut at its time bound (--scrape-timeout 3s): no statement
# of serve waits on the lock much past it, and the error says so
[ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db2' AND application_name = 'dbcare'
            AND state = 'active' AND now() - query_start > interval '4.5 s'")" = 0 ] ||
  fail "a refresh of $db2 waits past its time bound: $(q -c "SELECT now() - query_start, query FROM pg_stat_activity WHERE datname = '$db2' AND application_name = 'dbcare'")"
get "$base/health?database=$db2" -H 'Accept: application/health+json'
grep -q 'the refresh was cut at its time bound (--scrape-timeout 3s)' body ||
  fail "the cut refresh's error is not reported: $(cat body)"

# --- SIGTERM while the statement waits: cancelled, serve ends at once
t0=$(date +%s%N)
stop_serve
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 2000 ] || fail "stopping took ${ms}ms"
grep -q '^dbcare: stopped' serve.log || fail "no clean stop"
# a backend ends once it reads its client's close, a moment after serve
# does: its row in pg_stat_activity goes then
poll_until 30 0.1 prints 0 q -c "SELECT count(*) FROM pg_stat_activity WHERE datname IN ('$db', '$db2')
  AND application_name = 'dbcare'" || fail "a connection of serve is left"
db=$db2 q -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '$db2' AND pid <> pg_backend_pid()" >/dev/null
kill "$locker" 2>/dev/null || true

# --- between reports (--report-interval), the size and counts follow the
# database (dbhealth_gauges) while the report is carried over with its age
start_serve serve2.log --db "$url1" --dir m --min-interval 0 --report-interval 1h
get "$base/metrics"; want_code 200 "first scrape, report cached"
tables=$(value dbcare_database_tables "$db")
get "$base/health"; first=$(body_json "d['checked_at']")
q -c "CREATE TABLE grown (id integer PRIMARY KEY)" >/dev/null
sleep 1
get "$base/metrics"
[ "$(value dbcare_database_tables "$db")" = $((tables + 1)) ] ||
  fail "tables not read per scrape: $tables, then $(value dbcare_database_tables "$db")"
[ "$(value dbcare_database_size_bytes "$db")" = "$(q -c "SELECT pg_database_size(current_database())")" ] ||
  fail "size not read per scrape: $(value dbcare_database_size_bytes "$db")"
"$py" -c "import sys; sys.exit(0 if float('$(value dbcare_metric_age_seconds "$db")') >= 1 else 1)" ||
  fail "the report's age does not grow: $(value dbcare_metric_age_seconds "$db")"
get "$base/health"
[ "$(body_json "d['checked_at']")" = "$first" ] || fail "the report was read again within --report-interval"
stop_serve

# --- --keep-connections 0: a session per refresh, none left between them
start_serve serve3.log --db "$url1" --min-interval 0 --keep-connections 0
get "$base/metrics"; want_code 200 "a scrape without kept sessions"
[ "$(value dbcare_up "$db")" = 1 ] || fail "$db not up without kept sessions"
# a closed session's backend leaves pg_stat_activity a moment after the
# client let go (later on a loaded machine); a kept one stays
for _ in $(seq 1 100); do # bounded: 5 s
  left=$(sessions "$db")
  [ -z "$left" ] && break
  sleep 0.05
done
[ -z "$left" ] || fail "a session of serve left between scrapes: $left"
stop_serve

# --- a refresh cut at its time bound on a kept session: the error says
# so; once the lock is gone the next refresh reads the database again
start_serve serve4.log --db "$url2" --min-interval 0 --report-interval 0 --scrape-timeout 2s
get "$base/metrics"; [ "$(value dbcare_up "$db2")" = 1 ] || fail "$db2 not up before the lock"
[[ "$(sessions "$db2")" =~ ^[0-9]+$ ]] || fail "no kept session to $db2: '$(sessions "$db2")'"
"$B/psql" -X -q -d "$db2" -c "BEGIN" -c "LOCK TABLE dbcare.config IN ACCESS EXCLUSIVE MODE" \
  -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
locker=$!
serve_pids+=("$locker")
locked=
for _ in $(seq 1 1200); do # bounded: 60 s
  [ "$(db=$db2 q -c "SELECT count(*) FROM pg_locks WHERE relation = 'dbcare.config'::regclass AND mode = 'AccessExclusiveLock'")" = 1 ] && { locked=yes; break; }
  sleep 0.05
done
[ -n "$locked" ] || fail "the session locking $db2's dbcare.config did not take its lock in 60 s"
cut=
for _ in $(seq 1 20); do # the refresh cut at 2 s; the error is the next scrape's
  get "$base/health?database=$db2" -H 'Accept: application/health+json'
  grep -q 'the refresh was cut at its time bound (--scrape-timeout 2s)' body && { cut=yes; break; }
  sleep 0.5
done
[ -n "$cut" ] || fail "the cut refresh of $db2 is not reported: $(cat body)"
# the locking session ends (its psql alone would leave it sleeping)
db=$db2 q -c "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE relation = 'dbcare.config'::regclass
              AND mode = 'AccessExclusiveLock'" >/dev/null
gone=
for _ in $(seq 1 200); do # bounded: 10 s
  [ "$(db=$db2 q -c "SELECT count(*) FROM pg_locks WHERE relation = 'dbcare.config'::regclass AND mode = 'AccessExclusiveLock'")" = 0 ] && { gone=yes; break; }
  sleep 0.05
done
[ -n "$gone" ] || fail "the lock on $db2's dbcare.config was not released"
kill "$locker" 2>/dev/null || true
up=
for _ in $(seq 1 10); do # a refresh running when the lock went may still end cut
  get "$base/metrics"
  [ "$(value dbcare_up "$db2")" = 1 ] && { up=yes; break; }
  sleep 0.5
done
[ -n "$up" ] || fail "$db2 not up again after the lock was released: $(grep "$db2" body | head -5)"
[[ "$(sessions "$db2")" =~ ^[0-9]+$ ]] || fail "not one kept session to $db2 after the cut: '$(sessions "$db2")'"
stop_serve
echo ok
