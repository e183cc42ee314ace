# sqlite_history.py MODULE WORK PROJECTS_JSON — the walk of real
# projects' SQLite histories (test/script/sqlite_generate_history*.sh):
# state N is a fresh database after the project's files 1..N, run by the
# sqlite3 shell; for every consecutive pair, forward and back, the plan
# generated in a copy of state N toward state N+1's `.schema` is applied
# and compared with state N+1 (its statements and fingerprint). Per
# project it prints the pairs that are identical, fair refusals (a drop
# refused without allow_drop, identical when retried with it), errors and
# different, and exits non-zero below issue 52's target (95 % reach their
# state, none differs).
import json, os, shutil, sqlite3, subprocess, sys
module, work = sys.argv[1:3]
# [[name, [file, ...]], ...]: each project's files, in the order it runs
# them; [name, [file, ...], "whole"]: each file is a whole schema of its
# version, not a migration (state k is a new database with file k alone)
projects = json.loads(sys.argv[3])
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
# the model: "ON /*_*/job (\n  a, b\n)" comes back "ON job ( a, b )")
import re
def words(sql):
    sql = re.sub(r"/\*.*?\*/|--[^\n]*", " ", sql or "", flags=re.S)
    return re.sub(r"\s*([(),])\s*", r"\1", " ".join(sql.split()))
# SQLite's own tables aside: sqlite_sequence, made by the first
# AUTOINCREMENT table, stays when the last one goes (it cannot be dropped)
objects = lambda path: sorted((t, n, tb, words(sql)) for t, n, tb, sql in connect(path).execute(
    "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name <> 'sqlite_sequence'"))
fp = lambda path: connect(path).execute("SELECT dbschema_fingerprint()").fetchone()[0]
# what allow_drop guards: the engine reads it at four places only, each
# refusing a drop without it and making that drop's step with it (its
# hazard "drops table ...", "drops column ...", a rebuild's "...; drops
# column ...", or a DROP EXTENSION statement)
GUARDED = ("SELECT statement, hazard LIKE 'drops table %' OR hazard LIKE 'drops column %' OR "
           "hazard LIKE '%; drops column %' OR statement LIKE 'DROP EXTENSION %' "
           "FROM dbmigrate_generate(?, '{\"allow_drop\": true}') ORDER BY step")
def pair(name, label, start, state):
    """The plan from a copy of start toward state's .schema, applied and
    compared: identical, refused (fair: a drop refused without allow_drop,
    reached with it), errors or different. One generate, with allow_drop,
    answers for the two calls a refusal and its retry would make: up to
    the first guarded drop both run the same code on the same database,
    so a plan without one is the one {} returns, one with it is what {}
    refuses and its retry returns, and an error is the same error."""
    desired = schema(state)
    w = os.path.join(work, "w.db")
    shutil.copy(start, w)
    db = connect(w)
    try:
        rows = db.execute(GUARDED, (desired,)).fetchall()
        for (stmt, _) in rows:
            db.executescript(stmt)
        db.close()
    except sqlite3.Error as e:
        db.close()
        print("  %s %s: %s" % (name, label, str(e).splitlines()[0]))
        return "errors"
    if fp(w) == fp(state) and objects(w) == objects(state):
        return "refused" if any(guarded for (_, guarded) in rows) else "identical"
    print("  %s %s: the plan does not reach the state" % (name, label))
    return "different"
failed = []
for name, files, *whole in projects:
    counts = dict(identical=0, refused=0, errors=0, different=0)
    states = [os.path.join(work, name + ".0.db")]
    sqlite3.connect(states[0]).execute("VACUUM").connection.close()
    for k, f in enumerate(files, 1):
        cur = os.path.join(work, "%s.%d.db" % (name, k))
        shutil.copy(states[0 if whole else -1], cur)
        shell(cur, open(f).read())
        states.append(cur)
        counts[pair(name, os.path.basename(f), states[-2], cur)] += 1
    for k in range(len(files), 0, -1):
        counts[pair(name, "back from " + os.path.basename(files[k - 1]), states[k], states[k - 1])] += 1
    pairs = 2 * len(files)
    print("%s: %d pairs: %d identical, %d fair refusals, %d errors, %d different" %
          (name, pairs, counts["identical"], counts["refused"], counts["errors"], counts["different"]))
    if (counts["identical"] + counts["refused"]) * 100 < 95 * pairs or counts["different"]:
        failed.append(name)
if failed:
    sys.exit("FAIL: below issue 52's target (95 % of the pairs reach their state, none "
             "differs): " + ", ".join(failed))
