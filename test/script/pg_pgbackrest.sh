#!/usr/bin/env bash
# dbcare and pgBackRest (docs/backups.md): a throwaway cluster of its own,
# archive_mode on with pgBackRest's archive-push into a repository in the
# test's directory, a real stanza. dbcare backup takes a full and an
# incremental backup and records each with pgBackRest's label and WAL
# range; dbcare verify runs pgbackrest verify and a restore test (a
# scratch copy started, read, stopped, removed); dbcare restore --to-time
# restores to a moment between two writes into a new directory, and the
# copy started there holds exactly the rows committed before that moment.
# A restore never writes into a non-empty directory or the running
# cluster's. Every cluster is stopped on every path.
set -eu
db=dbcare_pgbackrest
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3
command -v pgbackrest >/dev/null || fail "pgbackrest is not installed (test/harness/packages.txt)"
start_ns=$(date +%s%N)
AS_PG=()
[ "$(id -u)" != 0 ] || AS_PG=(runuser -u postgres --)
chmod 755 "$work"
r=$work/pgbr
mkdir -p "$r/sock" "$r/sock2" "$r/repo" "$r/log" "$r/lock" "$r/spool" "$r/tmp"
port=$((20000 + RANDOM % 20000))
port2=$((port + 1))
cat >"$r/pgbackrest.conf" <<CONF
[global]
repo1-path=$r/repo
log-path=$r/log
lock-path=$r/lock
spool-path=$r/spool
log-level-console=warn
log-level-file=info
compress-type=none
archive-async=y
process-max=2
start-fast=y
archive-timeout=60
repo1-retention-full=2

[app]
pg1-path=$r/data
pg1-port=$port
pg1-socket-path=$r/sock
pg1-user=postgres
CONF
[ "$(id -u)" != 0 ] || chown -R postgres: "$r"
export PGBACKREST_CONFIG=$r/pgbackrest.conf
export TMPDIR=$r/tmp
stop_all() {
  for d in "$r/data" "$r/restored"; do
    [ -f "$d/postmaster.pid" ] && "${AS_PG[@]}" "$B/pg_ctl" -D "$d" -m immediate -w stop >/dev/null 2>&1
  done
  true
}
trap 'stop_all; cleanup' EXIT
"${AS_PG[@]}" "$B/initdb" -D "$r/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C >"$r/initdb.log" 2>&1 ||
  { cat "$r/initdb.log"; fail "initdb failed"; }
cat >>"$r/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $port
unix_socket_directories = '$r/sock'
archive_mode = on
archive_command = 'pgbackrest --stanza=app archive-push %p'
CONF
"${AS_PG[@]}" env PGBACKREST_CONFIG="$PGBACKREST_CONFIG" "$B/pg_ctl" -D "$r/data" -l "$r/server.log" -w start >/dev/null ||
  { cat "$r/server.log"; fail "the cluster did not start"; }
"${AS_PG[@]}" pgbackrest --stanza=app stanza-create >/dev/null || fail "stanza-create failed"
P() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$r/sock" -p "$port" -U postgres "$@"; }
P -d postgres -c "CREATE DATABASE app"
P -d app -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare" \
  -c "CREATE TABLE t (id int PRIMARY KEY, batch text, at timestamptz DEFAULT clock_timestamp())" \
  -c "INSERT INTO t (id, batch) SELECT g, 'A' FROM generate_series(1, 1000) g"
url="postgresql://postgres@/app?host=$r/sock&port=$port"
export PATH="$B:$PATH"
run 0 config set backup.pgbackrest.stanza app --db "$url"
echo "setup: $((($(date +%s%N) - start_ns) / 1000000)) ms"

# --- a full backup, then writes, then an incremental one
t0=$(date +%s%N)
run 0 backup --type full --db "$url" --json
echo "full backup: $((($(date +%s%N) - t0) / 1000000)) ms"
full=$(json "d['backup']['label']")
[ "$(json "d['backup']['type']")" = full ] || fail "not a full backup: $(cat out)"
[ "$(json "d['backup']['path']")" = "pgbackrest:app/$full" ] || fail "the path is not the stanza's label: $(cat out)"
info=$("${AS_PG[@]}" env PGBACKREST_CONFIG="$PGBACKREST_CONFIG" pgbackrest --stanza=app --output=json info)
[ "$("$py" -c "import json,sys; b=json.loads(sys.argv[1])[0]['backup'][-1]; print(b['label'], b['archive']['start'], b['archive']['stop'])" "$info")" = \
  "$full $(json "d['backup']['wal_start']") $(json "d['backup']['wal_stop']")" ] ||
  fail "the recorded label and WAL range are not pgBackRest's: $(cat out) / $info"
P -d app -c "INSERT INTO t (id, batch) SELECT g, 'B' FROM generate_series(1001, 2000) g"
t0=$(date +%s%N)
run 0 backup --type incr --db "$url" --json
echo "incremental backup: $((($(date +%s%N) - t0) / 1000000)) ms"
incr=$(json "d['backup']['label']")
[ "$(json "d['backup']['type']")" = incr ] || fail "not an incremental backup: $(cat out)"
case "$incr" in "$full"_*I) ;; *) fail "the incremental $incr does not follow $full" ;; esac
[ "$(P -d app -c "SELECT count(*) FROM dbcare.backups WHERE kind = 'pgbackrest' AND status = 'verified' AND wal_start IS NOT NULL")" = 2 ] ||
  fail "the catalog does not hold both backups: $(P -d app -c "SELECT * FROM dbcare.backups")"

