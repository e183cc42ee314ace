#!/usr/bin/env bash
# A database written without a pause (a commit every few ms) still gets
# moments the log vouches for: no poll finds its WAL unchanged, so once
# the last moment vouched for is older than 4 polls (200 ms at least) the
# capture reads the WAL under the write lock, taken when free between two
# commits. `log status` stays within a second of now while the writes go
# on (in two samples of three at least: load may starve the capture),
# and a restore to a moment it vouched for then holds every commit made
# before it and none after (one commit in flight at that moment, timed
# here only to its start and end, may be either).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
pitr_python <<'PY'
import os, sqlite3, subprocess, threading, time
from pitr_test import *
cli, module, work = args()
db, log, con = app_with_log(work, None)
p, err = start_capture(cli, module, work, db, log, 20)
con.execute("INSERT INTO t (v) VALUES ('first')")
wait_restorable(cli, module, log, now_ms(), 60, p)

lags, seen, writing = [], [], threading.Event()
writing.set()
def watch():
    """How far behind now `log status` vouches, and the moments it vouched
    for, while the writer writes."""
    while writing.is_set():
        asked = now_ms()
        last = last_restorable(cli, module, log)
        lags.append(asked - (parse(last) if last else 0))
        if last and last not in seen: seen.append(last)
        time.sleep(0.1)
watcher = threading.Thread(target=watch)

# each commit's span: it was made at some instant between the two times
# 3 s at least; on a loaded machine, on until the log has vouched for four
# moments since the first commit (three inside the writes are asserted
# below; 10 s at most: a capture that never takes the lock vouches for none)
spans, began = [], time.time()
def vouched_since_first():
    return [t for t in list(seen) if spans and parse(t) / 1000 > spans[0][1]]
watcher.start()
while time.time() - began < 3.0 or (len(vouched_since_first()) < 4 and time.time() - began < 10.0):
    before = time.time()
    con.execute("INSERT INTO t (v) VALUES ('busy')")
    spans.append((before, time.time()))
writing.clear()
watcher.join()
if len(spans) < 300:
    fail("the writer made only %d commits in %.1f s: not a busy database"
         % (len(spans), time.time() - began), p)
late = lags[len(lags) // 3:]  # after the first third of the writes
print("writes: %d commits; log status behind now by %s ms" % (len(spans), late))
# most samples within a second (a loaded machine may starve the capture
# for a moment); a capture that never took the lock falls behind by the
# whole time the writes last, every sample beyond a second
near = [l for l in late if l <= 1000]
if not late or len(near) * 3 < len(late) * 2:
    fail("while the writes went on, log status vouched for moments within 1 s of now in only %d of %d samples: %s"
         % (len(near), len(late), late), p)
during = [t for t in seen if spans[0][1] < parse(t) / 1000 < spans[-1][0]]
if len(during) < 3: fail("log status vouched for %d moments during the writes: %s" % (len(during), seen), p)
p.terminate()
if p.wait() != 0: fail("capture: " + open(err).read())
for i, t in enumerate(during[-3:]):
    at = parse(t) / 1000
    made = 1 + sum(1 for _, end in spans if end < at)      # surely before it
    maybe = 1 + sum(1 for start, _ in spans if start < at)  # one may straddle it
    out = os.path.join(work, "r%d.db" % i)  # two moments may follow the same commit
    r = run(cli, module, "restore", "--to-time", t, log, "--db", "sqlite:" + out)
    if r.returncode != 0: fail("restore to the vouched moment %s: %s" % (t, r.stderr))
    got = sqlite3.connect(out).execute("SELECT count(*) FROM t").fetchone()[0]
    if not made <= got <= maybe:
        fail("a restore to %s, after %d commits (%d with one in flight), holds %d" % (t, made, maybe, got))
print("ok: a busy database's log vouched for a moment within 1 s of now; 3 restores exact")
PY
