#!/usr/bin/env bash
# The log's times never go back (sqlite/pitr/pitr_segment.c, pitr_seg_append):
# an application capturing into its log (the module, backup.log.dir) whose
# clock steps back an hour (an NTP correction) between its commits. Its
# later commits are stamped no earlier than the last one before the step,
# so a restore to a moment before the step never applies a commit made
# after it (on main the step stamped them an hour earlier, and a restore to
# just before the step applied them, the DELETE that followed included).
# The restore reads the log in its order and stops at the first record
# past T (cli/backup/log/pitr_restore.c, past_target), and a restore to the
# log's end has every commit. The clock is stepped by a preload library
# built here that adds the seconds in a file to CLOCK_REALTIME.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
cat > step.c <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
/* CLOCK_REALTIME plus the seconds in the file $CLOCK_OFFSET_FILE */
int clock_gettime(clockid_t id, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	if (!real)
		real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	int r = real(id, ts);
	const char *path = getenv("CLOCK_OFFSET_FILE");
	FILE *f = path && id == CLOCK_REALTIME ? fopen(path, "r") : NULL;
	long off = 0;
	if (f) {
		if (fscanf(f, "%ld", &off) != 1)
			off = 0;
		fclose(f);
	}
	ts->tv_sec += off;
	return r;
}
C
gcc -shared -fPIC -O2 -o step.so step.c -ldl || fail "cannot build the clock step library"
echo 0 > offset
mkdir lg
CLOCK_OFFSET_FILE=$work/offset LD_PRELOAD=$work/step.so "$py" - "$module" "$work" > before_step <<'PY'
import sqlite3, sys, time
module, work = sys.argv[1:3]
c = sqlite3.connect(work + "/app.db", isolation_level=None)
c.execute("PRAGMA journal_mode = wal")
c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
c.enable_load_extension(True)
c.load_extension(module)
c.execute("SELECT dbcare_set('backup.log.dir', ?)", (work + "/lg",)).fetchall()
for i in range(3):
    c.execute("INSERT INTO t (v) VALUES ('before')")
time.sleep(0.05)
ms = int(time.time() * 1000)  # after the third commit, before the step
print(time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000)) + ".%03d" % (ms % 1000))
time.sleep(0.05)
open(work + "/offset", "w").write("-3600")  # the clock steps back an hour
for i in range(3):
    c.execute("INSERT INTO t (v) VALUES ('after the step')")
c.execute("DELETE FROM t")  # the mistake a restore undoes
c.close()
PY
echo 0 > offset
rm -f app.db app.db-wal app.db-shm
t=$(cat before_step)
# T lies between the last commit before the step and the first after it:
# the log cannot place T among the commits stamped after the step, so it
# refuses, and makes nothing (main applied them: an empty table)
if "$cli" restore --to-time "$t" lg --db sqlite:r1.db --module "$module" > r1.out 2>&1; then
  fail "a restore to $t, before the clock stepped back, has '$(sqlite3 r1.db "SELECT group_concat(v, ',') FROM t")'"
fi
[ ! -e r1.db ] || fail "a refused restore made r1.db"
end=$(sed -n 's/.*reaches only to \([0-9-]* [0-9:.]*\) UTC.*/\1/p' r1.out)
[ -n "$end" ] || fail "restore to $t: $(cat r1.out)"
# the commits after the step stand a millisecond after the last one before
# it, where the log ends: a millisecond earlier is the state before the step
before=$("$py" -c 'import datetime,sys; t=datetime.datetime.strptime(sys.argv[1], "%Y-%m-%d %H:%M:%S.%f")
print((t - datetime.timedelta(milliseconds=1)).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3])' "$end")
"$cli" restore --to-time "$before" lg --db sqlite:r3.db --module "$module" > r3.out 2>&1 ||
  fail "restore to $before: $(cat r3.out)"
got=$(sqlite3 r3.db "SELECT group_concat(v, ',') FROM t")
[ "$got" = "before,before,before" ] || fail "a restore to $before, just before the step, has '$got'"
"$cli" restore --to-time "$end" lg --db sqlite:r2.db --module "$module" > r2.out 2>&1 ||
  fail "restore to the log's end $end: $(cat r2.out)"
[ "$(sqlite3 r2.db 'SELECT count(*) FROM t')" = 0 ] || fail "a restore to the log's end misses the DELETE"
# --to-time latest: the same newest moment, without reading it off first
"$cli" restore --to-time latest lg --db sqlite:r4.db --module "$module" > r4.out 2>&1 ||
  fail "restore --to-time latest: $(cat r4.out)"
grep -qF "to $end UTC" r4.out || fail "restore --to-time latest went elsewhere than $end: $(cat r4.out)"
[ "$(sqlite3 r4.db 'SELECT count(*) FROM t')" = 0 ] || fail "restore --to-time latest misses the DELETE"
echo "ok: a clock stepped back an hour stamps no commit before the step; restores stay prefixes"
