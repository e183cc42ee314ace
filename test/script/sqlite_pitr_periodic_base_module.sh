#!/usr/bin/env bash
# Periodic bases of the module's capture (docs/backups.md, "Periodic
# bases"): an application connection with backup.log.dir set writes more
# log than the default threshold (the database's size, 64 MB at least);
# its capture then copies a new base a step at each of its commits (2 ms
# a commit) and publishes it, without a gap: a moment before the new base
# restores from the first base, the last one from the new base, each row
# for row. Before periodic bases, the module's capture kept one base.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
pitr_python <<'PY'
import hashlib, os, time
from pitr_test import *
cli, module, work = args()
db, log, c = app_with_log(work, module, schema="CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")[:3]
def bases():
    return sorted(f for f in os.listdir(log) if f.startswith("base-") and f.endswith("Z.db"))
def base_time(n):
    return parse(n[5:15] + " " + n[16:18] + ":" + n[18:20] + ":" + n[20:22] + "." + n[22:25])
# 68 MB of log: more than the 64 MB floor
for i in range(68):
    c.execute("BEGIN")
    c.executemany("INSERT INTO t (v) VALUES (randomblob(4000))", [()] * 250)
    c.execute("COMMIT")
if len(bases()) != 1:
    fail("a base before the threshold: %r" % bases())
def digest(con, upto=1 << 62):
    h = hashlib.sha256()
    for i, v in con.execute("SELECT id, v FROM t WHERE id <= ? ORDER BY id", (upto,)):
        h.update(b"%d:%d:" % (i, len(v)))
        h.update(v)
    return h.hexdigest()
# small commits: each copies a step of the base; a moment noted after
# each, with the last row then (rows are only added: the state at it)
states = []
for i in range(400):
    c.execute("INSERT INTO t (v) VALUES (?)", (b"s%d" % i,))
    time.sleep(0.004)
    states.append((text(now_ms()), c.execute("SELECT max(id) FROM t").fetchone()[0]))
    time.sleep(0.004)
    if len(bases()) >= 2 and len([s for s in states if parse(s[0]) >= base_time(bases()[1])]) >= 1:
        break
b = bases()
live = connect(db)
if len(b) < 2:
    fail("no periodic base after 400 commits: %r" % sorted(os.listdir(log)))
if any(f.endswith(".tmp") for f in os.listdir(log)):
    fail("a temporary base left after publishing: %r" % sorted(os.listdir(log)))
second = base_time(b[1])
before = [s for s in states if parse(s[0]) < second]
after = [s for s in states if parse(s[0]) >= second]
if not before or not after:
    fail("no moment on both sides of the new base")
c.close()
for name, (t, upto), base in (("r1", before[-1], b[0]), ("r2", after[-1], b[1])):
    out = run(cli, module, "restore", "--to-time", t, log, "--db",
              "sqlite:" + os.path.join(work, name + ".db"))
    if out.returncode != 0 or ("base " + base) not in out.stdout:
        fail("moment %s: not restored from %s: %s %s" % (t, base, out.stdout, out.stderr))
    r = connect(os.path.join(work, name + ".db"))
    if r.execute("PRAGMA integrity_check").fetchone()[0] != "ok" or digest(r) != digest(live, upto):
        fail("moment %s: not the database at that moment" % t)
print("ok: the module's capture took a periodic base; moments on both sides restore")
PY
