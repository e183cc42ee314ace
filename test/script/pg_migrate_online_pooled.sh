#!/usr/bin/env bash
# dbcare migrate --online through a transaction-mode pooler (pgbouncer,
# pool_mode = transaction, one server connection): the server session the
# command used keeps the settings it found, which the pooler hands to its
# next client (docs/migrations.md, "Never a queue behind a lock"). Its
# lock_timeout and max_parallel_maintenance_workers are the same after the
# command as before it -- a session's own SET and a role's setting in the
# database alike -- after a run with a CREATE INDEX (built CONCURRENTLY
# outside a transaction) and a NOT NULL backfill, after a run with no step
# outside a transaction, and after a run whose CONCURRENTLY build fails.
set -eu
db=dbcare_migrate_online_pooled
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
pgbouncer=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
[ -x "$pgbouncer" ] || fail "pgbouncer is missing (test/harness/packages.txt)"
fresh_db
q <<'SQL'
CREATE TABLE orders (id bigint PRIMARY KEY, ref text, placed_at timestamptz);
INSERT INTO orders SELECT g, 'r' || (g % 5000), now() - g * interval '1 s'
  FROM generate_series(1, 20000) g;
SQL
# the role's own lock_timeout in this database (gone with the database)
q -c "ALTER ROLE $PGUSER IN DATABASE $db SET lock_timeout = '7s'"

# the pooler: a Unix socket in our own directory (any port is free there),
# one server connection, so every client after the command gets the
# server session the command used; run as the cluster's owner when root
pgb=$work/pgbouncer
mkdir -p "$pgb"
pgb_port=$((20000 + RANDOM % 20000))
echo "\"$PGUSER\" \"\"" >"$pgb/users.txt"
cat >"$pgb/pgbouncer.ini" <<INI
[databases]
$db = host=$PGHOST port=$PGPORT dbname=$db user=$PGUSER
[pgbouncer]
listen_addr =
listen_port = $pgb_port
unix_socket_dir = $pgb
auth_type = trust
auth_file = $pgb/users.txt
pool_mode = transaction
default_pool_size = 1
max_client_conn = 20
server_reset_query_always = 0
logfile = $pgb/pgbouncer.log
pidfile = $pgb/pgbouncer.pid
INI
as_owner=()
if [ "$(id -u)" = 0 ]; then
  chown -R postgres: "$pgb"
  chmod o+x "$work" # the owner reaches its directory through ours
  as_owner=(runuser -u postgres --)
fi
"${as_owner[@]}" "$pgbouncer" -d "$pgb/pgbouncer.ini" >"$pgb/start.log" 2>&1 ||
  { cat "$pgb/start.log" "$pgb/pgbouncer.log" 2>/dev/null; fail "pgbouncer did not start"; }
for _ in $(seq 1 100); do [ -s "$pgb/pgbouncer.pid" ] && break; sleep 0.1; done
[ -s "$pgb/pgbouncer.pid" ] || fail "pgbouncer wrote no pid file"
pids+=("$(cat "$pgb/pgbouncer.pid")") # stopped by lib/pg.sh on every path
pooled() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$pgb" -p "$pgb_port" -d "$db" "$@"; }
pooled_url="postgresql://$PGUSER@/$db?host=$pgb&port=$pgb_port"
for _ in $(seq 1 100); do pooled -c "SELECT 1" >/dev/null 2>&1 && break; sleep 0.1; done
# the server session's pid and its two settings, as another client sees them
settings() { pooled -c "SELECT pg_backend_pid(), current_setting('lock_timeout'),
  current_setting('max_parallel_maintenance_workers')" | tr '|' ' '; }
read -r pid0 lt0 mw0 < <(settings)
[ "$lt0 $mw0" = "7s 2" ] || fail "the pooled session starts with $lt0 $mw0, want the role's 7s and 2"

# check WANT_LT WANT_MW WHAT: the server session after the command
check() {
  read -r pid lt mw < <(settings)
  [ "$pid" = "$pid0" ] || fail "$3: another server session ($pid, not $pid0): nothing was checked"
  [ "$lt $mw" = "$1 $2" ] || { cat out err; fail "$3 left lock_timeout $lt and max_parallel_maintenance_workers $mw on the pooled session (found $1 and $2)"; }
}

mkdir m
# 1. a CREATE INDEX (CONCURRENTLY, outside a transaction) and a NOT NULL
# backfill; the session had its own SET before (left by an earlier client)
cat >m/V1__online.sql <<'SQL'
CREATE INDEX orders_placed ON orders (placed_at);
ALTER TABLE orders ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();
SQL
pooled -c "SET lock_timeout = '9s'" -c "SET max_parallel_maintenance_workers = 3"
check 9s 3 "a client's own SET"
run 0 migrate --db "$pooled_url" --dir m --online --lock-timeout 1s
q -c "SELECT 1 FROM pg_index WHERE indexrelid = 'orders_placed'::regclass AND indisvalid" | grep -qx 1 ||
  fail "the index was not built"
[ "$(q -c "SELECT count(*) FROM orders WHERE token IS NULL")" = 0 ] || fail "the backfill left NULLs"
check 9s 3 "migrate --online of a CREATE INDEX and a NOT NULL backfill"

# 2. no step outside a transaction: the role's setting after the command
pooled -c "RESET ALL"
check 7s 2 "RESET ALL"
cat >m/V2__backfill.sql <<'SQL'
ALTER TABLE orders ADD COLUMN code uuid NOT NULL DEFAULT gen_random_uuid();
SQL
run 0 migrate --db "$pooled_url" --dir m --online --lock-timeout 1500ms
check 7s 2 "migrate --online of a NOT NULL backfill"

# 3. a CONCURRENTLY build that fails (duplicate refs): the run stops, the
# session as found
pooled -c "SET lock_timeout = '9s'" -c "SET max_parallel_maintenance_workers = 3"
cat >m/V3__unique.sql <<'SQL'
CREATE UNIQUE INDEX orders_ref ON orders (ref);
SQL
run 1 migrate --db "$pooled_url" --dir m --online --lock-timeout 1s
has 'could not create unique index' err
check 9s 3 "migrate --online whose CREATE UNIQUE INDEX failed"
# and its rollback (the invalid leftover dropped at top level)
run 0 rollback --db "$pooled_url" --dir m
check 9s 3 "rollback of the half-done online migration"
echo "ok"
