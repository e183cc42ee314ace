#!/usr/bin/env bash
# Restore drills on PostgreSQL (docs/backups.md, "Restore drills"; issue
# 50.3): dbcare backup drill restores the newest pg_dump into a scratch
# database as a scratch role (verify's restore: every constraint is
# re-validated as pg_restore adds it; then dbcheck_constraints finds rows
# breaking one kept NOT VALID), compares every table's rows and content
# hash with the record, and records the drill in
# dbcare.backup_drills through dbbackup_drill(path, result). A drill needs
# a scratch database, which SQL cannot make: dbbackup_drill() alone says
# so. The health check backup_drills and the /metrics gauges follow the
# newest drill; a dump with one changed row fails its drill. The tables
# are audited and soft-deleted (the scratch role may call their triggers).
set -eu
db=dbcare_backup_drill
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
check() { q -c "SELECT status FROM dbhealth_checks() WHERE name = 'backup_drills'"; }

fresh_db
q -c "CREATE TABLE customer (id int PRIMARY KEY, name text NOT NULL)" \
  -c "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL REFERENCES customer,
        total numeric CHECK (total >= 0))" \
  -c "INSERT INTO customer SELECT g, 'c' || g FROM generate_series(1, 2000) g" \
  -c "INSERT INTO orders SELECT g, 1 + g % 2000, g / 7.0 FROM generate_series(1, 50000) g" \
  -c "SELECT dbaudit_enable('customer')" -c "SELECT dbsoftdelete_enable('orders')" >/dev/null
[ "$(check)" = skipped ] || fail "the drill check ran without a drill"

# --- the SQL function cannot drill here: it says what does
out=$(q -c "SELECT dbbackup_drill()" 2>&1) && fail "dbbackup_drill() ran on PostgreSQL: $out"
case "$out" in *"dbcare: dbbackup_drill: a drill of a PostgreSQL backup restores it into a scratch database, which only the command can make"*"dbcare backup drill"*) ;;
  *) fail "dbbackup_drill() says: $out" ;; esac
out=$(q -c "SELECT dbbackup_drill('/x.dump', '{\"ok\": true}')" 2>&1) && fail "a result without counts was recorded"
case "$out" in *"dbcare: dbbackup_drill: result must be a drill's outcome"*) ;; *) fail "bad result: $out" ;; esac
q -c "DROP ROLE IF EXISTS dbc_drill_nobody" -c "CREATE ROLE dbc_drill_nobody" >/dev/null
out=$(q -c "SET ROLE dbc_drill_nobody" -c "SELECT dbbackup_drill('/x.dump', '{}')" 2>&1) &&
  fail "a role without the grant recorded a drill"
case "$out" in *"permission denied for function dbbackup_drill"*) ;; *) fail "PUBLIC: $out" ;; esac
q -c "DROP ROLE dbc_drill_nobody" >/dev/null

# --- a good dump drilled: restored, compared, recorded
run 0 backup good.dump --db "$url"
t0=$(date +%s%N)
run 0 backup drill --db "$url" --json
echo "drill of a pg_dump (52,000 rows): $((($(date +%s%N) - t0) / 1000000)) ms"
[ "$(json "d['drill']['ok'], d['drill']['method'], d['drill']['path'], d['drill']['tables'], d['drill']['rows'], d['drill']['mismatches']")" = \
  "True pg_dump $work/good.dump 2 52000 0" ] || fail "the good dump's drill: $(cat out)"
[ "$(q -c "SELECT status, rows_compared, duration_ms > 0, backup_id = (SELECT id FROM dbcare.backups)
           FROM dbcare.backup_drills")" = "ok|52000|t|t" ] || fail "the drill's row: $(q -c "TABLE dbcare.backup_drills")"
[ "$(check)" = ok ] || fail "a good drill is not ok"
[ "$("$B/psql" -X -At -d postgres -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'dbcare_verify_%'")" = 0 ] ||
  fail "the drill left its scratch database"

# --- a dump that is not of its snapshot (a pg_dump that ignores it, after
# a concurrent delete, which soft delete turns into an UPDATE of one row of
# 50,000): whole, restorable, and wrong
mkdir shim
cat >shim/pg_dump <<SHIM
#!/usr/bin/env bash
args=()
for a in "\$@"; do case "\$a" in --snapshot=*) ;; *) args+=("\$a") ;; esac; done
"$B/psql" -X -q -d $db -c "DELETE FROM orders WHERE id = 4242" >/dev/null
exec "$B/pg_dump" "\${args[@]}"
SHIM
chmod +x shim/pg_dump
PATH="$work/shim:$B:$PATH" run 0 backup lost.dump --db "$url"
run 1 backup drill --db "$url" --json
[ "$(json "d['drill']['ok'], d['drill']['mismatches'], d['drill']['rows']")" = "False 1 52000" ] ||
  fail "the lost row's drill: $(cat out)"
has "dbcare: backup $work/lost.dump failed its restore drill: table public.orders holds other rows than the source (its content hash differs, with as many rows)" err
[ "$(check)" = critical ] || fail "a failed newest drill is not critical"
q -c "SELECT dbhealth_metrics()" >metrics
grep -qx "dbcare_backup_last_drill_success{engine=\"postgresql\",database=\"$db\"} 0" metrics ||
  fail "the failed drill's metric: $(grep drill metrics)"

# --- the good dump again (named): ok; the metrics carry it
run 0 backup drill good.dump --db "$url"
[ "$(check)" = ok ] || fail "a good drill after a failed one"
q -c "SELECT dbhealth_metrics()" >metrics
grep -q "^dbcare_backup_last_drill_timestamp_seconds{engine=\"postgresql\",database=\"$db\"} 1[0-9]\{9\}" metrics &&
  grep -q "^dbcare_backup_last_drill_duration_seconds{engine=\"postgresql\",database=\"$db\"} [0-9]" metrics &&
  grep -qx "dbcare_backup_last_drill_success{engine=\"postgresql\",database=\"$db\"} 1" metrics ||
  fail "the drill metrics: $(grep drill metrics)"
command -v promtool >/dev/null || fail "promtool is missing (test/harness/packages.txt)"
promtool check metrics <metrics 2>&1 | grep drill && fail "promtool on the drill metrics"
q -c "UPDATE dbcare.backup_drills SET drilled_at = now() - interval '17 days'" >/dev/null
[ "$(check)" = critical ] || fail "a drill 17 days old is not critical"
# --- what only the drill sees: rows breaking a constraint kept NOT VALID
# (pg_restore adds it NOT VALID again: the restore succeeds and verify
# passes); dbcheck_constraints on the restored copy finds them
q -c "ALTER TABLE orders ADD CONSTRAINT orders_total_small CHECK (total < 7000) NOT VALID" >/dev/null
run 0 backup notvalid.dump --db "$url"
run 0 verify notvalid.dump --db "$url"
run 1 backup drill --db "$url"
has "failed its restore drill: the restored copy has 1001 row(s) breaking 1 constraint(s) (dbcheck_constraints; first public.orders.orders_total_small)" err
run 1 backup drill nowhere.dump --db "$url"
has "dbcare: no catalogued backup at nowhere.dump" err
echo "ok: a pg_dump drilled and recorded; a lost row fails its drill; check and metrics"
