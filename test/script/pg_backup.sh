#!/usr/bin/env bash
# The backups catalog and health check on PostgreSQL (docs/backups.md):
# dbbackup_record / dbbackup_list, the check's catalog part (skipped,
# required, fresh, stale), archive_mode off with require_archiving, and a
# throwaway cluster archiving WAL: an archive_command that is not found
# (exit 127, which pg_stat_archiver does not count as a failure), one that
# fails (exit 1, counted), and one that works. A role without pg_monitor is
# told what it cannot see. Nothing here makes dbcare write a server file.
set -eu
db=dbcare_backup
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/wait.sh"

check() { q -c "SELECT status || ' ' || message FROM dbhealth_checks('quick') WHERE name = 'backups'"; }
status() { check | cut -d' ' -f1; }

# --- the catalog part, on the test cluster (archive_mode off) --------------
fresh_db
[ "$(status)" = skipped ] || fail "no backup yet: $(check)"
q -c "SELECT dbcare_set('health.backups.require_archiving', 'on')" >/dev/null
[ "$(status)" = warning ] || fail "archive_mode off, archiving required: $(check)"
check | grep -q "archive_mode is off" || fail "archive_mode off not named: $(check)"
q -c "SELECT dbcare_set('health.backups.require_archiving', 'off')" \
  -c "SELECT dbcare_set('health.backups.required', 'on')" >/dev/null
[ "$(status)" = critical ] || fail "required, none recorded: $(check)"
id=$(q -c "SELECT dbbackup_record('pg_dump', '/backups/app.dump', 12345)")
[ "$id" -ge 1 ] || fail "dbbackup_record returned $id"
[ "$(status)" = ok ] || fail "a fresh recorded backup: $(check)"
got=$(q -c "SELECT kind, path, bytes, status, fingerprint = dbschema_fingerprint(), \"exists\" IS NULL
            FROM dbbackup_list()")
[ "$got" = "pg_dump|/backups/app.dump|12345|verified|t|t" ] || fail "dbbackup_list: $got"
q -c "UPDATE dbcare.backups SET created_at = now() - interval '30 hours'"
[ "$(status)" = warning ] || fail "30 h old: $(check)"
q -c "UPDATE dbcare.backups SET created_at = now() - interval '60 hours'"
[ "$(status)" = critical ] || fail "60 h old: $(check)"
q -c "SELECT dbbackup_record('basebackup', 's3://bucket/x', verified => false)" >/dev/null
[ "$(status)" = critical ] || fail "an unverified backup does not count: $(check)"
out=$(q -c "SELECT dbbackup_record('', 'x')" 2>&1 || true)
printf '%s' "$out" | grep -q "dbcare: a recorded backup needs a kind and a location" ||
  fail "empty kind: $out"
# the widened record: everything a tool knows of its copy in one row, read
# back by dbbackup_entry; dbbackup_verified marks it (the command's only
# ways to the catalog)
sha=$(printf '%064d' 0 | tr 0 a)
id=$(q -c "SELECT dbbackup_record('pgbackrest', 'pgbackrest:main/L1', 10, 'fp', sha256 => '$sha',
             content => '{\"public.t\": {\"rows\": 2, \"hash\": \"h\"}}', label => 'L1',
             wal_start => 'W1', wal_stop => 'W2', duration_ms => 1.5)")
got=$(q -c "SELECT e->>'kind', e->>'path', e->>'bytes', e->>'fingerprint', e->>'sha256' = '$sha',
                   e->'content'->'public.t'->>'rows', e->>'label', e->>'wal_start',
                   e->>'wal_stop', e->>'duration_ms', e->>'status'
            FROM dbbackup_entry($id) AS e")
[ "$got" = "pgbackrest|pgbackrest:main/L1|10|fp|t|2|L1|W1|W2|1.5|verified" ] ||
  fail "dbbackup_record widened, read by dbbackup_entry: $got"
[ "$(q -c "SELECT dbbackup_entry(label => 'L1')->>'id'")" = "$id" ] || fail "entry by label"
[ "$(q -c "SELECT dbbackup_entry(path => 'pgbackrest:main/L1')->>'id'")" = "$id" ] ||
  fail "entry by path"
[ "$(q -c "SELECT dbbackup_entry(path => 'nowhere') IS NULL")" = t ] || fail "entry of none"
out=$(q -c "SELECT dbbackup_record('x', 'y', sha256 => 'ABC')" 2>&1 || true)
printf '%s' "$out" | grep -q "dbcare: sha256 must be a SHA-256" || fail "bad sha256: $out"
[ "$(q -c "SELECT dbbackup_verified($id, 'restore test failed')")" = failed ] || fail "verified failed"
got=$(q -c "SELECT status, detail, verified_at IS NULL FROM dbcare.backups WHERE id = $id")
[ "$got" = "failed|restore test failed|t" ] || fail "dbbackup_verified(failed): $got"
[ "$(q -c "SELECT dbbackup_verified($id)")" = verified ] || fail "verified"
got=$(q -c "SELECT status, detail IS NULL, verified_at IS NOT NULL FROM dbcare.backups WHERE id = $id")
[ "$got" = "verified|t|t" ] || fail "dbbackup_verified: $got"
out=$(q -c "SELECT dbbackup_verified(999999)" 2>&1 || true)
printf '%s' "$out" | grep -q "dbcare: no catalogued backup has id 999999" || fail "unknown id: $out"
q -c "DELETE FROM dbcare.backups WHERE id = $id" >/dev/null
# a role that may run the report but not read the catalog
q -c "DROP ROLE IF EXISTS dbc_backup_nobody" -c "CREATE ROLE dbc_backup_nobody LOGIN" >/dev/null
got=$("$B/psql" -X -q -At -d "$db" -U dbc_backup_nobody \
        -c "SELECT status || ' ' || coalesce(hint, '') FROM dbhealth_checks('quick') WHERE name = 'backups'")
case "$got" in "skipped GRANT pg_monitor TO dbc_backup_nobody;") ;; *) fail "no catalog privilege: $got" ;; esac
out=$("$B/psql" -X -q -At -d "$db" -U dbc_backup_nobody -c "SELECT dbbackup_record('x', 'y')" 2>&1 || true)
printf '%s' "$out" | grep -q "permission denied for function dbbackup_record" ||
  fail "PUBLIC may record a backup: $out"
