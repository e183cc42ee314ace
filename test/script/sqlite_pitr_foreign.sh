#!/usr/bin/env bash
# Commits of a connection without the module, interleaved with those of the
# capturing application connection (docs/backups.md, "Connections without
# the module"): the module's capture copies them only at its connection's
# next commit and cannot know when they were made. A restore to a moment
# T contains exactly the commits made at or before T, or is refused with a
# dbcare: error naming the nearest moments the log restores exactly (each
# of which restores, exactly); the
# log never vouches for a moment at which such a commit would be placed
# wrongly. Before the fix the capture stamped the other connection's commit
# with its own next commit's time and vouched for the moments in between:
# a restore to a moment after that commit came back without it.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
pitr_python <<'PY'
import os, re, sqlite3, time
from pitr_test import *
cli, module, work = args()
db, log, app = app_with_log(work, module)
plain = sqlite3.connect(db, isolation_level=None, timeout=10)  # no module
rows = []          # labels in commit order
spans = []         # (label, ms before the commit began, ms after it returned)
moments = {}       # name -> (ms, labels committed before it)
def commit(c, label):
    t0 = now_ms()
    c.execute("INSERT INTO t (v) VALUES (?)", (label,))
    rows.append(label)
    spans.append((label, t0, now_ms() + 1))
def moment(name):
    time.sleep(0.03); moments[name] = (now_ms(), list(rows)); time.sleep(0.03)
commit(app, "m0")          # the capture's first commit
moment("between two commits of the application, nobody else committing")
commit(app, "m1")
moment("after m1, before the other connection's p1")
commit(plain, "p1")
moment("after p1, before the application's next commit")
commit(app, "m2")
moment("after m2, before p2")
commit(plain, "p2")
commit(plain, "p3")
moment("after p3, before m3")
commit(app, "m3")
moment("after m3, the application's last commit")
app.close()
plain.close()
time.sleep(0.05)

named = set()  # the moments refusals name as the nearest exact ones
exact = refused = 0
for name, (t, want) in moments.items():
    target = os.path.join(work, "r%d.db" % (exact + refused))
    r = run(cli, module, "restore", "--to-time", text(t), log, "--db", "sqlite:" + target)
    if r.returncode != 0:
        if not r.stderr.startswith("dbcare: ") or "UTC" not in r.stderr:
            fail("%s: not a dbcare: error naming moments: %r" % (name, r.stderr))
        if os.path.exists(target) and os.path.getsize(target) > 0:
            fail("%s: refused, but %s was made" % (name, target))
        refused += 1
        near = r.stderr.split("nearest moments", 1)
        if len(near) < 2:
            fail("%s: the refusal names no nearest moments: %r" % (name, r.stderr))
        named.update(re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", near[1]))
        print("refused: %s (%s): %s" % (name, text(t), r.stderr.strip()))
        continue
    got = [v for (v,) in sqlite3.connect(target).execute("SELECT v FROM t ORDER BY id")]
    if got != want:
        fail("%s (%s): restored %s, but %s were committed before it" % (name, text(t), got, want))
    exact += 1
    print("exact: %s (%s): %s" % (name, text(t), got))
# what the log must still restore: moments with no commit of the other
# connection before the application's next commit
for name in ("between two commits of the application, nobody else committing",
             "after m3, the application's last commit"):
    t, want = moments[name]
    r = run(cli, module, "restore", "--to-time", text(t), log,
            "--db", "sqlite:" + os.path.join(work, "again-%d.db" % t))
    if r.returncode != 0:
        fail("%s: a moment the log must restore was refused: %s" % (name, r.stderr))
# the moments a refusal names restore, exactly: every commit that had
# returned by then is there, none that began after it (one in progress
# then may be either)
for n in sorted(named):
    t = parse(n)
    target = os.path.join(work, "near-%d.db" % t)
    r = run(cli, module, "restore", "--to-time", n, log, "--db", "sqlite:" + target)
    if r.returncode != 0:
        fail("the nearest moment %s a refusal named does not restore: %s" % (n, r.stderr))
    got = {v for (v,) in sqlite3.connect(target).execute("SELECT v FROM t")}
    for label, began, returned in spans:
        if (returned <= t and label not in got) or (began > t and label in got):
            fail("the nearest moment %s restored %s: wrong about %s (%d..%d)"
                 % (n, sorted(got), label, began, returned))
    print("exact: the named moment %s: %s" % (n, sorted(got)))
print("ok: %d moments restored exactly, %d refused, %d named moments exact"
      % (exact, refused, len(named)))
PY
