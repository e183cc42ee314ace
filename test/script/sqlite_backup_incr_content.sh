#!/usr/bin/env bash
# An incremental backup's content record re-reads only the rowid windows
# its changed pages can hold (docs/backups.md, "Incremental backups"), and
# still equals a whole read of every table: after each round of random
# work (updates in place and growing, inserts at the end and at
# random rowids, deletes of runs and of scattered rows, a change to the
# tail of a value spilled to overflow pages only, ALTER TABLE ADD COLUMN,
# tables created and dropped, VACUUM, a WITHOUT ROWID table, a table whose
# columns take all three rowid names, switches between WAL and rollback
# journal), an incremental backup is taken and dbbackup_verify restores the
# whole chain and compares every table with the record: each must pass.
# One row changed re-reads a window, not the table, and one that splits
# its leaf re-reads the leaves' windows, not their parent's. Twice: 28
# rounds on a default database, then 16 on one of 1,024-byte pages with 32
# bytes reserved at each page's end and auto_vacuum = FULL (pointer-map
# pages, root pages that move when a table is dropped).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
seed=${DBC_SEED:-$RANDOM}
echo "seed $seed"
mkdir -p "$work/small"
sqlite3 "$work/small/app.db" "PRAGMA page_size = 1024; PRAGMA auto_vacuum = FULL; CREATE TABLE z (a);" \
  ".filectrl reserve_bytes 32" "VACUUM;" >/dev/null
# (each verify restores the whole chain, so a run's cost grows with the
# square of its rounds: every kind of work comes in each run's first 14,
# the rounds after them at random, another seed each run)
for run in "$work 28" "$work/small 16"; do
set -- $run
"$py" - "$module" "$1" "$seed" "$2" <<'PY'
import json, random, sqlite3, sys
module, work, seed, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(seed)
c = sqlite3.connect(f"{work}/app.db", isolation_level=None)
c.enable_load_extension(True)
c.load_extension(module)

def fail(msg):
    print(f"FAIL: {msg} (seed {seed})")
    sys.exit(1)

# generate_series is the shell's, not the library's: a CTE instead
def series(n):
    return ("(WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s"
            f" WHERE value < {int(n)}) SELECT value FROM s)")

c.executescript(f"""
CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, body BLOB, big TEXT);
INSERT INTO t (name, body) SELECT 'row ' || value, randomblob(200) FROM {series(60000)};
UPDATE t SET big = printf('%.6000c', 'x') WHERE id % 500 = 0;
CREATE TABLE sparse (k INTEGER PRIMARY KEY, v TEXT);
CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID;
INSERT INTO kv SELECT 'k' || value, value FROM {series(3000)};
CREATE TABLE shadowed (rowid TEXT, _rowid_ TEXT, oid TEXT, v INTEGER);
INSERT INTO shadowed SELECT 'a', 'b', 'c', value FROM {series(2000)};
""")
# (one transaction: the rows are what the test needs, not 3,000 commits)
c.execute("BEGIN")
for _ in range(3000):
    c.execute("INSERT OR IGNORE INTO sparse VALUES (?, ?)",
              (rnd.randint(-2**62, 2**62), "s" * rnd.randint(1, 300)))
c.execute("COMMIT")
# 100,000 random keys: windows are cut by all of them, not by the first few
c.execute("CREATE TABLE keys (k INTEGER PRIMARY KEY, v TEXT)")
c.execute("BEGIN")
c.executemany("INSERT OR IGNORE INTO keys VALUES (?, 'k')",
              ((rnd.randint(-2**62, 2**62),) for _ in range(100000)))
c.execute("COMMIT")

def backup(tag, method):
    path = f"{work}/{tag}.db"
    out = json.loads(c.execute("SELECT dbbackup_create(?, ?)", (path, method)).fetchone()[0])
    v = json.loads(c.execute("SELECT dbbackup_verify(?)", (path,)).fetchone()[0])
    if not v.get("verified"):
        fail(f"{tag} did not verify: {v}")
    return out

backup("full", "full")
total = c.execute("SELECT count(*) FROM t").fetchone()[0]

# one row of t and one of keys: a window of each re-read, not the tables
# (kv and shadowed, with no rowid to cut by, are read whole every time:
# 5,000 rows)
c.execute("UPDATE t SET name = 'one' WHERE id = 30000")
c.execute("UPDATE keys SET v = 'one' WHERE k = (SELECT k FROM keys LIMIT 1 OFFSET 50000)")
out = backup("one", "incremental")
# each changed leaf's range may span two windows, a window up to twice the
# 512-row average: a few thousand rows, against 160,000 read whole
if out["rows_read"] - 5000 > 5000:
    fail(f"one row changed in t and in keys re-read {out['rows_read']} rows ({total} in t)")
