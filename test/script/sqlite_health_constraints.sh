#!/usr/bin/env bash
# Health's constraint checks on SQLite, each fault planted, caught and fixed:
# a foreign-key violation inserted with foreign_keys off (critical), a CHECK
# violation let in with ignore_check_constraints (critical in full mode), and
# orphans of a declared relation (warning in full mode). They are answered by
# the dbcheck core, which the module must have (the test fails without it).
set -euo pipefail
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/constraints.db"
status() { q "SELECT status FROM dbhealth_checks('$1') WHERE name = '$2'"; }
expect() { # description got want
  if [ "$2" != "$3" ]; then echo "FAIL: $1: got '$2', want '$3'"; exit 1; fi
  echo "ok: $1"
}

if [ "$(q "SELECT count(*) FROM pragma_module_list WHERE name = 'dbcheck_constraints'")" = 0 ]; then
  echo "FAIL: the module has no dbcheck_constraints: this test cannot run"
  exit 1
fi

q "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
   CREATE TABLE orders (id INTEGER PRIMARY KEY,
                        customer_id INTEGER REFERENCES customers (id),
                        total REAL CHECK (total >= 0));
   CREATE INDEX orders_customer ON orders (customer_id);
   CREATE TABLE notes (id INTEGER PRIMARY KEY, order_ref INTEGER);
   INSERT INTO customers VALUES (1, 'Ada');
   INSERT INTO orders VALUES (1, 1, 10);
   INSERT INTO notes VALUES (1, 1);
   ANALYZE;"
expect "clean: foreign keys" "$(status standard foreign_key_violations)" ok
expect "clean: constraints" "$(status full constraint_violations)" ok
expect "clean: full report healthy" "$(q "SELECT json_extract(dbhealth_report('full'), '\$.status')")" healthy

# foreign_keys is off by default: the engine lets the violation in
q "INSERT INTO orders VALUES (2, 99, 5)"
expect "FK violation: critical" "$(status standard foreign_key_violations)" critical
expect "FK violation: report critical" "$(q "SELECT json_extract(dbhealth_report(), '\$.status')")" critical
expect "quick mode does not scan data" "$(status quick foreign_key_violations)" skipped
q "DELETE FROM orders WHERE id = 2"
expect "FK violation removed: ok" "$(status standard foreign_key_violations)" ok

q "PRAGMA ignore_check_constraints = ON; INSERT INTO orders VALUES (3, 1, -5);"
expect "CHECK violation: critical in full mode" "$(status full constraint_violations)" critical
expect "CHECK violation: not scanned in standard mode" "$(status standard constraint_violations)" skipped
q "UPDATE orders SET total = 5 WHERE id = 3"
expect "CHECK violation fixed: ok" "$(status full constraint_violations)" ok

q "SELECT dbcheck_add_relation('notes_order', 'notes', 'order_ref', 'orders', 'id');
   INSERT INTO notes VALUES (2, 42);"
expect "orphan of a declared relation: warning" "$(status full orphans)" warning
expect "orphans: 5 points per relation" \
  "$(q "SELECT penalty FROM dbhealth_checks('full') WHERE name = 'orphans'")" 5
q "SELECT dbcare_set('health.ignore', 'notes')"
expect "health.ignore skips the child table" "$(status full orphans)" ok
q "SELECT dbcare_set('health.ignore', ''); DELETE FROM notes WHERE id = 2;"
expect "orphan removed: ok" "$(status full orphans)" ok
