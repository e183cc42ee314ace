#!/usr/bin/env bash
# pg_suite.sh — runs the PostgreSQL suites (pg_regress over test/pg/sql/ + test/pg/expected/,
# pgTAP over test/pgtap/) against a throwaway cluster on a private copy of the
# PostgreSQL installation, so nothing outside one temporary directory is touched.
#
# Results go to "$DBC_RESULTS" as "PASS <suite>/<name>" / "FAIL <suite>/<name>"
# lines. Environment: PG_CONFIG (default pg_config), DBC_KEEP=1 keeps the temp
# directory for inspection, TMPDIR as usual.
#
# Other suites run their tests on the same machinery (test/harness/
# pg_asan_suite.sh): DBC_PG_TAG prefixes every result name ("pg_asan/") and
# the output directories; DBC_PG_MODULE is a dbcare.so installed in place of
# the one `make install` built; DBC_PG_SERVER_ENV holds NAME=VALUE words put
# into the postmaster's environment (so into every backend's); DBC_PG_FILTER
# is a regex of test names ("suite/name") to run, like DBC_ONLY, and
# DBC_PG_EXCLUDE one of names to leave out. DBC_SHARE_IN, DBC_SHARE_POOL
# and DBC_SHARE_FROM_END make run_tests.sh's two shares of the suite
# (test/harness/select.sh), so a caller's filter still applies within
# each share. DBC_PG_LEFT_TO_ASAN=1 (run_tests.sh, in a run that has the
# pg_asan suite too) leaves the script tests that suite runs to it
# (test/harness/pg_asan_tests.sh).
# DBC_PG_SCRIPTS_FROM=DIR runs
# only DIR's pg_*.sh on the cluster, recorded as TAG + name (no golden
# files, no pgTAP): the journeys suite's PostgreSQL half.
# Whatever the suite, a server process that died by a signal fails it (the
# server log's "terminated by signal"), SIGKILL excepted: the crash tests
# send it on purpose.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2

RESULTS=${DBC_RESULTS:-$(mktemp "${TMPDIR:-/tmp}/dbcare-results.XXXXXX")}
PG_CONFIG=${PG_CONFIG:-pg_config}
TAG=${DBC_PG_TAG:-}
BUILD=$ROOT/build
REGRESS_OUT=$BUILD/${TAG}regress
TAP_OUT=$BUILD/${TAG}pgtap
read -r -a SERVER_ENV <<<"${DBC_PG_SERVER_ENV:-}"

FAILED=0
# DBC_ONLY=REGEX runs only the tests whose "suite/name" matches (while working
# on one part), within the share run_tests.sh gave (in_run); unset, every
# test runs.
. test/harness/select.sh
selected() { # last in_run: it claims the test from a pool the share may have
	{ [ -z "${DBC_PG_FILTER:-}" ] || [[ "$1" =~ $DBC_PG_FILTER ]]; } &&
		{ [ -z "${DBC_PG_EXCLUDE:-}" ] || ! [[ "$1" =~ $DBC_PG_EXCLUDE ]]; } &&
		in_run "$1"
}
# A failure's lines go out indented: the run's summary repeats them
# (run_tests.sh, failure_details) under the failure they explain.
indent_details() { sed 's/^/    /'; }
DBC_LAST_NS=$(date +%s%N)
record() {
	set -- "$1" "$TAG$2"
	echo "$1 $2" >>"$RESULTS"
	# The seconds since the previous result: what each test costs the suite.
	local now
	now=$(date +%s%N)
	printf '%s %s (%d.%ds)\n' "$1" "$2" $(((now - DBC_LAST_NS) / 1000000000)) \
		$(((now - DBC_LAST_NS) / 100000000 % 10))
	DBC_LAST_NS=$now
	[ "$1" = PASS ] || FAILED=$((FAILED + 1))
}

if ! command -v "$PG_CONFIG" >/dev/null 2>&1; then
	echo "pg_suite: $PG_CONFIG not found; install postgresql-server-dev-15 (test/harness/bootstrap.sh)" >&2
	record FAIL pg_suite/setup
	exit 1
fi