# --- the backups health check knows pgBackRest's archive: archiving that
# goes elsewhere leaves the catalogued backups without point-in-time recovery
health() { P -d app -c "SELECT status || ' ' || message FROM dbhealth_checks('quick') WHERE name = 'backups'"; }
case "$(health)" in ok*) ;; *) fail "backups check with archiving to the stanza: $(health)" ;; esac
P -d app -c "ALTER SYSTEM SET archive_command = 'cp %p /nowhere/%f'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.3
case "$(health)" in "warning "*"archive_command does not push to pgBackRest (pgbackrest --stanza=app archive-push %p)"*) ;;
  *) fail "archive_command elsewhere with pgBackRest backups: $(health)" ;; esac
P -d app -c "ALTER SYSTEM RESET archive_command" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.3
case "$(health)" in ok*) ;; *) fail "backups check after the reset: $(health)" ;; esac

# --- two writes around a moment
P -d app -c "INSERT INTO t (id, batch) SELECT g, 'C' FROM generate_series(2001, 3000) g"
sleep 0.3
target=$(P -d app -c "SELECT clock_timestamp()")
sleep 0.3
P -d app -c "INSERT INTO t (id, batch) SELECT g, 'D' FROM generate_series(3001, 4000) g"
seg=$(P -d app -c "SELECT pg_walfile_name(pg_current_wal_lsn())")
P -d app -c "SELECT pg_switch_wal()" >/dev/null
for _ in $(seq 300); do
  [ "$(P -d app -c "SELECT coalesce(last_archived_wal, '') >= '$seg' FROM pg_stat_archiver")" = t ] && break
  sleep 0.1
done

# --- never over a running cluster, never into a non-empty directory
run 1 restore --to-time "$target" "$r/data" --db "$url"
has "is the data directory of the running cluster" err
mkdir -p "$r/full"; touch "$r/full/something"
run 1 restore --to-time "$target" "$r/full" --db "$url"
has "is not empty" err
[ -f "$r/data/postmaster.pid" ] && [ -f "$r/full/something" ] || fail "a refused restore touched files"
# a restore pgBackRest fails leaves the directory as it was (here: missing)
run 1 restore --to-time "$target" "$r/early" --stanza nosuch --db "$url"
has "pgbackrest restore failed" err
[ ! -e "$r/early" ] || fail "a failed restore left $(ls -A "$r/early")"

# --- the restore to the moment: exactly the rows committed before it
t0=$(date +%s%N)
run 0 restore --to-time "$target" "$r/restored" --db "$url" --json
echo "restore: $((($(date +%s%N) - t0) / 1000000)) ms"
"${AS_PG[@]}" env PGBACKREST_CONFIG="$PGBACKREST_CONFIG" "$B/pg_ctl" -D "$r/restored" -l "$r/restored.log" \
  -o "-c port=$port2 -c unix_socket_directories='$r/sock2' -c archive_mode=off" -w start >/dev/null ||
  { tail -20 "$r/restored.log"; fail "the restored copy did not start"; }
R() { "$B/psql" -X -q -At -h "$r/sock2" -p "$port2" -U postgres -d app "$@"; }
for _ in $(seq 600); do [ "$(R -c "SELECT pg_is_in_recovery()" 2>/dev/null)" = f ] && break; sleep 0.1; done
[ "$(R -c "SELECT pg_is_in_recovery()")" = f ] || { tail -20 "$r/restored.log"; fail "the restored copy did not finish recovery"; }
got=$(R -c "SELECT string_agg(batch || ':' || n, ' ' ORDER BY batch) FROM (SELECT batch, count(*) n FROM t GROUP BY batch) s")
[ "$got" = "A:1000 B:1000 C:1000" ] || fail "restored to $target, the copy holds $got"
[ "$(R -c "SELECT count(*) FROM t WHERE at > '$target'")" = 0 ] || fail "the copy holds rows written after $target"
"${AS_PG[@]}" "$B/pg_ctl" -D "$r/restored" -m fast -w stop >/dev/null

# --- verify: pgbackrest verify and a restore test, the scratch copy gone after
t0=$(date +%s%N)
run 0 verify "$incr" --db "$url" --json
echo "verify: $((($(date +%s%N) - t0) / 1000000)) ms"
[ "$(json "d['verify']['verified']")" = True ] || fail "the incremental backup did not verify: $(cat out err)"
[ "$(json "d['verify']['tables']")" -ge 1 ] || fail "the restore test read no table: $(cat out)"
[ -z "$(ls "$r/tmp")" ] || fail "verify left $(ls "$r/tmp")"
! pgrep -f "dbcare-verify-" >/dev/null || fail "a scratch cluster still runs"
# a damaged repository fails verification, and the row says so
# (a relation file of the full backup, which the incremental one uses)
f=$(find "$r/repo/backup/app/$full/pg_data/base" -type f -size +8k | head -n 1)
[ -n "$f" ] || fail "no relation file in the full backup"
printf 'XXXX' | dd of="$f" bs=1 seek=100 conv=notrunc status=none
run 1 verify "$incr" --db "$url"
has "failed verification" err
[ "$(P -d app -c "SELECT status FROM dbcare.backups WHERE label = '$incr'")" = failed ] ||
  fail "the row of a backup that fails verification is not failed"
[ -z "$(ls "$r/tmp")" ] || fail "a failed verify left $(ls "$r/tmp")"
echo "total: $((($(date +%s%N) - start_ns) / 1000000)) ms"
echo "ok: pgBackRest full and incremental recorded, verified, restored to a moment"
