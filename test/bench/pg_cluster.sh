#!/usr/bin/env bash
# pg_cluster.sh — a throwaway PostgreSQL cluster for the benchmarks, on a
# private copy of the installation with this build of dbcare in it (the same
# scheme as test/harness/pg_suite.sh), listening on 127.0.0.1 so peers that
# only speak TCP (dbmate) reach it too.
#   pg_cluster.sh start DIR   prints shell assignments (PGHOST PGPORT PGUSER PBIN
#                             DBCARE_PG) to DIR/env; DBCARE_PG=1 when dbcare installed
#   pg_cluster.sh start DIR --stock [SETTING...]
#                             the server's stock settings (fsync on, default
#                             shared_buffers...) but for the SETTINGs given
#                             ('log_lock_waits = on'): the load benchmarks
#   pg_cluster.sh stop DIR    stops the cluster and removes DIR
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cmd=${1:?usage: pg_cluster.sh start|stop DIR}
DIR=${2:?usage: pg_cluster.sh start|stop DIR}
shift 2
STOCK=0
if [ "${1:-}" = --stock ]; then STOCK=1; shift; fi
PG_CONFIG=${PG_CONFIG:-pg_config}
if [ "$(id -u)" = 0 ]; then AS_PG=(runuser -u postgres --); else AS_PG=(); fi

if [ "$cmd" = stop ]; then
	if [ -f "$DIR/env" ]; then
		# shellcheck disable=SC1091
		. "$DIR/env"
		"${AS_PG[@]}" "$PBIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1
	fi
	rm -rf "$DIR"
	exit 0
fi

command -v "$PG_CONFIG" >/dev/null 2>&1 || { echo "pg_cluster: $PG_CONFIG not found" >&2; exit 1; }
SYS_BIN=$("$PG_CONFIG" --bindir)
SYS_LIB=$("$PG_CONFIG" --pkglibdir)
SYS_SHARE=$("$PG_CONFIG" --sharedir)
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
TREE=$DIR/install
PBIN=$TREE$SYS_BIN
PLIB=$TREE$SYS_LIB
PSHARE=$TREE$SYS_SHARE

# postgres finds lib/ and share/ relative to its own resolved binary: copy bin/,
# mirror the rest with symlinks, install dbcare's files for real.
mkdir -p "$PBIN" "$PLIB" "$PSHARE/extension" "$DIR/sock"
cp -a "$SYS_BIN"/. "$PBIN"/
for f in "$SYS_LIB"/*; do [ "$(basename "$f")" = dbcare.so ] || ln -s "$f" "$PLIB/"; done
for f in "$SYS_SHARE"/*; do [ "$(basename "$f")" = extension ] || ln -s "$f" "$PSHARE/"; done
for f in "$SYS_SHARE"/extension/*; do
	case "$(basename "$f")" in dbcare.control | dbcare--*) ;; *) ln -s "$f" "$PSHARE/extension/" ;; esac
done
DBCARE_PG=0
if ls "$ROOT"/pg/*/*.c >/dev/null 2>&1; then
	if make -C "$ROOT" -s --no-print-directory PG_CONFIG="$PG_CONFIG" install DESTDIR="$TREE" \
		>"$DIR/install.log" 2>&1 && [ -f "$PLIB/dbcare.so" ]; then
		DBCARE_PG=1
	else
		echo "pg_cluster: dbcare could not be installed (see $DIR/install.log); dbcare's PostgreSQL rows are skipped" >&2
	fi
fi
# The floors of a jsonb validator (bench_json_schemastore.py), in this
# cluster's library folder only: CREATE FUNCTION ... AS '$libdir/dbcare_bench_walk'.
gcc -O2 -Wall -Wextra -Werror -Wno-unused-parameter -fPIC -shared \
	-I"$("$PG_CONFIG" --includedir-server)" -o "$PLIB/dbcare_bench_walk.so" \
	"$ROOT/test/bench/jsonb_walk.c" >"$DIR/walk.log" 2>&1 ||
	echo "pg_cluster: test/bench/jsonb_walk.c did not build (see $DIR/walk.log)" >&2
# The floor of a trigger writing an audit log (bench_audit_instructions.py),
# the same way: CREATE FUNCTION ... AS '$libdir/dbcare_bench_audit_floor'.
gcc -O2 -Wall -Wextra -Werror -Wno-unused-parameter -fPIC -shared \
	-I"$("$PG_CONFIG" --includedir-server)" -o "$PLIB/dbcare_bench_audit_floor.so" \
	"$ROOT/test/bench/audit_floor.c" >"$DIR/audit_floor.log" 2>&1 ||
	echo "pg_cluster: test/bench/audit_floor.c did not build (see $DIR/audit_floor.log)" >&2
[ "$(id -u)" = 0 ] && chown -R postgres: "$DIR"

"${AS_PG[@]}" "$PBIN/initdb" -D "$DIR/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C \
	>"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
# A port nobody listens on; the cluster is reachable from this machine only.
for _ in 1 2 3 4 5 6 7 8 9 10; do
	PORT=$((20000 + RANDOM % 20000))
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || break
done
cat >>"$DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR/sock'
CONF
if [ "$STOCK" = 1 ]; then
	printf '%s\n' "$@" >>"$DIR/data/postgresql.conf"
else
	cat >>"$DIR/data/postgresql.conf" <<CONF
shared_buffers = 256MB
max_locks_per_transaction = 1024
# serve keeps a session per database (bench_serve_cost.py: a fleet of 100)
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
# the audit trail's wal mode (bench_audit.py)
wal_level = logical
CONF
fi
if [ "$STOCK" = 0 ] && "$PBIN/postgres" --describe-config 2>/dev/null | grep -q '^output_plugin_libraries'; then
	echo "output_plugin_libraries = 'pgoutput, test_decoding, dbcare'" >>"$DIR/data/postgresql.conf"
fi
"${AS_PG[@]}" "$PBIN/pg_ctl" -D "$DIR/data" -l "$DIR/postgres.log" -w -t 60 start >/dev/null 2>&1 ||
	{ tail -n 30 "$DIR/postgres.log" >&2; exit 1; }
cat >"$DIR/env" <<ENV
PGHOST=$DIR/sock
PGPORT=$PORT
PGUSER=postgres
PBIN=$PBIN
DBCARE_PG=$DBCARE_PG
ENV