SYS_BIN=$("$PG_CONFIG" --bindir)
SYS_LIB=$("$PG_CONFIG" --pkglibdir)
SYS_SHARE=$("$PG_CONFIG" --sharedir)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/dbcare-pg.XXXXXX") || exit 2
TREE=$TMP/install            # the private installation: the system's paths under $TREE
PBIN=$TREE$SYS_BIN
PLIB=$TREE$SYS_LIB
PSHARE=$TREE$SYS_SHARE
DATA=$TMP/data
SOCK=$TMP/sock
LOG=$TMP/postgres.log
PORT=$((20000 + RANDOM % 20000)) # the socket lives in our own directory, so any port is free
STARTED=0

if [ "$(id -u)" = 0 ]; then
	# initdb and postgres refuse to run as root: the cluster belongs to postgres.
	AS_PG=(runuser -u postgres --)
else
	AS_PG=()
fi

cleanup() {
	if [ "$STARTED" = 1 ]; then
		"${AS_PG[@]}" "$PBIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1
		STARTED=0
	fi
	if [ "${DBC_KEEP:-0}" = 1 ]; then
		echo "pg_suite: kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail_setup() {
	record FAIL pg_suite/setup
	{
		echo "pg_suite: $1"
		[ ! -f "$LOG" ] || tail -n 40 "$LOG"
	} | indent_details >&2
	exit 1
}

# --- 1. private installation tree -------------------------------------------
# postgres finds share/ and lib/ relative to its own (symlink-resolved) binary,
# so bin/ is copied and lib/ and share/ are mirrored as real directories of
# symlinks: whatever `make install` writes lands in the mirror, never behind a
# symlink in the system's tree. Any dbcare already installed there is left out.
mkdir -p "$PBIN" "$PLIB" "$PSHARE" "$SOCK"
cp -a "$SYS_BIN"/. "$PBIN"/ || fail_setup "cannot copy $SYS_BIN"
cp -rs "$SYS_LIB"/. "$PLIB"/ || fail_setup "cannot mirror $SYS_LIB"
cp -rs "$SYS_SHARE"/. "$PSHARE"/ || fail_setup "cannot mirror $SYS_SHARE"
rm -rf "$PLIB"/dbcare.so "$PLIB"/bitcode/dbcare "$PLIB"/bitcode/dbcare.index.bc \
	"$PSHARE"/extension/dbcare.control "$PSHARE"/extension/dbcare--*
# Refuse to go on if anything could still write through to the system tree.
if find "$PLIB" "$PSHARE" -type l -xtype d | grep -q .; then
	fail_setup "the mirror of the installation still links directories"
fi

# One install at a time (the PostgreSQL lanes start together): an install
# that has to rebuild first must not race another one's rebuild in build/.
mkdir -p "$BUILD"
flock "$BUILD/.pg-install.lock" make -s --no-print-directory PG_CONFIG="$PG_CONFIG" install DESTDIR="$TREE" \
	>"$TMP/install.log" 2>&1 ||
	{ cat "$TMP/install.log" >&2; fail_setup "make install DESTDIR=... failed"; }

# The private pg_config reports the relocated paths postgres will use.
[ "$("$PBIN/pg_config" --pkglibdir)" = "$PLIB" ] && [ "$("$PBIN/pg_config" --sharedir)" = "$PSHARE" ] ||
	fail_setup "the private installation does not relocate (pg_config says $("$PBIN/pg_config" --pkglibdir))"
if [ -n "${DBC_PG_MODULE:-}" ]; then
	install -m 755 "$DBC_PG_MODULE" "$PLIB/dbcare.so" || fail_setup "cannot install $DBC_PG_MODULE"
fi
[ -f "$PLIB/dbcare.so" ] && [ -f "$PSHARE/extension/dbcare.control" ] ||
	fail_setup "dbcare was not installed into the private tree"

if [ "$(id -u)" = 0 ]; then
	chown -R postgres: "$TMP" || fail_setup "cannot hand $TMP to postgres"
fi

# --- 2. throwaway cluster ----------------------------------------------------
"${AS_PG[@]}" "$PBIN/initdb" -D "$DATA" -U postgres --auth=trust --no-sync -E UTF8 --locale=C \
	>"$TMP/initdb.log" 2>&1 || { cat "$TMP/initdb.log" >&2; fail_setup "initdb failed"; }
cat >>"$DATA/postgresql.conf" <<EOF
# dbcare test cluster: Unix socket in a private directory, no TCP
listen_addresses = ''
port = $PORT
unix_socket_directories = '$SOCK'
shared_preload_libraries = 'pg_stat_statements'
EOF
"${AS_PG[@]}" env "${SERVER_ENV[@]}" "$PBIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null 2>&1 ||
	fail_setup "the cluster did not start"
