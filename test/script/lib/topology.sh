# topology.sh — a primary and a physical standby of its own for a test
# (sourced after lib/pg.sh; issue 68's topology, docs/migrations.md
# "Reading your migration on a standby"). Both are throwaway clusters owned
# by postgres under $work/topo, at stock settings but their connection
# settings: no TCP (listen_addresses = ''), a private Unix socket directory,
# free ports. The standby is a pg_basebackup -R of the primary, streaming
# from it (hot_standby, the default), named standby1 (its cluster_name, the
# application_name the primary lists it by). With TOPO_SUBSCRIBER=1 set
# before sourcing, a third cluster subscribes to the primary (which then
# runs at wal_level = logical, the setting logical replication needs):
# table items (id, note) on both, publication topo_pub of it on the
# primary, subscription topo_sub (its slot topo_sub) on the subscriber,
# copied once before this returns. Every cluster is stopped on every
# path: exit, error, INT and TERM (lib/pg.sh turns those into an exit).
# Gives P, S and, with a subscriber, Q (psql on database app of the
# primary, the standby and the subscriber: P -c SQL), topo_url and
# topo_sub_url (libpq URLs of the primary's and the subscriber's app),
# topo_caught_up (until the standby has replayed all the primary wrote)
# and AS_PG. Starts in about two seconds (four with a subscriber).
AS_PG=()
[ "$(id -u)" != 0 ] || AS_PG=(runuser -u postgres --)
chmod 755 "$work"
topo=$work/topo
mkdir -p "$topo/sock"
[ "$(id -u)" != 0 ] || chown -R postgres: "$topo"
topo_port=$((20000 + RANDOM % 20000))
topo_sb_port=$((topo_port + 1))
topo_sub_port=$((topo_port + 2))
read -r -a topo_env <<<"${DBC_PG_SERVER_ENV:-}"
topo_stop() {
  for d in "$topo/subscriber" "$topo/standby" "$topo/primary"; do
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
[ "${TOPO_SUBSCRIBER:-0}" = 1 ] && echo "wal_level = logical" >>"$topo/primary/postgresql.conf"
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
printf "port = %s\ncluster_name = 'standby1'\n" "$topo_sb_port" >>"$topo/standby/postgresql.auto.conf"
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
topo_url="postgresql:///app?host=$topo/sock&port=$topo_port&user=postgres"

# the logical subscriber: its own cluster, subscribing to the primary
if [ "${TOPO_SUBSCRIBER:-0}" = 1 ]; then
  "${AS_PG[@]}" "$B/initdb" -D "$topo/subscriber" -U postgres --auth=trust --no-sync -E UTF8 \
    --locale=C >"$topo/initdb_sub.log" 2>&1 || { cat "$topo/initdb_sub.log"; fail "initdb failed"; }
  cat >>"$topo/subscriber/postgresql.conf" <<CONF
listen_addresses = ''
port = $topo_sub_port
unix_socket_directories = '$topo/sock'
CONF
  topo_start "$topo/subscriber" "$topo/subscriber.log"
  Q() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$topo/sock" -p "$topo_sub_port" -U postgres -d app "$@"; }
  "$B/psql" -X -q -h "$topo/sock" -p "$topo_sub_port" -U postgres -d postgres -c "CREATE DATABASE app" >/dev/null
  topo_sub_url="postgresql:///app?host=$topo/sock&port=$topo_sub_port&user=postgres"
  P -c "CREATE TABLE items (id int PRIMARY KEY, note text)" -c "INSERT INTO items VALUES (1, 'one')" \
    -c "CREATE PUBLICATION topo_pub FOR TABLE items" >/dev/null
  Q -c "CREATE TABLE items (id int PRIMARY KEY, note text)" >/dev/null
  Q -c "SET client_min_messages = warning" -c "CREATE SUBSCRIPTION topo_sub CONNECTION \
'host=$topo/sock port=$topo_port user=postgres dbname=app' PUBLICATION topo_pub" >/dev/null
  for _ in $(seq 1 300); do
    [ "$(Q -c "SELECT count(*) FROM items")" = 1 ] && break
    sleep 0.1
  done
  [ "$(Q -c "SELECT note FROM items")" = one ] ||
    { tail -n 30 "$topo/subscriber.log"; fail "the subscriber did not copy items"; }
fi
