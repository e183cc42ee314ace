#!/usr/bin/env bash
# dbmigrate_generate over real projects' SQLite schemas and histories
# (issue 52), fetched from their registries at test time
# (lib/histories.sh): state N is a fresh database after the project's
# files 1..N, run by the sqlite3 shell as the project runs them; for every
# consecutive pair, the plan generated in a copy of state N toward state
# N+1's schema, given as the shell's `.schema` writes it, is applied and
# the result compared with state N+1 (its statements and fingerprint). Per
# project it prints the pairs that are identical, fair refusals (a drop
# refused without allow_drop, identical when retried with it), errors and
# different, and asserts the counts docs/schema-as-code.md states.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/histories.sh"
pdns=$(history_dir pdns-backend-sqlite3)/usr/share/pdns-backend-sqlite3/schema
rc=$(history_dir roundcube-core)/usr/share/roundcube/SQL
mw=$(history_dir mediawiki)/usr/share/mediawiki
# project: floor of pairs reaching their state, most pairs differing, files.
# pdns and roundcube ship their current schema only (their upgrade scripts
# start from versions whose schema they do not ship): one pair, a new
# database. MediaWiki: its core tables, then each bundled extension's, as
# an installation makes them.
"$py" - "$module" "$work" <<PY
import os, shutil, sqlite3, subprocess, sys
module, work = sys.argv[1:3]
projects = [
    ("pdns-backend-sqlite3", 1, 0, ["$pdns/schema.sqlite3.sql"]),
    ("roundcube-core", 1, 0, ["$rc/sqlite.initial.sql"]),
    ("mediawiki", 4, 0, ["$mw/maintenance/sqlite/tables-generated.sql",
                         "$mw/extensions-core/OATHAuth/sql/sqlite/tables-generated.sql",
                         "$mw/extensions-core/Math/sql/sqlite/mathoid.sql",
                         "$mw/extensions-core/Math/sql/sqlite/mathlatexml.sql"]),
]
def shell(path, sql):
    return subprocess.run(["sqlite3", "-batch", "-bail", path], input=sql, text=True,
                          check=True, capture_output=True).stdout
def schema(path):
    return shell(path, ".schema\n")
def connect(path):
    db = sqlite3.connect(path, isolation_level=None)
    db.enable_load_extension(True)
    db.load_extension(module)
    return db
# the schema's statements, whatever their order in sqlite_schema, their
# comments and white space aside (an index the plan makes is written from
# the model: "ON /*_*/job (\\n  a, b\\n)" comes back "ON job ( a, b )")
import re
def words(sql):
    sql = re.sub(r"/\\*.*?\\*/|--[^\\n]*", " ", sql or "", flags=re.S)
    return re.sub(r"\\s*([(),])\\s*", r"\\1", " ".join(sql.split()))
objects = lambda path: sorted((t, n, tb, words(sql)) for t, n, tb, sql in connect(path).execute(
    "SELECT type, name, tbl_name, sql FROM sqlite_schema"))
fp = lambda path: connect(path).execute("SELECT dbschema_fingerprint()").fetchone()[0]
failed = []
for name, floor, max_diff, files in projects:
    counts = dict(identical=0, refused=0, errors=0, different=0)
    prev = os.path.join(work, name + ".0.db")
    sqlite3.connect(prev).execute("VACUUM").connection.close()
    for k, f in enumerate(files, 1):
        cur = os.path.join(work, "%s.%d.db" % (name, k))
        shutil.copy(prev, cur)
        shell(cur, open(f).read())
        desired = schema(cur)
        verdict = None
        for opts in ("{}", '{"allow_drop": true}'):
            w = os.path.join(work, "w.db")
            shutil.copy(prev, w)
            db = connect(w)
            try:
                rows = db.execute("SELECT statement FROM dbmigrate_generate(?, ?) ORDER BY step",
                                  (desired, opts)).fetchall()
                for (stmt,) in rows:
                    db.executescript(stmt)
                db.close()
            except sqlite3.Error as e:
                db.close()
                if opts == "{}" and "allow_drop" in str(e):
                    continue
                verdict = "errors"
                print("  %s %s: %s" % (name, os.path.basename(f), str(e).splitlines()[0]))
                break
            if fp(w) == fp(cur) and objects(w) == objects(cur):
                verdict = "identical" if opts == "{}" else "refused"
            else:
                verdict = "different"
                print("  %s %s: the plan does not reach the state" % (name, os.path.basename(f)))
            break
        counts[verdict] += 1
        prev = cur
    print("%s: %d pairs: %d identical, %d fair refusals, %d errors, %d different" %
          (name, len(files), counts["identical"], counts["refused"], counts["errors"], counts["different"]))
    if counts["identical"] + counts["refused"] < floor or counts["different"] > max_diff:
        failed.append(name)
if failed:
    sys.exit("FAIL: below the counts of docs/schema-as-code.md: " + ", ".join(failed))
PY
echo ok
