# retain_archive_sqlite.sh — what the SQLite tests of archives in another
# database share (sourced after lib/sqlite.sh and lib/cli.sh, with rows
# set): the source file ev with rows due rows and rows/5 young ones, ev_all
# (every row ever written to ev: the tests write both), the archive file,
# the policy old_ev (archive-db:events), and:
#   aq SQL     sqlite3 on the archive file
#   retain A   dbcare retain into the archive, exit 0
#   exact W    ev plus the archive hold each row of ev_all once, with its
#              content, and no due row is left (W names the moment)
#   counts W   the same by counts alone (cheap)
t0=$(date +%s)
db="$work/src.db"
arch="$work/arch.db"
aq() { sqlite3 -batch -cmd ".load $module" "$arch" "$@"; }
retain() { run 0 retain --db "sqlite:$db" --module "$module" --archive-db "sqlite:$arch" "$@"; }

# ev_all records every row ever written to ev (the writers write both)
q "PRAGMA journal_mode = wal;" >/dev/null
q <<SQL >/dev/null
CREATE TABLE ev (id INTEGER PRIMARY KEY, at TEXT NOT NULL, body TEXT, n REAL);
CREATE INDEX ev_at ON ev (at);
CREATE TABLE ev_all (id INTEGER PRIMARY KEY, at TEXT NOT NULL, body TEXT, n REAL);
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < $rows + $rows / 5)
INSERT INTO ev SELECT i, CASE WHEN i <= $rows THEN datetime('now', '-40 days', '-' || i || ' seconds')
                              ELSE datetime('now', '-1 day') END,
                      'row ' || i || char(10) || 'with "quotes" and \\ and é', i / 7.0 FROM g;
INSERT INTO ev_all SELECT * FROM ev;
SELECT dbretain_add('old_ev', 'ev', 'at', '30 days', 'archive', 'archive-db:events');
SQL

# exact: ev plus the archive hold each row of ev_all once, with its content
# (compared in a third file with both attached), no due row is left, and
# the source's record agrees with the archive's count
exact() {
  local r
  r=$("$py" - "$module" "$db" "$arch" <<'PY'
import sqlite3, sys, hashlib
mod, src, arch = sys.argv[1:]
a = sqlite3.connect(arch)
a.enable_load_extension(True)
a.load_extension(mod)
import json
archived = [json.loads(r[0]) for r in a.execute('SELECT "row" FROM dbretain_archive_read')]
stored = a.execute("SELECT coalesce(sum(row_count), 0) FROM dbcare_retain_archive WHERE policy = 'old_ev'").fetchone()[0]
s = sqlite3.connect(src)
left = s.execute('SELECT id, at, body, n FROM ev').fetchall()
every = s.execute('SELECT id, at, body, n FROM ev_all').fetchall()
due = s.execute("SELECT count(*) FROM ev WHERE julianday(at) < julianday('now', '-30 days')").fetchone()[0]
recorded = s.execute("SELECT archived_rows FROM dbcare_retain_policies WHERE name = 'old_ev'").fetchone()[0]
rows = left + [(r['id'], r['at'], r['body'], r['n']) for r in archived]
ids = [r[0] for r in rows]
def digest(rs):
    return hashlib.sha256(repr(sorted(rs)).encode()).hexdigest()
print('%s|%d|%s|%d|%s' % (len(rows) == len(every), len(ids) - len(set(ids)),
                          digest(rows) == digest(every), due, recorded == stored))
PY
)
  [ "$r" = "True|0|True|0|True" ] || fail "$1: same count|twice|same content|due left|record agrees = $r"
}
counts() {
  local left all due stored
  IFS='|' read -r left all due <<<"$(q "SELECT (SELECT count(*) FROM ev), (SELECT count(*) FROM ev_all),
      (SELECT count(*) FROM ev WHERE julianday(at) < julianday('now', '-30 days'));")"
  stored=$(aq "SELECT coalesce(sum(row_count), 0) FROM dbcare_retain_archive WHERE policy = 'old_ev';")
  [ "$((left + stored))|$due" = "$all|0" ] || fail "$1: left $left + archived $stored <> $all rows, or $due due left"
}

