#!/usr/bin/env bash
# dbmigrate_generate against real histories (issue 40): every migration
# folder of test/fixtures that this engine reads gives consecutive schema
# states; for each pair, the plan generated from the earlier state to the
# later one's schema text, applied at top level, must reach the later
# state's fingerprint. A pair counts as "no hand edit" when generate
# answers and its plan reaches that fingerprint. Prints the count per
# corpus and asserts the floor measured when this test was written.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
fixtures=$(cd "$(dirname "$0")/../fixtures" && pwd)
/usr/bin/python3 - "$module" "$work" "$fixtures" <<'PY'
import os, sqlite3, subprocess, sys
module, work, fixtures = sys.argv[1:4]
corpora = {  # folder: the floor of pairs needing no hand edit
    "migrations/golang": 2, "migrations/golang_gaps": 6, "migrations/flyway": 3,
    "migrations/popx": 2, "migrations/diesel": 3, "popx_layout": 6,
}
n = [0]
def fresh(folder, target):
    n[0] += 1
    db = sqlite3.connect(os.path.join(work, "c%d.db" % n[0]), isolation_level=None)
    db.enable_load_extension(True)
    db.load_extension(module)
    db.execute("SELECT dbmigrate_load(?)", (folder,))
    if target is not None:
        try:
            db.execute("SELECT dbmigrate_apply(?)", (target,))
        except sqlite3.Error:
            # a no-transaction migration: the sqlite3 script runs it
            script = db.execute("SELECT dbmigrate_script(?)", (target,)).fetchone()[0]
            path = os.path.join(work, "c%d.db" % n[0])
            db.close()
            subprocess.run(["sqlite3", "-bail", "-cmd", ".load " + module, path],
                           input=script, text=True, check=True, capture_output=True)
            db = sqlite3.connect(path, isolation_level=None)
            db.enable_load_extension(True)
            db.load_extension(module)
    return db
def schema_sql(db):
    return "".join(r[0] + ";\n" for r in db.execute(
        "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite%' "
        "AND tbl_name NOT LIKE 'dbcare%' ORDER BY CASE type WHEN 'table' THEN 0 "
        "WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, rowid"))
fp = lambda db: db.execute("SELECT dbschema_fingerprint()").fetchone()[0]
failed = []
for rel, floor in corpora.items():
    folder = os.path.join(fixtures, rel)
    probe = fresh(folder, None)
    versions = [r[0] for r in probe.execute(
        "SELECT version FROM dbmigrate_status WHERE version IS NOT NULL ORDER BY rowid")]
    ok = pairs = 0
    prev = None
    for v in versions:
        pairs += 1
        want = fresh(folder, v)
        desired = schema_sql(want)
        db = fresh(folder, prev)
        try:
            rows = db.execute("SELECT statement FROM dbmigrate_generate(?, '{\"allow_drop\": true}') "
                              "ORDER BY step", (desired,)).fetchall()
            for (stmt,) in rows:
                db.executescript(stmt)
            if fp(db) == fp(want):
                ok += 1
            else:
                print("  %s %s: plan does not reach the state" % (rel, v))
        except sqlite3.Error as e:
            print("  %s %s: %s" % (rel, v, str(e).splitlines()[0]))
        prev = v
    print("%s: %d of %d pairs need no hand edit" % (rel, ok, pairs))
    if ok < floor:
        failed.append(rel)
if failed:
    sys.exit("FAIL: below the floor: " + ", ".join(failed))
PY
echo ok
