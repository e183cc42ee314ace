#!/usr/bin/env bash
# Constraint checks under concurrent application DDL: for about 20 seconds,
# DDL sessions drop, create and alter tables with foreign keys and CHECK
# constraints while other sessions call dbcheck_constraints() and
# dbcheck_orphans() in a loop. A table dropped or altered while dbcare reads
# it is skipped (or reported as not checked), never an internal error
# (XX000 "could not open relation with OID"), never "relation does not
# exist" (42P01), and the checks, which take their locks without waiting,
# never deadlock with DROP TABLE (40P01). The stable tables' violations are
# found on every call.
set -eu
db=dbcare_concurrent_ddl
. "$(dirname "$0")/lib/pg.sh"
seconds=${DBC_DDL_SECONDS:-20}
ddl_sessions=4
check_sessions=3

fresh_db
# Stable tables with one known orphan and one CHECK violation, and a
# declared relation over them.
q -c "CREATE TABLE stable_parent (id int PRIMARY KEY);
      INSERT INTO stable_parent VALUES (1), (2);
      CREATE TABLE stable_child (id int PRIMARY KEY, parent_id int, qty int);
      INSERT INTO stable_child VALUES (1, 1, 1), (2, 7, -1);
      ALTER TABLE stable_child ADD CONSTRAINT stable_fk FOREIGN KEY (parent_id)
        REFERENCES stable_parent (id) NOT VALID;
      ALTER TABLE stable_child ADD CONSTRAINT stable_qty CHECK (qty > 0) NOT VALID;
      SELECT dbcheck_add_relation('stable_rel', 'stable_child', 'parent_id', 'stable_parent', 'id');" \
  >/dev/null

# One DDL session's script: its own tables, dropped and created again and
# again (a parent with a child referencing it, a column added and dropped).
for s in $(seq 1 "$ddl_sessions"); do
  cat >"$work/ddl$s.one" <<SQL
DROP TABLE IF EXISTS c$s;
DROP TABLE IF EXISTS p$s;
CREATE TABLE p$s (id int PRIMARY KEY);
INSERT INTO p$s SELECT generate_series(1, 20);
CREATE TABLE c$s (id int PRIMARY KEY, pid int REFERENCES p$s, v int CHECK (v > 0));
INSERT INTO c$s SELECT g, g % 20 + 1, g FROM generate_series(1, 50) g;
ALTER TABLE c$s ADD COLUMN extra int;
ALTER TABLE c$s DROP COLUMN extra;
SQL
  for i in $(seq 1 4000); do echo "\\i $work/ddl$s.one"; done >"$work/ddl$s.sql"
done
# The checkers: both functions, the full output, so every row is read.
cat >"$work/check.one" <<'SQL'
SELECT 'constraints', count(*), sum(violations) FILTER (WHERE table_name LIKE 'public.stable%') FROM dbcheck_constraints();
SELECT 'orphans', count(*), sum(orphans) FILTER (WHERE child_table LIKE 'public.stable%') FROM dbcheck_orphans();
SQL
{
  echo '\set VERBOSITY verbose'
  for i in $(seq 1 4000); do echo "\\i $work/check.one"; done
} >"$work/check.sql"

for s in $(seq 1 "$ddl_sessions"); do
  timeout "$seconds" "$B/psql" -X -q -At -d "$db" -f "$work/ddl$s.sql" >"$work/ddl$s.out" 2>&1 &
  pids+=($!)
done
for s in $(seq 1 "$check_sessions"); do
  timeout "$seconds" "$B/psql" -X -q -At -d "$db" -f "$work/check.sql" >"$work/check$s.out" 2>&1 &
  pids+=($!)
done
wait
pids=()

cat "$work"/check*.out >"$work/all_checks.out"
calls=$(grep -c '^constraints|\|^orphans|' "$work/all_checks.out" || true)
errors=$(grep -c 'ERROR' "$work/all_checks.out" || true)
# every error, numbers folded, for a failing run
summary() { grep -h ERROR "$work/all_checks.out" | sed -E 's/[0-9]{3,}/N/g; s/^psql:[^ ]* //' | sort | uniq -c | sort -rn; }
# The checks' own errors: every error a check raises passes through dbcare
# ("dbcare: " prefix); missing relations and deadlocks whatever raised them.
bad=$(grep -E 'ERROR: +(XX000: dbcare:|42P01|40P01)' "$work/all_checks.out" || true)
[ -z "$bad" ] || fail "internal, missing-relation or deadlock errors: $(summary)"
# No error at all: the catalog reader skips or re-reads what DDL drops under
# it too, so not even "could not open relation with OID" may reach a caller.
[ "$errors" = 0 ] || fail "errors: $(summary)"
[ "$calls" -ge 20 ] || fail "too few calls finished ($calls): $(head -n 20 "$work/all_checks.out")"
# The stable tables' violations are found on every call: 2 per constraints
# call (one orphan, one CHECK violation), 2 per orphans call (the foreign
# key and the declared relation).
wrong=$(grep -E '^(constraints|orphans)\|' "$work/all_checks.out" | grep -vcE '\|2$' || true)
[ "$wrong" = 0 ] || fail "$wrong calls missed the stable tables' violations: $(grep -vE '\|2$' "$work/all_checks.out" | head)"
# A deadlock is reported to one of its sessions, maybe the DDL's.
dead=$(cat "$work"/ddl*.out | grep -c 'deadlock detected' || true)
[ "$dead" = 0 ] || fail "$dead DDL statements were deadlock victims"
ddl=$(cat "$work"/ddl*.out | grep -c 'ERROR' || true)
[ "$ddl" = 0 ] || fail "the DDL sessions failed: $(cat "$work"/ddl*.out | grep ERROR | sort | uniq -c | head)"
echo ok
