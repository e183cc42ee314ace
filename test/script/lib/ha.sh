# ha.sh — two PostgreSQL nodes under pg_auto_failover, the HA manager a user
# would run (Debian's pg-auto-failover-cli and postgresql-15-auto-failover,
# test/harness/packages.txt), for a test (sourced after lib/pg.sh; issue 68,
# docs/topology.md "Under an HA manager"). A monitor and two data nodes,
# node1 (the first primary) and node2 (its standby, a pg_basebackup that
# pg_autoctl makes), each a cluster of the private installation owned by
# postgres under $work/ha with its own `pg_autoctl run` keeper. pg_autoctl
# joins its nodes by host name and port, so they listen on 127.0.0.1 only
# (free ports) beside their private Unix socket, which is how the test
# connects. pg_autoctl's files (config, state, pid) stay under $work/ha.
# The keepers are children of the test, in its process group: the suite's
# time limit reaches them, and every path out of the test kills them and
# their servers (exit, error, INT, TERM; throwaway clusters need no clean
# shutdown).
# The monitor is tuned to fail over in seconds, not a minute: a health
# check every second, a node unhealthy after 3 s, an old primary given 3 s
# to say it was demoted. pg_autoctl's memory tuning is put back to the
# stock settings (three clusters share the machine).
# Gives N1 and N2 (psql on database app of node1 and node2: N1 -c SQL),
# ha_url (a libpq URL naming both nodes, target_session_attrs=read-write),
# ha_state (the monitor's view), ha_wait_primary NODE (until NODE takes
# writes and the other node's keeper does not report a primary),
# ha_wait_secondary NODE, ha_caught_up PRIMARY STANDBY, ha_kill NODE (kill -9 of the node's keeper and
# every server process: the machine dies), ha_run NODE (its keeper started
# again) and ha_autoctl ARGS (pg_autoctl as postgres in this setup).
command -v pg_autoctl >/dev/null ||
  fail "pg_autoctl is missing: install pg-auto-failover-cli (test/harness/packages.txt)"
[ -f "$("$B/pg_config" --pkglibdir)/pgautofailover.so" ] ||
  fail "pgautofailover.so is missing: install postgresql-15-auto-failover (test/harness/packages.txt)"
