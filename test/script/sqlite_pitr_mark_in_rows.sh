#!/usr/bin/env bash
# restore --to-mark when the label is also in the application's rows
# (cli/backup/log/pitr_mark.c): every commit that wrote the label's bytes is a
# candidate, the commits are applied in one read of the log and the image
# asked at each candidate, so the first commit whose image has the mark is
# the place: the rows before it restore, none after. (Each candidate used
# to read the log again from its start: a day's log took hours.)
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
mkdir lg marks
"$py" - "$module" "$work" <<'PY'
import sqlite3, sys
module, work = sys.argv[1:3]
c = sqlite3.connect(work + "/app.db", isolation_level=None)
c.execute("PRAGMA journal_mode = wal")
c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
c.enable_load_extension(True)
c.load_extension(module)
c.execute("SELECT dbcare_set('backup.log.dir', ?)", (work + "/lg",)).fetchall()
c.execute("SELECT dbcare_set('backup.dir', ?)", (work + "/marks",)).fetchall()
for i in range(300):
    c.execute("INSERT INTO t (v) VALUES ('release v1 notes %d')" % i)
c.execute("SELECT dbbackup_mark('v1')").fetchall()
for i in range(20):
    c.execute("INSERT INTO t (v) VALUES ('v1 after the mark')")
c.close()
PY
rm -f app.db app.db-wal app.db-shm
"$cli" restore --to-mark v1 lg --db sqlite:r.db --module "$module" > r.out 2>&1 ||
  fail "restore --to-mark v1: $(cat r.out)"
[ "$(sqlite3 r.db "SELECT count(*) FROM t WHERE v LIKE 'release v1 notes %'")" = 300 ] ||
  fail "the restore misses rows made before the mark"
[ "$(sqlite3 r.db "SELECT count(*) FROM t WHERE v = 'v1 after the mark'")" = 0 ] ||
  fail "the restore has rows made after the mark"
echo "ok: a label in 300 commits' rows restores to the mark's own commit"
