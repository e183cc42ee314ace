#!/usr/bin/env bash
# The command runs libsqlite3 without mutexes and without memory statistics
# (cli_sqlite_setup): it is one thread per process, a fleet forks. A small
# preloaded library wraps sqlite3_close_v2 and writes down, for each
# connection the command closes, whether the connection has a mutex and
# how much memory SQLite says it uses (0 when statistics are off). The
# migration must still apply, alone and in a forked fleet.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
export DBCARE_MODULE="$module"
cat >spy.c <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
int sqlite3_close_v2(sqlite3 *db)
{
	int (*real)(sqlite3 *) = (int (*)(sqlite3 *))dlsym(RTLD_NEXT, "sqlite3_close_v2");
	FILE *f = fopen(getenv("SPY_OUT"), "a");
	if (f && db) {
		fprintf(f, "mutex=%s memory_used=%lld\n", sqlite3_db_mutex(db) ? "yes" : "no",
		        (long long)sqlite3_memory_used());
		fclose(f);
	}
	return real(db);
}
C
cc -shared -fPIC -o spy.so spy.c -ldl -lsqlite3 || fail "cannot build the spy library"
mkdir -p m tenants
echo 'CREATE TABLE t (id INTEGER PRIMARY KEY);' >m/V1__t.sql
export SPY_OUT="$work/spy.txt"
LD_PRELOAD="$work/spy.so" "$cli" migrate --quiet --db sqlite:one.db --dir m >out 2>err ||
  { cat err; fail "migrate"; }
[ -s spy.txt ] || fail "the spy saw no connection closed"
grep -v '^mutex=no memory_used=0$' spy.txt && fail "a connection ran with SQLite's mutexes or statistics"
db=one.db
[ "$(q "SELECT group_concat(version || state) FROM dbmigrate_status")" = "1applied" ] ||
  fail "not migrated"

# a forked fleet: each worker inherits the set-up
: >spy.txt
sqlite3 tenants/a.db 'PRAGMA user_version = 1'
cp tenants/a.db tenants/b.db
LD_PRELOAD="$work/spy.so" "$cli" migrate --quiet --db 'sqlite:tenants/*.db' --dir m --jobs 2 \
  >out 2>err || { cat err; fail "fleet migrate"; }
[ "$(grep -c . spy.txt)" -ge 2 ] || fail "the spy saw $(grep -c . spy.txt) closes in the fleet"
grep -v '^mutex=no memory_used=0$' spy.txt && fail "a fleet worker ran with SQLite's mutexes or statistics"
for f in tenants/a.db tenants/b.db; do
  db=$f
  [ "$(q "SELECT group_concat(version || state) FROM dbmigrate_status")" = "1applied" ] ||
    fail "$f not migrated"
done
echo ok
