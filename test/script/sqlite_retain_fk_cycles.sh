#!/usr/bin/env bash
# Retention on a table whose foreign key references the table itself, at
# 100,000 rows (docs/retention.md, "Foreign keys and SQLite's PRAGMA
# foreign_keys"): a comment tree (parent = id / 8), 3-row cycles, rows
# referencing themselves and old replies hanging off the cycles; one row in
# 997 is new and keeps what it references. A delete policy must leave
# exactly the rows the engine has to keep, computed apart from dbcare
# (lib/retain_fk_oracle.py):
#  - NO ACTION (checked at the end of the statement), foreign_keys off and
#    on: a due row stays only when a row that stays references it; cycles
#    go whole. The engine itself accepts deleting the rest in one DELETE and
#    refuses it with one kept row more.
#  - RESTRICT (SQLite checks it as each row goes): rows go leaves first; a
#    cycle stays with what it references, a row referencing itself goes.
#  - archived into an ATTACHed database (dbretain_archive_attached, called
#    until idle): the rows archived are exactly the rows deleted, each once,
#    and the rows left the oracle's.
# In each: `blocked` of the apply and of the plan's key is the number of
# kept due rows, nothing is left to do, PRAGMA foreign_key_check is empty.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
oracle="$(dirname "$0")/lib/retain_fk_oracle.py"

make_db() { # file rows action [policy target]
  db=$1
  local policy="'delete'"
  [ -z "${4:-}" ] || policy="'archive', '$4'"
  q <<SQL >/dev/null
CREATE TABLE c (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES c ON DELETE $3,
                posted_at TEXT NOT NULL, body TEXT);
CREATE INDEX c_parent ON c (parent);
CREATE INDEX c_posted ON c (posted_at);
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < $2)
INSERT INTO c SELECT i,
  CASE WHEN i < 8 THEN NULL
       WHEN i <= $2 * 6 / 10 THEN i / 8
       WHEN i <= $2 * 9 / 10 THEN CASE (i - $2 * 6 / 10 - 1) % 3 WHEN 2 THEN i - 2 ELSE i + 1 END
       WHEN i <= $2 * 9 / 10 + 100 THEN i
       ELSE $2 * 6 / 10 + 1 + (i * 7919) % ($2 * 3 / 10) END,
  CASE WHEN i % 997 = 0 THEN datetime('now')
       ELSE datetime('now', '-3 years', '-' || ((i * 7) % 5000) || ' minutes') END,
  'comment ' || i
FROM g;
SELECT dbretain_add('old_comments', 'c', 'posted_at', '2 years', $policy);
SQL
}

# expected MODE: the ids the oracle says stay, into $work/expected
expected() {
  q "SELECT id || '|' || coalesce(parent, '') || '|' ||
            (julianday(posted_at) < julianday('now', '-2 years')) FROM c;" |
    "$py" "$oracle" "$1" > "$work/expected"
}

check() { # name fk_pragma
  local name=$1 fk=$2 due kept plan got
  due=$(q "SELECT count(*) FROM c WHERE julianday(posted_at) < julianday('now', '-2 years');")
  kept=$((due - $(q "SELECT count(*) FROM c;") + $(wc -l < "$work/expected")))
  plan=$(q -cmd "PRAGMA foreign_keys = $fk" "SELECT json_extract(blockers, '\$[0].blocked') FROM dbretain_plan('old_comments');")
  # (a RESTRICT key's plan counts every due row another row references:
  # the run takes a chain of them leaves first, the plan does not follow it)
  [ "$name" = restrict ] || [ "$plan" = "$kept" ] || fail "$name: the plan says $plan due rows are kept, the engine keeps $kept"
  t0=$(date +%s.%N)
  got=$(q -cmd "PRAGMA foreign_keys = $fk" "SELECT deleted || ' ' || blocked || ' ' || remaining FROM dbretain_apply('old_comments', 1000000);")
  t1=$(date +%s.%N)
  [ "$got" = "$((due - kept)) $kept 0" ] || fail "$name: deleted/blocked/remaining $got, expected $((due - kept)) $kept 0"
  q "SELECT id FROM c ORDER BY id;" | cmp -s - "$work/expected" || fail "$name: the rows left are not those the engine must keep"
  [ -z "$(q "PRAGMA foreign_key_check;")" ] || fail "$name: rows point at nothing"
  [ "$(q -cmd "PRAGMA foreign_keys = $fk" "SELECT deleted FROM dbretain_apply('old_comments');")" = 0 ] || fail "$name: a second call moved rows"
  echo "$name (foreign_keys $fk): $((due - kept)) deleted, $kept kept, in $(echo "$t1 - $t0" | bc)s"
}