STARTED=1

export PGHOST=$SOCK PGPORT=$PORT PGUSER=postgres
unset PGDATABASE PGPASSWORD PGSERVICE
psql_q() { PGOPTIONS="-c client_min_messages=warning" "$PBIN/psql" -X -q -v ON_ERROR_STOP=1 -At "$@"; }

# Stock settings: dbcare is tested as users run it. Besides what initdb
# writes, the configuration holds the four lines above (where to listen, and
# pg_stat_statements, which the health report reads); every other setting
# (memory, planner, JIT, durability) is PostgreSQL's default, and JIT is
# really there. A test that studies a setting SETs it itself. So a later edit
# cannot quietly tune the cluster the tests run on.
STOCK_SQL="SELECT coalesce(string_agg(name || '=' || setting, ', ' ORDER BY name), '')
  FROM pg_catalog.pg_settings
 WHERE (source NOT IN ('default', 'override', 'client', 'environment variable')
        AND name NOT IN ('listen_addresses', 'port', 'unix_socket_directories',
                         'shared_preload_libraries', 'client_min_messages',
                         -- what initdb writes
                         'max_connections', 'shared_buffers', 'dynamic_shared_memory_type',
                         'max_wal_size', 'min_wal_size', 'log_timezone', 'DateStyle',
                         'TimeZone', 'lc_messages', 'lc_monetary', 'lc_numeric', 'lc_time',
                         'default_text_search_config'))
    OR (name IN ('work_mem', 'maintenance_work_mem', 'jit', 'jit_above_cost',
                 'jit_inline_above_cost', 'jit_optimize_above_cost', 'fsync',
                 'synchronous_commit', 'full_page_writes')
        AND setting IS DISTINCT FROM boot_val)"
tuned=$(psql_q -d postgres -c "$STOCK_SQL") || fail_setup "cannot read pg_settings"
[ -z "$tuned" ] || fail_setup "the test cluster is not stock: $tuned"
[ "$(psql_q -d postgres -c "SELECT current_setting('work_mem') || ' ' || current_setting('jit') || ' ' || pg_jit_available()")" = "4MB on true" ] ||
	fail_setup "the test cluster has no stock work_mem and working JIT (is llvmjit installed?)"

# The server must report the private tree, and offer our build of dbcare.
[ "$(psql_q -d postgres -c "SELECT setting FROM pg_config WHERE name = 'PKGLIBDIR'")" = "$PLIB" ] ||
	fail_setup "the server does not run from the private tree"
VERSION=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' META.json | head -n 1)
[ "$(psql_q -d postgres -c "SELECT default_version FROM pg_available_extensions WHERE name = 'dbcare'")" = "$VERSION" ] ||
	fail_setup "dbcare $VERSION is not available in the private tree"

# The script tests' fresh databases (fresh_db, test/script/lib/pg.sh) are
# copies of dbcare_fresh: dbcare installed once here, not by each test,
# with no identity row (each copy makes its own, as CREATE EXTENSION does;
# emptied by TRUNCATE, the table is as CREATE TABLE left it: no page).
# No session may connect to it (a template in use cannot be copied), and
# what lists the cluster's databases that take connections (the health
# report's wraparound check) does not see it.
psql_q -d postgres -c "DROP DATABASE IF EXISTS dbcare_fresh" -c "CREATE DATABASE dbcare_fresh" &&
	psql_q -d dbcare_fresh -c "CREATE EXTENSION dbcare" -c "TRUNCATE dbcare.database_identity" &&
	psql_q -d postgres -c "ALTER DATABASE dbcare_fresh ALLOW_CONNECTIONS false" ||
	fail_setup "cannot make the template of the tests' fresh databases"

SCRIPTS_FROM=${DBC_PG_SCRIPTS_FROM:-}
SCRIPT_KIND=script/
if [ -n "$SCRIPTS_FROM" ]; then
	SCRIPT_KIND=
fi

# --- 3. pg_regress: one run per test so each gets its own verdict ------------
mkdir -p "$REGRESS_OUT"
PG_REGRESS=$PLIB/pgxs/src/test/regress/pg_regress
psql_q -d postgres -c "DROP DATABASE IF EXISTS contrib_regression" -c "CREATE DATABASE contrib_regression" ||
	fail_setup "cannot create the regression database"
