#!/usr/bin/env bash
# Retention of a foreign-key cycle longer than a batch may take
# (docs/retention.md, "Foreign keys and SQLite's PRAGMA foreign_keys"): the
# due rows of a 5-row cycle must go in one statement, so with max_rows 3,
# or retain.batch_size 4, no call ever removes them, nor the newer due row
# behind them. Before the fix each call returned deleted 0, remaining 6,
# and nothing said why; now the call fails naming the policy, the table,
# the rows the group needs and the setting to raise, and changes nothing.
# With the limit raised the cycle goes whole.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/c.db"
q <<'SQL' >/dev/null
CREATE TABLE c (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES c, posted_at TEXT NOT NULL);
CREATE INDEX c_parent ON c (parent);
INSERT INTO c VALUES (1, 2, '2001-01-01'), (2, 3, '2001-01-01'), (3, 4, '2001-01-01'),
  (4, 5, '2001-01-01'), (5, 1, '2001-01-01'), (6, 6, '2001-01-02'), (7, NULL, '2001-01-03'),
  (8, NULL, datetime('now'));
SELECT dbretain_add('p', 'c', 'posted_at', '1 year', 'delete');
SQL
# fails_with SQL TEXT...: SQL fails, its error holding every TEXT; nothing changed
fails_with() {
  local sql=$1 before; shift
  before=$(q "SELECT group_concat(id) FROM c;")
  if q "$sql" > "$work/out" 2>&1; then fail "$sql succeeded: $(cat "$work/out")"; fi
  for want in "$@"; do grep -qF -- "$want" "$work/out" || fail "$sql: want \"$want\", got: $(cat "$work/out")"; done
  [ "$(q "SELECT group_concat(id) FROM c;")" = "$before" ] || fail "$sql changed rows"
}
# the first call takes the leaf (7) and stops short of the cycle; the next
# cannot go on: its oldest due rows are the cycle
[ "$(q "SELECT deleted FROM dbretain_apply('p', 3);")" = 1 ] || fail "the leaf did not go"
group=' reference each other through the table'"'"'s own foreign key (such as a cycle) and go only whole, in one statement, and a batch takes the whole groups among the oldest rows, which needs at least 5 of them; no call with this limit removes them or any newer row'
fails_with "SELECT * FROM dbretain_apply('p', 3);" "$group" 'retention policy "p" cannot remove its oldest due rows of "c" in batches of 3:'  \
  "HINT: Call dbretain_apply('p', 5) (max_rows at least 5)."
q "SELECT dbcare_set('retain.batch_size', '4');" >/dev/null
fails_with "SELECT * FROM dbretain_apply('p');" "$group" 'retention policy "p" cannot remove its oldest due rows of "c" in batches of 4:'  \
  "HINT: Raise retain.batch_size (the most one batch takes, and max_rows's default) to at least 5"
# the command's loop says it too
. "$(dirname "$0")/lib/cli.sh"
run 1 retain --db "sqlite:$db" --module "$module"
has "which needs at least 5 of them" err
# raised: the cycle goes whole, then the newer self-referencing row
q "SELECT dbcare_set('retain.batch_size', '5');" >/dev/null
[ "$(q "SELECT deleted || ' ' || remaining FROM dbretain_apply('p');")" = "5 1" ] || fail "the cycle did not go"
[ "$(q "SELECT deleted || ' ' || remaining FROM dbretain_apply('p');")" = "1 0" ] || fail "row 6 did not go"
[ "$(q "SELECT group_concat(id) FROM c; SELECT count(*) FROM pragma_foreign_key_check;")" = "8
0" ] || fail "rows left: $(q 'SELECT * FROM c')"
# an archive in another database stops the same way (dbretain_export_next)
q <<'SQL' >/dev/null
CREATE TABLE d (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES d, posted_at TEXT NOT NULL);
CREATE INDEX d_parent ON d (parent);
INSERT INTO d VALUES (1, 2, '2001-01-01'), (2, 3, '2001-01-01'), (3, 4, '2001-01-01'),
  (4, 5, '2001-01-01'), (5, 1, '2001-01-01');
SELECT dbretain_add('a', 'd', 'posted_at', '1 year', 'archive', 'archive-db:old_d');
SELECT dbcare_set('retain.batch_size', '4');
SQL
sqlite3 "$work/cold.db" "SELECT 1" >/dev/null
if q "ATTACH '$work/cold.db' AS cold; SELECT dbretain_archive_attached('a', 'cold');" > "$work/out" 2>&1; then
  fail "the archive step went on: $(cat "$work/out")"
fi
grep -qF 'retention policy "a" cannot remove its oldest due rows of "d" in batches of 4:' "$work/out" ||
  fail "archive: $(cat "$work/out")"
[ "$(q "SELECT count(*) FROM d;")" = 5 ] || fail "archive: rows changed"
echo ok
