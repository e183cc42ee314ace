#!/usr/bin/env bash
# run.sh — `make bench`: builds dbcare, installs the peer tools (dbmate, Sqitch),
# starts a throwaway PostgreSQL cluster, runs test/bench/bench.py and writes
# docs/benchmarks.md + docs/benchmarks.csv. Not part of `make test`.
#   BENCH_QUICK=1     small sizes, a quick look (a few minutes)
#   BENCH_ONLY=a,b    only test/bench/bench_a.py, bench_b.py
#                     (BENCH_ONLY=online: dbcare migrate --online under pgbench,
#                     on a stock cluster of its own: bench_online.py)
#   BENCH_NO_PG=1     SQLite only
#   BENCH_OUT=dir     write the results elsewhere than docs/
set -u
cd "$(dirname "$0")/../.."
mkdir -p build/bench

make -s --no-print-directory sqlite || exit 1
# the dbcare command (bench_cli.py skips itself when it cannot be built)
make -s --no-print-directory cli >/dev/null 2>&1 || echo "bench: build/cli/dbcare not built" >&2
test/bench/setup_peers.sh

have_pg=0
if [ "${BENCH_NO_PG:-0}" != 1 ] && command -v pg_config >/dev/null 2>&1 &&
	[ -f "$(pg_config --includedir)/libpq-fe.h" ]; then
	if ls pg/*/*.c >/dev/null 2>&1; then
		make -s --no-print-directory all >/dev/null || exit 1
	fi
	gcc -O2 -Wall -Wextra -Werror -I"$(pg_config --includedir)" -o build/bench/pgtime \
		test/bench/pgtime.c -L"$(pg_config --libdir)" -lpq || exit 1
	have_pg=1
fi

unset BENCH_PG_ENV
if [ "$have_pg" = 1 ]; then
	# In memory when possible: creating thousands of relation files on a
	# virtual disk costs milliseconds each and would dominate every figure.
	pg_base=${TMPDIR:-/tmp}
	[ -w /dev/shm ] && pg_base=/dev/shm
	PGDIR=$(mktemp -d "$pg_base/dbcare-bench-pg.XXXXXX")
	trap 'test/bench/pg_cluster.sh stop "$PGDIR"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	if test/bench/pg_cluster.sh start "$PGDIR"; then
		export BENCH_PG_ENV=$PGDIR/env
	else
		echo "bench: the PostgreSQL cluster did not start; PostgreSQL rows are skipped" >&2
	fi
fi

rc=0
# BENCH_ONLY=serve (or serve_exporter): the serve checks alone (bench.py
# would rewrite the figures' pages with nothing)
if [ "${BENCH_ONLY:-}" != serve ] && [ "${BENCH_ONLY:-}" != serve_exporter ]; then
	/usr/bin/python3 test/bench/bench.py
	rc=$?
fi

# dbcare serve under load: 50 scrapers for 60 s against a 1,000-file fleet
# (no failed request, no file open twice at once, memory flat)
if [ -z "${BENCH_ONLY:-}" ] || [[ ",$BENCH_ONLY," == *,serve,* ]]; then
	test/bench/serve_load.sh "${BENCH_SERVE_FILES:-1000}" "${BENCH_SERVE_SECONDS:-60}" 50 ||
		{ echo "bench: serve_load failed" >&2; rc=1; }
fi
# dbcare serve /metrics beside postgres_exporter on the same database
# (docs/benchmarks.md, "dbcare serve against postgres_exporter")
if [ -z "${BENCH_ONLY:-}" ] || [[ ",$BENCH_ONLY," == *,serve_exporter,* ]]; then
	test/bench/serve_exporter.sh "${BENCH_SERVE_SCRAPES:-30}" ||
		{ echo "bench: serve_exporter failed" >&2; rc=1; }
fi
exit $rc