# ---- NO ACTION, 100,000 rows, foreign_keys off (SQLite's default)
make_db "$work/noaction.db" 100000 "NO ACTION"
expected at-end
# the engine, enforcing the key, accepts removing the rest in one DELETE,
# and refuses it with any kept due row more
cp "$work/noaction.db" "$work/engine.db"
"$py" - "$work/engine.db" "$work/expected" <<'PY' || fail "the engine does not agree with the oracle"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA foreign_keys = ON")
left = set(int(x) for x in open(sys.argv[2]))
db.execute("CREATE TEMP TABLE gone (id INTEGER PRIMARY KEY)")
db.executemany("INSERT INTO gone VALUES (?)", ((i,) for (i,) in db.execute("SELECT id FROM c") if i not in left))
kept_due = [i for (i,) in db.execute("SELECT id FROM c WHERE julianday(posted_at) < julianday('now', '-2 years')") if i in left]
assert len(kept_due) > 10, len(kept_due)
for k in kept_due[::len(kept_due) // 2][:2]:
    db.execute("BEGIN")
    try:
        db.execute("DELETE FROM c WHERE id IN (SELECT id FROM gone) OR id = ?", (k,))
        sys.exit("the engine let kept row %d go" % k)
    except sqlite3.IntegrityError:
        pass
    db.execute("ROLLBACK")
db.execute("DELETE FROM c WHERE id IN (SELECT id FROM gone)")
assert db.execute("PRAGMA foreign_key_check").fetchall() == []
PY
db="$work/noaction.db"
check "no action" OFF

# ---- NO ACTION with foreign_keys on, 10,000 rows
make_db "$work/noaction_on.db" 10000 "NO ACTION"
expected at-end
check "no action" ON

# ---- RESTRICT: leaves first, cycles stay; off and on
for fk in OFF ON; do
  make_db "$work/restrict_$fk.db" 10000 RESTRICT
  expected per-row
  check restrict $fk
done

# ---- archive-db into an ATTACHed file: archived == deleted, each once
make_db "$work/arch_src.db" 10000 "NO ACTION" "archive-db:comments"
q "SELECT dbcare_set('retain.batch_size', '2500');" >/dev/null
expected at-end
q "SELECT id FROM c;" | sort > "$work/before"
{ echo "ATTACH '$work/cold.db' AS cold;"
  for _ in $(seq 1 120); do echo "SELECT json_extract(dbretain_archive_attached('old_comments', 'cold'), '\$.stage');"; done
} | q > "$work/stages"
grep -qx idle "$work/stages" || fail "archive: not idle after 120 calls: $(sort "$work/stages" | uniq -c | tr '\n' ' ')"
q "SELECT id FROM c ORDER BY id;" | cmp -s - "$work/expected" || fail "archive: the rows left are not those the engine must keep"
[ -z "$(q "PRAGMA foreign_key_check;")" ] || fail "archive: rows point at nothing"
sort "$work/expected" | comm -23 "$work/before" - > "$work/gone"
sqlite3 -batch -cmd ".load $module" "$work/cold.db" \
  "SELECT json_extract(row, '\$.id') || '|' || (json_extract(row, '\$.body') = 'comment ' || json_extract(row, '\$.id'))
     FROM dbretain_archive_read;" | sort > "$work/archived"
[ "$(grep -vc '|1$' "$work/archived" || true)" = 0 ] || fail "archive: a row's content changed on the way"
cut -d'|' -f1 "$work/archived" | sort | cmp -s - "$work/gone" ||
  fail "archive: $(wc -l < "$work/archived") rows archived, $(wc -l < "$work/gone") deleted: not the same rows"
echo "archive: $(wc -l < "$work/gone") rows archived and deleted, $(wc -l < "$work/expected") left"

# ---- the health check counts what the run would move: a cycle is due
db="$work/health.db"
got=$(q "CREATE TABLE p (id INTEGER PRIMARY KEY, partner INTEGER REFERENCES p, seen_at TEXT NOT NULL);
  CREATE INDEX p_seen ON p (seen_at); CREATE INDEX p_partner ON p (partner);
  INSERT INTO p VALUES (1, 2, '2020-01-01'), (2, 1, '2020-01-01'), (3, 3, '2020-01-01'), (4, NULL, '2020-01-01'),
    (5, 4, '2099-01-01');
  SELECT dbretain_add('old_p', 'p', 'seen_at', '1 year', 'delete');
  SELECT dbcare_set('health.retention.warn', '0');
  SELECT message FROM dbhealth_checks('standard') WHERE name = 'retention';" | tail -1)
[ "$got" = "policy old_p has 3 rows of p due (1 batches)" ] || fail "health: $got"