out=$("$B/psql" -X -q -At -d "$db" -U dbc_backup_nobody -c "SELECT dbbackup_verified(1)" 2>&1 || true)
printf '%s' "$out" | grep -q "permission denied for function dbbackup_verified" ||
  fail "PUBLIC may mark a backup verified: $out"
q -c "DROP OWNED BY dbc_backup_nobody" -c "DROP ROLE dbc_backup_nobody" >/dev/null
echo "ok: record, list, and the catalog part of the check"

# --- a throwaway cluster archiving WAL --------------------------------------
owner=$(stat -c %U "$PGHOST/.s.PGSQL.$PGPORT")
as_owner=()
[ "$(id -un)" = "$owner" ] || as_owner=(runuser -u "$owner" --)
adata=$work/arch-data; asock=$work/arch-sock; arch=$work/archive
aport=$(( (PGPORT + 2 + RANDOM % 1000) % 65536 )); [ "$aport" -gt 1024 ] || aport=$((aport + 20000))
mkdir -p "$asock" "$arch"
[ ${#as_owner[@]} = 0 ] || chown -R "$owner" "$work"
"${as_owner[@]}" "$B/initdb" -D "$adata" -A trust -U postgres >/dev/null 2>&1 || fail "initdb"
cat >>"$adata/postgresql.conf" <<CONF
listen_addresses = ''
port = $aport
unix_socket_directories = '$asock'
archive_mode = on
archive_command = 'cp "%p" "$arch/%f"'
fsync = off
CONF
stop_cluster() { "${as_owner[@]}" "$B/pg_ctl" -D "$adata" -m immediate -w stop >/dev/null 2>&1 || true; }
trap 'stop_cluster; cleanup' EXIT
"${as_owner[@]}" "$B/pg_ctl" -D "$adata" -l "$work/arch.log" -w -t 60 start >/dev/null 2>&1 ||
  { tail -20 "$work/arch.log"; fail "the archiving cluster did not start"; }
a() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$asock" -p "$aport" -U postgres -d postgres "$@"; }
acheck() { a -c "SELECT status || ' ' || message FROM dbhealth_checks('quick') WHERE name = 'backups'"; }
a -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare" \
  -c "SELECT dbcare_set('health.backups.max_archive_age', '0')" >/dev/null
switch() { a -c "CREATE TABLE IF NOT EXISTS w (x int)" -c "INSERT INTO w VALUES (1)" \
             -c "SELECT pg_switch_wal()" >/dev/null; }
# a working archive_command: archived, nothing waits, the check is quiet
switch
for _ in $(seq 1 100); do
  [ "$(a -c "SELECT last_archived_wal IS NOT NULL FROM pg_stat_archiver")" = t ] && break; sleep 0.1
done
got=$(acheck)
case "$got" in "skipped no backup recorded yet") ;; *) fail "archiving works, no backup: $got" ;; esac
ls "$arch" | grep -q . || fail "nothing was archived"
# the command goes missing (exit 127): pg_stat_archiver counts no failure,
# but the last archived segment grows old while newer ones wait
a -c "ALTER SYSTEM SET archive_command = '/nonexistent/archiver \"%p\"'" \
  -c "SELECT pg_reload_conf()" >/dev/null
poll_until 60 0.05 prints '/nonexistent/archiver "%p"' a -c "SHOW archive_command" ||
  fail "the server did not reload archive_command in 60 s"
switch; switch; switch
got=$(acheck)
case "$got" in "critical "*"last archived WAL segment "*" while newer ones wait"*) ;;
  *) fail "exit 127: $got" ;; esac
[ "$(a -c "SELECT failed_count FROM pg_stat_archiver")" = 0 ] ||
  echo "note: this server counted the exit 127 as a failure"
# segments that have just completed are no backlog yet (a backup or a burst
# of writes completes several at once): only one waiting past the grace is
case "$got" in *"wait to be archived"*) fail "fresh .ready files counted as a backlog: $got" ;; esac
ready=$(find "$adata/pg_wal/archive_status" -name '*.ready' | wc -l)
[ "$ready" -gt 1 ] || fail "the test needs more than one .ready file, has $ready"
find "$adata/pg_wal/archive_status" -name '*.ready' -exec touch -d '-2 minutes' {} +
got=$(acheck)
printf '%s' "$got" | grep -Eq "$ready WAL segments wait to be archived \(.ready\), the oldest for more than 60 s" ||
  fail "no .ready backlog: $got"
a -c "SELECT dbbackup_record('pg_basebackup', '/backups/base')" >/dev/null
got=$(acheck)
case "$got" in "critical newest verified backup 0.0 h old"*"; last archived WAL segment"*) ;;
  *) fail "a fresh backup does not hide the archiver: $got" ;; esac
echo "ok: archiving that works, then an archive_command not found (exit 127)"