AS_PG=()
[ "$(id -u)" != 0 ] || AS_PG=(runuser -u postgres --)
chmod 755 "$work"
ha=$work/ha
mkdir -p "$ha/sock" "$ha/config" "$ha/data" "$ha/run"
[ "$(id -u)" != 0 ] || chown -R postgres: "$ha"
# three consecutive free loopback ports (the nodes listen on TCP)
ha_free() { ! (exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 1 50); do
  ha_port=$((20000 + RANDOM % 20000))
  ha_free "$ha_port" && ha_free $((ha_port + 1)) && ha_free $((ha_port + 2)) && break
done
ha_n1_port=$((ha_port + 1))
ha_n2_port=$((ha_port + 2))
ha_monitor="postgres://autoctl_node@127.0.0.1:$ha_port/pg_auto_failover?sslmode=disable"
ha_autoctl() {
  "${AS_PG[@]}" env XDG_CONFIG_HOME="$ha/config" XDG_DATA_HOME="$ha/data" XDG_RUNTIME_DIR="$ha/run" \
    PG_CONFIG="$B/pg_config" PGHOST="$ha/sock" pg_autoctl "$@"
}
declare -A ha_keeper=()
ha_run() { # NODE: its keeper, in the background, logging to NODE.log
  ha_autoctl run --pgdata "$ha/$1" >>"$ha/$1.log" 2>&1 &
  ha_keeper[$1]=$!
}
ha_stop() { # every keeper and server killed, as at the end of a crash test
  local n pm pms=()
  # all three killed first, then each postmaster waited for: the waits overlap
  for n in node1 node2 monitor; do
    [ -f "$ha/$n/postmaster.pid" ] && pms+=("$(head -n 1 "$ha/$n/postmaster.pid")")
    ha_kill "$n"
  done
  for pm in "${pms[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pm" 2>/dev/null || break; sleep 0.1; done
  done
  # and any process of this setup left over (a keeper's service whose
  # parent died first): each carries the setup's XDG_CONFIG_HOME
  for n in /proc/[0-9]*; do
    grep -qzx "XDG_CONFIG_HOME=$ha/config" "$n/environ" 2>/dev/null && { kill -KILL "${n#/proc/}" 2>/dev/null || true; }
  done
  return 0
}
trap 'ha_stop; cleanup' EXIT
# the processes under PID, PID last, from one listing of the processes
# (not a pgrep, a scan of every process, per process of the tree)
ha_tree() {
  local pid ppid
  declare -A kids=()
  while read -r pid ppid; do kids[$ppid]+=" $pid"; done < <(ps -e -o pid= -o ppid=)
  ha_tree_of() {
    local c
    for c in ${kids[$1]:-}; do ha_tree_of "$c"; done
    echo "$1"
  }
  ha_tree_of "$1"
}
ha_kill() { # NODE
  local p=${ha_keeper[$1]:-} pm=""
  [ -f "$ha/$1/postmaster.pid" ] && pm=$(head -n 1 "$ha/$1/postmaster.pid")
  # shellcheck disable=SC2046
  [ -z "$p" ] || kill -KILL $(ha_tree "$p") 2>/dev/null || true
  [ -z "$pm" ] || kill -KILL "$pm" 2>/dev/null || true
  ha_keeper[$1]=""
  return 0
}
# an initdb of our own: the private socket before pg_autoctl takes the
# directory (node2's copy of node1 keeps it). The nodes run with what
# pg_autoctl's basic tuning gives its users (work_mem and
# maintenance_work_mem among them: no HA test studies them), but for the
# shared memory and cache size, kept at PostgreSQL 15's stock values so
# that three servers of a two-core test machine do not ask for a quarter
# of its memory each.
ha_initdb() { # NODE
  "${AS_PG[@]}" "$B/initdb" -D "$ha/$1" -U postgres --auth=trust --no-sync -E UTF8 --locale=C \
    >"$ha/initdb_$1.log" 2>&1 || { cat "$ha/initdb_$1.log"; fail "initdb failed"; }
  echo "unix_socket_directories = '$ha/sock'" >>"$ha/$1/postgresql.conf"
  cat >>"$ha/$1/postgresql.auto.conf" <<CONF
shared_buffers = '128MB'
effective_cache_size = '4GB'
CONF
}
ha_initdb monitor
cat >>"$ha/monitor/postgresql.auto.conf" <<CONF
pgautofailover.health_check_period = 1000
pgautofailover.health_check_retry_delay = 500
pgautofailover.health_check_timeout = 1000
pgautofailover.node_considered_unhealthy_timeout = 3000
pgautofailover.primary_demote_timeout = 3000
CONF
# node1's initdb meanwhile (it needs no monitor yet)
ha_initdb node1 &
ha_initdb_node1=$!
pids+=("$ha_initdb_node1")
ha_autoctl create monitor --pgctl "$B/pg_ctl" --pgdata "$ha/monitor" --pgport "$ha_port" \
  --hostname 127.0.0.1 --listen 127.0.0.1 --auth trust --no-ssl >"$ha/monitor.log" 2>&1 ||
  { tail -n 30 "$ha/monitor.log"; fail "pg_autoctl create monitor failed"; }
ha_run monitor
ha_state() { ha_autoctl show state --pgdata "$ha/monitor" 2>&1; }
ha_node() { # NODE PORT: a data node joined to the monitor
  ha_autoctl create postgres --pgctl "$B/pg_ctl" --pgdata "$ha/$1" --pgport "$2" --hostname 127.0.0.1 \
    --listen 127.0.0.1 --name "$1" --dbname app --auth trust --no-ssl --monitor "$ha_monitor" \
    >>"$ha/$1.log" 2>&1 || { tail -n 30 "$ha/$1.log"; fail "pg_autoctl create postgres ($1) failed"; }
  ha_run "$1"
}
N1() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$ha/sock" -p "$ha_n1_port" -U postgres -d app "$@"; }
N2() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$ha/sock" -p "$ha_n2_port" -U postgres -d app "$@"; }
ha_psql() { # NODE ARGS...
  if [ "$1" = node1 ]; then shift; N1 "$@"; else shift; N2 "$@"; fi
}
ha_reported() { # NODE: the state the monitor has from the node's keeper
  "$B/psql" -X -q -At -h "$ha/sock" -p "$ha_port" -U postgres -d pg_auto_failover \
    -c "SELECT reportedstate FROM pgautofailover.node WHERE nodename = '$1'" 2>/dev/null
}
ha_wait_primary() { # NODE: it takes writes, as the monitor's primary
  for _ in $(seq 1 300); do
    case $(ha_reported "$1") in
    single | primary | wait_primary)
      [ "$(ha_psql "$1" -c "SHOW transaction_read_only" 2>/dev/null)" = off ] && return 0
      ;;
    esac
    sleep 0.2
  done
  fail "$1 did not become the primary: $(ha_state)"
}
ha_wait_secondary() { # NODE: it streams from the primary, as a secondary
  for _ in $(seq 1 450); do
    [ "$(ha_reported "$1")" = secondary ] && [ "$(ha_psql "$1" -c "SELECT pg_is_in_recovery()" 2>/dev/null)" = t ] &&
      return 0
    sleep 0.2
  done
  fail "$1 did not become a secondary: $(ha_state)"
}
ha_caught_up() { # PRIMARY STANDBY: until STANDBY has replayed what PRIMARY wrote by now
  local target
  target=$(ha_psql "$1" -c "SELECT pg_current_wal_lsn()")
  for _ in $(seq 1 300); do
    [ "$(ha_psql "$2" -c "SELECT pg_last_wal_replay_lsn() >= '$target'" 2>/dev/null)" = t ] && return 0
    sleep 0.1
  done
  fail "$2 did not replay to $target"
}
wait "$ha_initdb_node1" || fail "node1's initdb failed"
ha_node node1 "$ha_n1_port"
ha_wait_primary node1
ha_node node2 "$ha_n2_port"
ha_wait_secondary node2
ha_url="postgresql:///app?host=$ha/sock,$ha/sock&port=$ha_n1_port,$ha_n2_port&user=postgres"
ha_url="$ha_url&target_session_attrs=read-write"
