# pgbackrest.sh — what the pgBackRest script tests share (sourced after
# lib/pg.sh and lib/cli.sh): a throwaway cluster of their own in $work/pgbr,
# owned by postgres, archive_mode on with pgBackRest's archive-push into a
# local repository there, a stanza "app", a database app with dbcare in it
# and the setting backup.pgbackrest.stanza = app; free ports; stopped (and
# any restored copy in $r/restored) on every path. Gives r, port, port2,
# url, AS_PG, P (psql on app's cluster: P -d DB ...), start_ns and
# pgbr_ship_wal (the WAL archived; with "gone", the host lost after).
# A journey of a repository in a bucket sets, before sourcing:
#   pgbr_repo     the repository's lines of [global] (default: repo1-path
#                 in $r/repo), pgbr_archive the archive_command (default:
#                 pgbackrest --stanza=app archive-push %p), pgbr_no_stanza=1
#                 (no stanza-create here: dbcare backup makes it),
#                 pgbr_on_exit (a command run on exit before the cleanup),
#                 pgbr_compress (compress-type; default none),
#                 pgbr_initdb (initdb's further options), pgbr_secret
#                 (options of [global] kept in a file of their own,
#                 $r/conf.d/secret.conf, mode 0600, owned by the server's
#                 user: pgBackRest's include path), pgbr_include (a
#                 command run with that folder, $r/conf.d, to write files
#                 of pgBackRest's configuration into it) and pgbr_server_env
#                 (env's options for the server's environment: -u NAME)
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
${pgbr_repo:-repo1-path=$r/repo}
log-path=$r/log
lock-path=$r/lock
spool-path=$r/spool
log-level-console=warn
log-level-file=info
compress-type=${pgbr_compress:-none}
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
if [ -n "${pgbr_secret:-}${pgbr_include:-}" ]; then
  mkdir -p "$r/conf.d"
  [ -z "${pgbr_secret:-}" ] || (umask 077 && printf '[global]\n%s\n' "$pgbr_secret" >"$r/conf.d/secret.conf")
  [ -z "${pgbr_include:-}" ] || $pgbr_include "$r/conf.d"
  export PGBACKREST_CONFIG_INCLUDE_PATH=$r/conf.d
fi
[ "$(id -u)" != 0 ] || chown -R postgres: "$r"
export PGBACKREST_CONFIG=$r/pgbackrest.conf
export TMPDIR=$r/tmp
stop_all() {
  for d in "$r/data" "$r/restored"; do
    [ -f "$d/postmaster.pid" ] && "${AS_PG[@]}" "$B/pg_ctl" -D "$d" -m immediate -w stop >/dev/null 2>&1
  done
  true
}
trap 'stop_all; ${pgbr_on_exit:-true}; cleanup' EXIT
"${AS_PG[@]}" "$B/initdb" -D "$r/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C ${pgbr_initdb:-} >"$r/initdb.log" 2>&1 ||
  { cat "$r/initdb.log"; fail "initdb failed"; }
cat >>"$r/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $port
unix_socket_directories = '$r/sock'
archive_mode = on
archive_command = '${pgbr_archive:-pgbackrest --stanza=app archive-push %p}'
CONF
"${AS_PG[@]}" env ${pgbr_server_env:-} PGBACKREST_CONFIG="$PGBACKREST_CONFIG" "$B/pg_ctl" -D "$r/data" -l "$r/server.log" -w start >/dev/null ||
  { cat "$r/server.log"; fail "the cluster did not start"; }
[ -n "${pgbr_no_stanza:-}" ] || "${AS_PG[@]}" pgbackrest --stanza=app stanza-create >/dev/null || fail "stanza-create failed"
P() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$r/sock" -p "$port" -U postgres "$@"; }
P -d postgres -c "CREATE DATABASE app"
P -d app -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare" \
  -c "CREATE TABLE t (id int PRIMARY KEY, batch text, at timestamptz DEFAULT clock_timestamp())" \
  -c "INSERT INTO t (id, batch) SELECT g, 'A' FROM generate_series(1, 1000) g"
url="postgresql://postgres@/app?host=$r/sock&port=$port"
export PATH="$B:$PATH"
run 0 config set backup.pgbackrest.stanza app --db "$url"
echo "setup: $((($(date +%s%N) - start_ns) / 1000000)) ms"

# pgbr_ship_wal [gone]: the WAL written so far closed (pg_switch_wal) and
# archived by the archive_command, waited for inside one session (fails
# after 30 s with the archiver's last failure), the last segment archived
# in pgbr_shipped; with "gone", the day the host is lost: the cluster then
# stopped (immediate) and its data directory deleted.
pgbr_ship_wal() {
  pgbr_shipped=$(P -d app -c "DO \$\$ DECLARE seg text := pg_walfile_name(pg_current_wal_lsn()); BEGIN
      PERFORM pg_switch_wal();
      FOR i IN 1..300 LOOP
        PERFORM pg_stat_clear_snapshot();
        IF (SELECT coalesce(last_archived_wal, '') >= seg FROM pg_stat_archiver) THEN RETURN; END IF;
        PERFORM pg_sleep(0.1);
      END LOOP;
      RAISE EXCEPTION 'WAL segment % was not archived within 30 s (last failed: %)', seg,
        (SELECT coalesce(last_failed_wal, 'none') FROM pg_stat_archiver);
    END \$\$" -c "SELECT last_archived_wal FROM pg_stat_archiver") ||
    fail "the WAL was not archived: see $r/log"
  [ "${1:-}" = gone ] || return 0
  "${AS_PG[@]}" "$B/pg_ctl" -D "$r/data" -m immediate -w stop >/dev/null
  rm -rf "$r/data"
}
