# topology.sh — a primary and a physical standby of its own for a test
# (sourced after lib/pg.sh; issue 68's topology, docs/migrations.md
# "Reading your migration on a standby"). Both are throwaway clusters owned
# by postgres under $work/topo, at stock settings but their connection
# settings: no TCP (listen_addresses = ''), a private Unix socket directory,
# free ports. The standby is a pg_basebackup -R of the primary, streaming
# from it (hot_standby, the default). Both are stopped on every path: exit,
# error, INT and TERM (lib/pg.sh turns those into an exit).
# Gives P and S (psql on database app of the primary and of the standby:
# P -c SQL), topo_caught_up (until the standby has replayed all the primary
# wrote) and AS_PG. Starts in about two seconds.
AS_PG=()
[ "$(id -u)" != 0 ] || AS_PG=(runuser -u postgres --)
chmod 755 "$work"
topo=$work/topo
mkdir -p "$topo/sock"
[ "$(id -u)" != 0 ] || chown -R postgres: "$topo"
topo_port=$((20000 + RANDOM % 20000))
topo_sb_port=$((topo_port + 1))
read -r -a topo_env <<<"${DBC_PG_SERVER_ENV:-}"
topo_stop() {
  for d in "$topo/standby" "$topo/primary"; do
    [ -f "$d/postmaster.pid" ] && "${AS_PG[@]}" "$B/pg_ctl" -D "$d" -m immediate -w -t 60 stop >/dev/null 2>&1
  done
  return 0
}
trap 'topo_stop; cleanup' EXIT
topo_start() { # DIR LOG
  "${AS_PG[@]}" env "${topo_env[@]}" "$B/pg_ctl" -D "$1" -l "$2" -w -t 120 start >/dev/null ||
    { tail -n 30 "$2"; fail "the cluster in $(basename "$1") did not start"; }
}
"${AS_PG[@]}" "$B/initdb" -D "$topo/primary" -U postgres --auth=trust --no-sync -E UTF8 --locale=C \
  >"$topo/initdb.log" 2>&1 || { cat "$topo/initdb.log"; fail "initdb failed"; }
cat >>"$topo/primary/postgresql.conf" <<CONF
listen_addresses = ''
port = $topo_port
unix_socket_directories = '$topo/sock'
CONF
topo_start "$topo/primary" "$topo/primary.log"
P() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$topo/sock" -p "$topo_port" -U postgres -d app "$@"; }
S() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$topo/sock" -p "$topo_sb_port" -U postgres -d app "$@"; }
"$B/psql" -X -q -h "$topo/sock" -p "$topo_port" -U postgres -d postgres -c "CREATE DATABASE app" >/dev/null
P -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare" >/dev/null

# the standby: a base backup of the primary (-R: standby.signal and
# primary_conninfo over the private socket), on its own port
"${AS_PG[@]}" "$B/pg_basebackup" -D "$topo/standby" -R -X stream -c fast -h "$topo/sock" \
  -p "$topo_port" -U postgres >"$topo/basebackup.log" 2>&1 ||
  { cat "$topo/basebackup.log"; fail "pg_basebackup failed"; }
echo "port = $topo_sb_port" >>"$topo/standby/postgresql.auto.conf"
topo_start "$topo/standby" "$topo/standby.log"
[ "$(S -c "SELECT pg_is_in_recovery()")" = t ] || fail "the standby is not in recovery"
[ "$(P -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 1 ] ||
  { sleep 1; [ "$(P -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 1 ]; } ||
  fail "the standby does not stream: $(P -c "SELECT * FROM pg_stat_replication")"

# topo_caught_up: until the standby has replayed what the primary wrote by now
topo_caught_up() {
  local target
  target=$(P -c "SELECT pg_current_wal_lsn()")
  for _ in $(seq 1 300); do
    [ "$(S -c "SELECT pg_last_wal_replay_lsn() >= '$target'")" = t ] && return 0
    sleep 0.1
  done
  fail "the standby did not replay to $target"
}
