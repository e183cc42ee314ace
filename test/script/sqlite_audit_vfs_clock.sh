#!/usr/bin/env bash
# An audited row's time comes from its connection's VFS (sqlite/audit/fn_audit.c,
# dbaudit_now), which dbcare asks for once per connection: it looked up the
# process's default VFS at every audited row (a global mutex, 40 % of
# dbaudit_now's instructions), and so stamped rows of a connection opened
# with another VFS with the default one's clock. Here a VFS registered
# beside the default (not made default) wraps it with a clock fixed at
# 2001-02-03 04:05:06.789 UTC; a connection opened with it writes entries
# at that time, one opened with the default VFS at the time of day.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
cd "$work"
cat > fixed.c <<'C'
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
/* the default VFS with a clock fixed at 2001-02-03 04:05:06.789 UTC */
static sqlite3_vfs fixed;
static int fixed_time(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	/* the Unix epoch is Julian day 2440587.5 (210,866,760,000 s) */
	*out = (sqlite3_int64)210866760000 * 1000 + (sqlite3_int64)981173106 * 1000 + 789;
	return SQLITE_OK;
}
static int fixed_time_double(sqlite3_vfs *vfs, double *out)
{
	sqlite3_int64 ms;
	fixed_time(vfs, &ms);
	*out = ms / 86400000.0;
	return SQLITE_OK;
}
static int run(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, err ? err : "?");
		return 1;
	}
	return 0;
}
static int print_at(void *arg, int n, char **v, char **names)
{
	(void)arg, (void)n, (void)names;
	printf("%s\n", v[0] ? v[0] : "NULL");
	return 0;
}
int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	sqlite3_vfs *base = sqlite3_vfs_find(NULL);
	fixed = *base;
	fixed.zName = "fixed_clock";
	fixed.xCurrentTime = fixed_time_double;
	if (fixed.iVersion >= 2)
		fixed.xCurrentTimeInt64 = fixed_time;
	if (sqlite3_vfs_register(&fixed, 0) != SQLITE_OK)
		return 2;
	sqlite3 *db;
	const char *vfs = strcmp(argv[3], "fixed") == 0 ? "fixed_clock" : NULL;
	if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs) != SQLITE_OK)
		return 2;
	char *err = NULL;
	sqlite3_enable_load_extension(db, 1);
	if (sqlite3_load_extension(db, argv[1], NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "load: %s\n", err ? err : "?");
		return 2;
	}
	if (run(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)") ||
	    run(db, "SELECT dbaudit_enable('t')") || run(db, "INSERT INTO t VALUES (1, 'a')") ||
	    run(db, "UPDATE t SET v = 'b'") ||
	    sqlite3_exec(db, "SELECT at FROM dbcare_audit_log ORDER BY id", print_at, NULL, &err) !=
	        SQLITE_OK) {
		fprintf(stderr, "%s\n", err ? err : "");
		return 1;
	}
	return sqlite3_close(db) == SQLITE_OK ? 0 : 1;
}
C
gcc -O2 -Wall -o fixed fixed.c -lsqlite3 || fail "cannot build the fixed-clock program"
./fixed "$module" fixed.db fixed > fixed.out || fail "the fixed-clock connection: $(cat fixed.out)"
want='2001-02-03T04:05:06.789Z'
[ "$(grep -c . fixed.out)" = 2 ] || fail "two entries expected, got: $(cat fixed.out)"
if grep -vqxF "$want" fixed.out; then
  fail "entries of a connection on the fixed_clock VFS are stamped $(tr '\n' ' ' < fixed.out), not $want"
fi
./fixed "$module" default.db default > default.out || fail "the default connection: $(cat default.out)"
today=$(date -u +%Y-%m-%d)
yesterday=$(date -u -d yesterday +%Y-%m-%d)
grep -Eq "^($today|$yesterday)T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$" default.out ||
  fail "entries of a connection on the default VFS are stamped $(tr '\n' ' ' < default.out)"
echo "ok: audited rows stamped with their connection's VFS clock"