for sqlfile in test/pg/sql/*.sql; do
	[ -z "$SCRIPTS_FROM" ] || break
	[ -e "$sqlfile" ] || continue
	name=$(basename "$sqlfile" .sql)
	selected "pg_regress/$name" || continue
	rm -f "$REGRESS_OUT/regression.diffs"
	if "$PG_REGRESS" --use-existing --bindir="$PBIN" --host="$SOCK" --port="$PORT" --user=postgres \
		--inputdir=test/pg --outputdir="$REGRESS_OUT" --dbname=contrib_regression "$name" \
		>"$REGRESS_OUT/$name.log" 2>&1; then
		record PASS "pg_regress/$name"
	else
		record FAIL "pg_regress/$name"
		{
			cat "$REGRESS_OUT/$name.log"
			[ ! -f "$REGRESS_OUT/regression.diffs" ] || head -n 60 "$REGRESS_OUT/regression.diffs"
		} | indent_details
	fi
done

# --- 4. pgTAP: each file its own result line, in a fresh database -----------
mkdir -p "$TAP_OUT"
if [ -z "$SCRIPTS_FROM" ] && compgen -G "test/pgtap/*.sql" >/dev/null; then
	if ! command -v pg_prove >/dev/null 2>&1; then
		echo "pg_suite: pg_prove not found (libtap-parser-sourcehandler-pgtap-perl)" >&2
		record FAIL pgtap/setup
	else
		psql_q -d postgres -c "DROP DATABASE IF EXISTS dbcare_tap" -c "CREATE DATABASE dbcare_tap" &&
			psql_q -d dbcare_tap -c "CREATE EXTENSION pgtap" || fail_setup "cannot prepare the pgTAP database"
		# the VOLATILE functions the API table marks read-only, as a list of
		# quoted signatures (psql variable dbc_read_only): the files that sort
		# the extension's functions into changing and reading ones use it
		read_only=$("$BUILD/gen/api_sql" read-only | sed "s/.*/'&'/" | paste -sd, -)
		[ -n "$read_only" ] || fail_setup "no read-only function in the API table (build/gen/api_sql)"
		for tapfile in test/pgtap/*.sql; do
			name=$(basename "$tapfile" .sql)
			selected "pgtap/$name" || continue
			if pg_prove --psql-bin "$PBIN/psql" -d dbcare_tap --set "dbc_read_only=$read_only" \
				"$tapfile" >"$TAP_OUT/$name.log" 2>&1; then
				record PASS "pgtap/$name"
			else
				record FAIL "pgtap/$name"
				indent_details <"$TAP_OUT/$name.log"
			fi
		done
	fi
fi

# --- 5. script tests: test/script/pg_*.sh drive the cluster with several
# sessions, pg_dump or psql scripts. They get PG_BIN (the private binaries);
# PGHOST, PGPORT and PGUSER are already exported.
. test/harness/test_limit.sh
. test/harness/pg_asan_tests.sh
for script in $(share_order "${SCRIPTS_FROM:-test/script}"/pg_*.sh); do
	[ -e "$script" ] || continue
	name=$(basename "$script" .sh)
	# in a run whose pg_asan suite runs it (run_tests.sh), run there only
	# (test/harness/pg_asan_tests.sh): before selected, which claims it
	if [ "${DBC_PG_LEFT_TO_ASAN:-}" = 1 ] && [ -z "$TAG$SCRIPTS_FROM" ] &&
		pg_asan_runs "script/$name" "$script"; then
		continue
	fi
	# as in the other sections, "script/NAME"; a journey, by its result's name
	if [ -n "$SCRIPTS_FROM" ]; then selected "$TAG$name" || continue; else selected "script/$name" || continue; fi
	if run_limited "$TMP/$name.log" "$script" PG_BIN="$PBIN"; then
		record PASS "$SCRIPT_KIND$name"
	else
		record FAIL "$SCRIPT_KIND$name"
		tail -n 40 "$TMP/$name.log" | indent_details
	fi
done

# --- 6. the server log: no process may have died by a signal but SIGKILL
if grep -E 'terminated by signal ([0-8]|1[0-9]|[2-9][0-9])\b' "$LOG" >"$TMP/signals.txt"; then
	record FAIL "server_log/signals"
	cat "$TMP/signals.txt"
	grep -B2 -A8 -E 'terminated by signal ([0-8]|1[0-9]|[2-9][0-9])\b' "$LOG" | head -n 60
fi

[ "$FAILED" = 0 ]