print(f"one row changed: {out['rows_read']} rows re-read of {out['rows']}")
# one row of keys grown to nearly a page: its leaf splits and their parent
# changes, yet only the leaves' windows are re-read (never the parent's
# range, tens of thousands of keys)
page = c.execute("PRAGMA page_size").fetchone()[0]
c.execute("UPDATE keys SET v = printf('%.*c', ?, 'g') WHERE k = (SELECT k FROM keys LIMIT 1 OFFSET 20000)",
          (page - 100,))
out = backup("split", "incremental")
if out["rows_read"] - 5000 > 5000:
    fail(f"one row of keys split its leaf and re-read {out['rows_read']} rows")
print(f"one row split its leaf: {out['rows_read']} rows re-read of {out['rows']}")

extra = 0
def step(kind):
    global extra
    top = c.execute("SELECT max(id) FROM t").fetchone()[0] or 1
    a = rnd.randint(1, top)
    if kind == "update":
        c.execute("UPDATE t SET body = randomblob(200) WHERE id BETWEEN ? AND ?", (a, a + rnd.randint(0, 2000)))
    elif kind == "grow":
        c.execute("UPDATE t SET name = name || hex(randomblob(40)) WHERE id BETWEEN ? AND ?", (a, a + 300))
    elif kind == "append":
        c.execute("INSERT INTO t (name, body) SELECT 'new', randomblob(200) FROM "
                  + series(rnd.randint(1, 3000)))
    elif kind == "sparse":
        for _ in range(50):
            c.execute("INSERT OR REPLACE INTO sparse VALUES (?, 'x')", (rnd.randint(-2**62, 2**62),))
    elif kind == "delete_run":
        c.execute("DELETE FROM t WHERE id BETWEEN ? AND ?", (a, a + rnd.randint(0, 3000)))
    elif kind == "delete_some":
        c.execute("DELETE FROM t WHERE abs(random()) % 200 = 0")
    elif kind == "overflow_tail":
        # same length, only the tail differs: the overflow pages change, the
        # leaf keeping the value's first bytes need not
        c.execute("UPDATE t SET big = substr(big, 1, 5900) || printf('%.100c', char(65 + abs(random()) % 26))"
                  " WHERE id IN (SELECT id FROM t WHERE big IS NOT NULL ORDER BY random() LIMIT 3)")
    elif kind == "add_column":
        extra += 1
        c.execute(f"ALTER TABLE t ADD COLUMN extra{extra} INTEGER DEFAULT {extra}")
    elif kind == "new_table":
        n = rnd.randint(1, 1000)
        c.execute(f"CREATE TABLE IF NOT EXISTS more{n % 3} (x)")
        c.execute(f"INSERT INTO more{n % 3} SELECT value FROM {series(n)}")
    elif kind == "drop_table":
        c.execute(f"DROP TABLE IF EXISTS more{rnd.randint(0, 2)}")
    elif kind == "vacuum":
        c.execute("VACUUM")
    elif kind == "kv":
        c.execute("UPDATE kv SET v = v + 1 WHERE v % 7 = ?", (rnd.randint(0, 6),))
    elif kind == "shadowed":
        c.execute("UPDATE shadowed SET v = v + 1 WHERE v % 5 = ?", (rnd.randint(0, 4),))
    elif kind == "journal":
        mode = c.execute("PRAGMA journal_mode").fetchone()[0]
        c.execute("PRAGMA journal_mode = " + ("delete" if mode == "wal" else "wal"))

kinds = ["update", "grow", "append", "sparse", "delete_run", "delete_some", "overflow_tail",
         "add_column", "new_table", "drop_table", "vacuum", "kv", "shadowed", "journal"]
read = 0
for i in range(rounds):
    # every kind at least once, then at random
    kind = kinds[i] if i < len(kinds) else rnd.choice(kinds)
    step(kind)
    out = backup(f"inc{i}", "incremental")
    if out["method"] == "full":
        # a VACUUM that moved every page: no delta to take, a full backup
        # begins a new chain (docs/backups.md); nothing else may
        if kind != "vacuum" or not out.get("full_because", "").startswith("no page of the database"):
            fail(f"round {i} {kind}: taken full: {out.get('full_because')}")
        print(f"round {i} {kind}: taken full ({out['full_because'][:60]}...), verified")
        continue
    read += out["rows_read"]
    print(f"round {i} {kind}: {out['rows_read']} rows re-read of {out['rows']}, verified")
page, reserve = c.execute("PRAGMA page_size").fetchone()[0], open(f"{work}/app.db", "rb").read(21)[20]
print(f"{rounds} rounds ({page}-byte pages, {reserve} reserved): {read} rows re-read in all")
PY
done
