#!/usr/bin/env bash
# Retention on a table whose foreign key references the table itself, at
# 100,000 rows (docs/retention.md, "Foreign keys and SQLite's PRAGMA
# foreign_keys"): a comment tree (parent = id / 8), 3-row cycles, rows
# referencing themselves and old replies hanging off the cycles; one row in
# 997 is new and keeps what it references. PostgreSQL checks NO ACTION and
# RESTRICT keys at the end of the statement, so a due row stays only when a
# row that stays references it (lib/retain_fk_oracle.py computes that set
# apart from dbcare); cycles go whole:
#  - NO ACTION, 100,000 rows, dbretain_apply; the engine refuses deleting
#    any one of the kept due rows on top.
#  - RESTRICT, 5,000 rows, CALL dbretain_run (a commit after each batch).
#  - archive-db, 5,000 rows, `dbcare retain --archive-db`: the rows
#    archived are exactly the rows deleted, each once.
# In each: `blocked` of the plan's key (and of the apply) is the number of
# kept due rows, the rows left are exactly the oracle's, no row points at
# nothing.
set -eu
db=dbcare_retain_fk_cycles
oracle="$(cd "$(dirname "$0")" && pwd)/lib/retain_fk_oracle.py"
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3
[ -x "$py" ] || py=python3
fresh_db

make_table() { # rows action [policy target]
  local policy="'delete'"
  [ -z "${3:-}" ] || policy="'archive', '$3'"
  q <<SQL >/dev/null
SET client_min_messages = warning;
DROP TABLE IF EXISTS c;
SELECT dbretain_drop(name) FROM dbretain_policies();
CREATE TABLE c (id int PRIMARY KEY, parent int, posted_at timestamptz NOT NULL, body text);
INSERT INTO c SELECT i,
  CASE WHEN i < 8 THEN NULL
       WHEN i <= $1 * 6 / 10 THEN i / 8
       WHEN i <= $1 * 9 / 10 THEN CASE (i - $1 * 6 / 10 - 1) % 3 WHEN 2 THEN i - 2 ELSE i + 1 END
       WHEN i <= $1 * 9 / 10 + 100 THEN i
       ELSE $1 * 6 / 10 + 1 + (i::bigint * 7919) % ($1 * 3 / 10) END,
  CASE WHEN i % 997 = 0 THEN now()
       ELSE now() - interval '3 years' - ((i * 7) % 5000) * interval '1 minute' END,
  'comment ' || i
FROM generate_series(1, $1) i;
ALTER TABLE c ADD CONSTRAINT c_parent_fkey FOREIGN KEY (parent) REFERENCES c ON DELETE $2;
CREATE INDEX c_parent ON c (parent);
CREATE INDEX c_posted ON c (posted_at);
ANALYZE c;
SELECT dbretain_add('old_comments', 'c', 'posted_at', '2 years', $policy);
SQL
  q -c "SELECT id || '|' || coalesce(parent::text, '') || '|' ||
               (posted_at < now() - interval '2 years')::int FROM c" |
    "$py" "$oracle" at-end > "$work/expected"
  due=$(q -c "SELECT count(*) FROM c WHERE posted_at < now() - interval '2 years'")
  kept=$((due - $(q -c "SELECT count(*) FROM c") + $(wc -l < "$work/expected")))
  plan=$(q -c "SELECT blockers::json->0->>'blocked' FROM dbretain_plan('old_comments')")
  [ "$plan" = "$kept" ] || fail "$2: the plan says $plan due rows are kept, the engine keeps $kept"
}

left_as_expected() {
  q -c "SELECT id FROM c ORDER BY id" | cmp -s - "$work/expected" ||
    fail "$1: the rows left are not those the engine must keep"
  n=$(q -c "SELECT count(*) FROM c r WHERE r.parent IS NOT NULL AND NOT EXISTS (SELECT 1 FROM c p WHERE p.id = r.parent)")
  [ "$n" = 0 ] || fail "$1: $n rows point at nothing"
}

