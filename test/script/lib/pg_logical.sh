# pg_logical.sh — what the wal-mode audit tests share (sourced after
# lib/pg.sh): a throwaway cluster of their own in $work/lg, owned by
# postgres, at stock settings but the ones the tests study: wal_level =
# logical (the harness's cluster runs at the default, replica) and, on a
# server that restricts output plugins, dbcare's trusted (output_plugin_
# libraries, PostgreSQL 15.20 and later minors). A free port;
# stopped on every path. Gives L (psql on database app of that cluster:
# L -c SQL), lg_start, lg_stop MODE (pg_ctl stop -m MODE), lg_pid_of TYPE
# (the pid of a backend of that backend_type) and AS_PG.
AS_PG=()
[ "$(id -u)" != 0 ] || AS_PG=(runuser -u postgres --)
chmod 755 "$work"
lg=$work/lg
mkdir -p "$lg/sock"
lg_port=$((20000 + RANDOM % 20000))
[ "$(id -u)" != 0 ] || chown -R postgres: "$lg"
"${AS_PG[@]}" "$B/initdb" -D "$lg/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C >"$lg/initdb.log" 2>&1 ||
  { cat "$lg/initdb.log"; fail "initdb failed"; }
cat >>"$lg/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $lg_port
unix_socket_directories = '$lg/sock'
wal_level = logical
CONF
# grep reads the whole list (no -q): under pipefail a grep that stops early
# makes postgres's next write fail, and the test with it
if "$B/postgres" --describe-config 2>/dev/null | grep '^output_plugin_libraries' >/dev/null; then
  echo "output_plugin_libraries = 'pgoutput, test_decoding, dbcare'" >>"$lg/data/postgresql.conf"
fi
# the harness's server environment too (the ASan suite preloads the
# sanitizer's runtime the module was built with)
read -r -a lg_env <<<"${DBC_PG_SERVER_ENV:-}"
lg_start() {
  "${AS_PG[@]}" env "${lg_env[@]}" "$B/pg_ctl" -D "$lg/data" -l "$lg/server.log" -w -t 120 start >/dev/null ||
    { tail -n 30 "$lg/server.log"; fail "the logical cluster did not start"; }
}
lg_stop() {
  "${AS_PG[@]}" "$B/pg_ctl" -D "$lg/data" -m "$1" -w -t 120 stop >/dev/null 2>&1 || true
}
trap 'lg_stop immediate; cleanup' EXIT
L() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$lg/sock" -p "$lg_port" -U postgres -d app "$@"; }
lg_wait_ready() {
  for _ in $(seq 1 600); do
    L -c "SELECT 1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  tail -n 30 "$lg/server.log"
  fail "the logical cluster does not answer"
}
lg_pid_of() { L -c "SELECT pid FROM pg_stat_activity WHERE backend_type = '$1' AND datname = 'app'"; }
lg_start
"$B/psql" -X -q -h "$lg/sock" -p "$lg_port" -U postgres -d postgres -c "CREATE DATABASE app" >/dev/null
L -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare"
