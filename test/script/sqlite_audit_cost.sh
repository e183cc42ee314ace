#!/usr/bin/env bash
# What dbcare's own work costs each audit log entry on SQLite (issue 23: an
# audited INSERT's cost, docs/benchmarks.md "The audit trail"). The
# generated triggers call dbaudit_now(), dbaudit_txid(), dbaudit_actor() and
# the JSON builders (an insert's entry built by its trigger's WHEN, handed
# out by dbaudit_entry_key, _values and _row_hash; dbaudit_json,
# dbaudit_json_changes and _kept) once or more per entry; valgrind's
# callgrind counts the instructions spent inside them (not time: the count
# does not move with the machine's load) while 500 rows are inserted and
# then updated in one transaction. Building the JSON in an
# sqlite3_str one character at a time, with a heap buffer per object, cost
# about 11,000 instructions per entry; the limit is 5,000 (about 3,000 now).
# Also checks the entries are all there, so the count cannot pass by
# recording nothing.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
command -v valgrind > /dev/null || fail "valgrind is not installed (test/harness/packages.txt)"
rows=500
limit=5000
db="$work/cost.db"
cat > "$work/cost.sql" <<EOF
CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, name TEXT, at TEXT);
SELECT dbaudit_enable('t');
SELECT dbaudit_actor('bench@example');
BEGIN;
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < $rows)
INSERT INTO t SELECT i, i % 100, 'name ' || i, '2026-01-01' FROM g;
UPDATE t SET v = v + 1, name = name || ' "changed"';
COMMIT;
SELECT count(*) FROM dbcare_audit_log WHERE actor = 'bench@example';
EOF
fns=(sqldbc_dbaudit_json sqldbc_dbaudit_json_changed sqldbc_dbaudit_json_changes
     sqldbc_dbaudit_json_kept sqldbc_dbaudit_now sqldbc_dbaudit_txid sqldbc_dbaudit_current_actor
     sqldbc_audit_entry_build sqldbc_dbaudit_entry_key sqldbc_dbaudit_entry_values
     sqldbc_dbaudit_entry_row_hash)
toggles=()
for f in "${fns[@]}"; do toggles+=("--toggle-collect=$f"); done
valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" --log-file="$work/valgrind.log" \
  "${toggles[@]}" sqlite3 -batch -cmd ".load $module" "$db" < "$work/cost.sql" > "$work/out.txt" 2>&1 ||
  { cat "$work/out.txt" "$work/valgrind.log"; fail "the audited writes failed under valgrind"; }
entries=$(tail -1 "$work/out.txt")
[ "$entries" = $((2 * rows)) ] || { cat "$work/out.txt"; fail "expected $((2 * rows)) entries, got $entries"; }
collected=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/valgrind.log")
[ -n "$collected" ] || { cat "$work/valgrind.log"; fail "callgrind reported no count"; }
# a count of 0 would mean the toggles named no function that ran
[ "$collected" -gt 0 ] || fail "no instructions counted in ${fns[*]}: were they renamed?"
per_entry=$((collected / entries))
echo "dbcare's trigger functions: $per_entry instructions per audit log entry (limit $limit)"
[ "$per_entry" -le "$limit" ] ||
  fail "dbcare's trigger functions cost $per_entry instructions per audit log entry (limit $limit)"
echo "ok"
