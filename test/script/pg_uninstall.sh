#!/usr/bin/env bash
# README's "Upgrading and uninstalling" recipe keeps what DROP EXTENSION
# deletes. The two shell blocks marked <!-- shell-recipe: keep-history --> and
# <!-- shell-recipe: restore-history --> are taken from the README itself (so
# the docs and this test cannot drift) and run as written, with the
# database's name for "mydb": after the first the dbcare schema is gone and
# the application's tables are not; after the second the settings, migration
# status and history, health snapshots and declared relations are what they
# were, and new history events continue after the old ones.
set -eu
db=dbcare_uninstall
. "$(dirname "$0")/lib/pg.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)

# the fenced sh block after the marker, with $db for mydb
recipe() {
  awk -v kind="$1" '
    index($0, "<!-- shell-recipe: " kind " -->") { want = 1; next }
    want && /^```sh/ { want = 0; inblock = 1; next }
    inblock && /^```/ { exit }
    inblock { print }
  ' "$root/README.md" | sed "s/\bmydb\b/$db/g"
}
recipe keep-history > "$work/keep.sh"
recipe restore-history > "$work/restore.sh"
grep -q pg_dump "$work/keep.sh" && grep -q 'DROP EXTENSION' "$work/keep.sh" || fail "keep recipe: $(cat "$work/keep.sh")"
grep -q pg_restore "$work/restore.sh" || fail "restore recipe: $(cat "$work/restore.sh")"

fresh_db
q -c "SELECT dbcare_set('health.fragmentation.warn', '30')" \
  -c "SELECT dbmigrate_add('1', 'customers', 'CREATE TABLE customers (id int PRIMARY KEY)', 'DROP TABLE customers')" \
  -c "SELECT dbmigrate_add('2', 'orders', 'CREATE TABLE orders (id int PRIMARY KEY, customer_id int)', 'DROP TABLE orders')" \
  -c "SELECT dbmigrate_add('3', 'note', 'ALTER TABLE orders ADD COLUMN note text', 'ALTER TABLE orders DROP COLUMN note')" \
  -c "SELECT dbmigrate_add_repeatable('totals', 'CREATE OR REPLACE VIEW order_count AS SELECT count(*) AS n FROM orders')" \
  -c "SELECT dbmigrate_apply()" -c "SELECT dbmigrate_rollback('2')" \
  -c "SELECT dbcheck_add_relation('orders_customer', 'orders', 'customer_id', 'customers', 'id')" \
  -c "INSERT INTO customers VALUES (1)" -c "INSERT INTO orders VALUES (1, 1), (2, 7)" \
  -c "SELECT dbhealth_snapshot()" > /dev/null
state() {
  q -c "SELECT key, value FROM dbcare.config ORDER BY key" \
    -c "SELECT version, name, kind, state, checksum, applied_at, duration_ms FROM dbmigrate_status()" \
    -c "SELECT * FROM dbmigrate_history() ORDER BY id" \
    -c "SELECT * FROM dbcare.health_snapshots ORDER BY id" \
    -c "SELECT * FROM dbcare.relations ORDER BY name" \
    -c "SELECT relation, orphans FROM dbcheck_orphans()"
}
state > "$work/before"
[ "$(grep -c '|up|\||down|' "$work/before")" = 5 ] || fail "expected 5 history events: $(cat "$work/before")"

(cd "$work" && PATH="$B:$PATH" bash -eu keep.sh) > "$work/keep.out" 2>&1 || fail "keep recipe: $(cat "$work/keep.out")"
[ "$(q -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'dbcare'")" = 0 ] || fail "the dbcare schema survived DROP EXTENSION"
[ "$(q -c "SELECT count(*) FROM orders")" = 2 ] || fail "DROP EXTENSION touched the application's tables"

(cd "$work" && PATH="$B:$PATH" bash -eu restore.sh) > "$work/restore.out" 2>&1 || fail "restore recipe: $(cat "$work/restore.out")"
state > "$work/after"
diff -u "$work/before" "$work/after" || fail "the restored bookkeeping differs (above: - before, + after)"
[ "$(q -c "SELECT dbmigrate_apply()")" = 1 ] || fail "apply after the restore"
[ "$(q -c "SELECT max(id) FROM dbmigrate_history()")" = 6 ] || fail "history ids restarted after the restore"
echo "DROP EXTENSION after the README's pg_dump recipe: everything restored"
