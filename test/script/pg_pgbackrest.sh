#!/usr/bin/env bash
# dbcare and pgBackRest (docs/backups.md), on a cluster of its own with a
# real stanza (lib/pgbackrest.sh): dbcare backup takes a full and an
# incremental backup and records each with pgBackRest's label and WAL
# range; the backups health check knows the stanza's archive; dbcare
# restore --to-time restores to a moment between two writes into a new
# directory, and the copy started there holds exactly the rows committed
# before that moment; restore --to-mark recovers to a dbbackup_mark restore
# point: the rows before it present, after it absent. A restore never writes into a non-empty directory or
# the running cluster's, and a failed one leaves its directory as it was.
# (Verification: pg_pgbackrest_verify.sh.)
set -eu
db=dbcare_pgbackrest
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3
. "$root/test/script/lib/pgbackrest.sh"

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
# the backups' WAL and history files reach the stanza first: with one still
# waiting, the broken archive_command below would really fail (critical)
for _ in $(seq 300); do
  [ "$(P -d app -c "SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'")" = 0 ] && break
  sleep 0.1
done
case "$(health)" in ok*) ;; *) fail "backups check with archiving to the stanza: $(health)" ;; esac
pushed=$(P -d app -c "SHOW archive_command")
P -d app -c "ALTER SYSTEM SET archive_command = 'cp %p /nowhere/%f'" -c "SELECT pg_reload_conf()" >/dev/null
poll_until 60 0.05 prints 'cp %p /nowhere/%f' P -d app -c "SHOW archive_command" ||
  fail "the server did not reload archive_command in 60 s"
case "$(health)" in "warning "*"archive_command does not push to pgBackRest (pgbackrest --stanza=app archive-push %p)"*) ;;
  *) fail "archive_command elsewhere with pgBackRest backups: $(health)" ;; esac
P -d app -c "ALTER SYSTEM RESET archive_command" -c "SELECT pg_reload_conf()" >/dev/null
poll_until 60 0.05 prints "$pushed" P -d app -c "SHOW archive_command" ||
  fail "the server did not reload archive_command in 60 s"
case "$(health)" in ok*) ;; *) fail "backups check after the reset: $(health)" ;; esac

# --- two writes around a moment
P -d app -c "INSERT INTO t (id, batch) SELECT g, 'C' FROM generate_series(2001, 3000) g"
sleep 0.3
target=$(P -d app -c "SELECT clock_timestamp()")
sleep 0.3
P -d app -c "INSERT INTO t (id, batch) SELECT g, 'D' FROM generate_series(3001, 4000) g"
# --- a restore point (dbbackup_mark) between D and E
mark=$(P -d app -c "SELECT dbbackup_mark('before E')")
case "$mark" in *'"label":"before E"'*'"lsn":'*) ;; *) fail "dbbackup_mark: $mark" ;; esac
P -d app -c "INSERT INTO t (id, batch) SELECT g, 'E' FROM generate_series(4001, 5000) g"
pgbr_ship_wal

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


# --- the restore to the mark: D present, E absent
run 1 restore --to-mark nothing "$r/nomark" --db "$url"
has 'no restore point named "nothing"' err
run 0 restore --to-mark "before E" "$r/marked" --db "$url" --json
"${AS_PG[@]}" env PGBACKREST_CONFIG="$PGBACKREST_CONFIG" "$B/pg_ctl" -D "$r/marked" -l "$r/marked.log" \
  -o "-c port=$port2 -c unix_socket_directories='$r/sock2' -c archive_mode=off" -w start >/dev/null ||
  { tail -20 "$r/marked.log"; fail "the copy restored to the mark did not start"; }
for _ in $(seq 600); do [ "$(R -c "SELECT pg_is_in_recovery()" 2>/dev/null)" = f ] && break; sleep 0.1; done
got=$(R -c "SELECT string_agg(batch || ':' || n, ' ' ORDER BY batch) FROM (SELECT batch, count(*) n FROM t GROUP BY batch) s")
[ "$got" = "A:1000 B:1000 C:1000 D:1000" ] || fail "restored to the mark, the copy holds $got"
"${AS_PG[@]}" "$B/pg_ctl" -D "$r/marked" -m fast -w stop >/dev/null

echo "total: $((($(date +%s%N) - start_ns) / 1000000)) ms"
echo "ok: pgBackRest full and incremental recorded, restored to a moment and to a mark"