# ---- NO ACTION, 100,000 rows, dbretain_apply
make_table 100000 "NO ACTION"
t0=$(date +%s.%N)
got=$(q -c "SELECT deleted || ' ' || blocked || ' ' || remaining FROM dbretain_apply('old_comments', 1000000)")
t1=$(date +%s.%N)
[ "$got" = "$((due - kept)) $kept 0" ] || fail "no action: deleted/blocked/remaining $got, expected $((due - kept)) $kept 0"
left_as_expected "no action"
# every kept due row is one the engine refuses to delete
for k in $(q -c "SELECT id FROM c WHERE posted_at < now() - interval '2 years' ORDER BY id LIMIT 5"); do
  out=$(q -c "DELETE FROM c WHERE id = $k" 2>&1) && fail "no action: the engine let kept row $k go"
  case "$out" in *c_parent_fkey*) ;; *) fail "no action: deleting kept row $k: $out" ;; esac
done
echo "no action: $((due - kept)) deleted, $kept kept, in $(echo "$t1 - $t0" | bc)s"

# ---- RESTRICT, 5,000 rows, dbretain_run committing batch by batch
make_table 5000 RESTRICT
q -c "SELECT dbcare_set('retain.batch_size', '1000')" >/dev/null
q -c "CALL dbretain_run('old_comments')" >/dev/null
left_as_expected "restrict"
[ "$(q -c "SELECT deleted || ' ' || blocked FROM dbretain_apply('old_comments')")" = "0 $kept" ] ||
  fail "restrict: a call after the run moved rows or counts them wrong"
echo "restrict: $((due - kept)) deleted, $kept kept"

# ---- archive-db through the command: archived == deleted, each once
adb=${db}_archive
"$B/psql" -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $adb" -c "CREATE DATABASE $adb" >/dev/null
trap '"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $adb" >/dev/null 2>&1 || true; cleanup' EXIT
"$B/psql" -X -q -d "$adb" -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare"
make_table 5000 "NO ACTION" "archive-db:comments"
q -c "SELECT dbcare_set('retain.batch_size', '2500')" >/dev/null
q -c "SELECT id FROM c" | sort > "$work/before"
run 0 retain --db "postgresql:///$db" --archive-db "postgresql:///$adb" --quiet
left_as_expected "archive"
sort "$work/expected" | comm -23 "$work/before" - > "$work/gone"
"$B/psql" -X -q -At -d "$adb" -c "SELECT (row::json->>'id') || '|' || ((row::json->>'body') = 'comment ' || (row::json->>'id'))
  FROM dbretain_archive_read()" > "$work/archived"
[ "$(grep -vc '|true$' "$work/archived" || true)" = 0 ] || fail "archive: a row's content changed on the way"
cut -d'|' -f1 "$work/archived" | sort | cmp -s - "$work/gone" ||
  fail "archive: $(wc -l < "$work/archived") rows archived, $(wc -l < "$work/gone") deleted: not the same rows"
echo "archive: $(wc -l < "$work/gone") rows archived and deleted, $(wc -l < "$work/expected") left"

# ---- the health check counts what the run would move: a cycle is due
got=$(q -c "CREATE TABLE p (id int PRIMARY KEY, partner int REFERENCES p, seen_at timestamp NOT NULL)" \
  -c "CREATE INDEX p_partner ON p (partner)" \
  -c "INSERT INTO p VALUES (1, NULL, '2020-01-01'), (2, 1, '2020-01-01'), (3, NULL, '2020-01-01'),
        (4, NULL, '2020-01-01'), (5, 4, '2099-01-01')" \
  -c "UPDATE p SET partner = 2 WHERE id = 1" -c "UPDATE p SET partner = 3 WHERE id = 3" \
  -c "SELECT dbretain_drop(name) FROM dbretain_policies()" \
  -c "SELECT dbretain_add('old_p', 'p', 'seen_at', '1 year', 'delete')" \
  -c "SELECT dbcare_set('health.retention.warn', '0')" \
  -c "SELECT message FROM dbhealth_checks('standard') WHERE name = 'retention'" | tail -1)
[ "$got" = "policy old_p has 3 rows of public.p due (1 batches)" ] || fail "health: $got"
