#!/usr/bin/env bash
# pg_dump / pg_restore keep the migration registry and history: a migrated
# database restored into a new one has the same status and history, nothing
# pending, no drift.
set -eu
B="${PG_BIN:?}"
src=dbcare_migrate_dump_src
dst=dbcare_migrate_dump_dst
fail() { echo "FAIL: $*"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
q() { local d=$1; shift; "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$d" "$@"; }
for d in $src $dst; do "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" 2>/dev/null; done
"$B/psql" -X -q -d postgres -c "CREATE DATABASE $src" -c "CREATE DATABASE $dst"

q $src -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare"
q $src -c "SELECT dbmigrate_add('1', 'create items', 'CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label text NOT NULL)', 'DROP TABLE items')" \
       -c "SELECT dbmigrate_add('2', 'add price', 'ALTER TABLE items ADD COLUMN price numeric(10,2)', 'ALTER TABLE items DROP COLUMN price')" \
       -c "SELECT dbmigrate_add('3', 'seed', 'INSERT INTO items (label, price) VALUES (''pen'', 1.50)', 'DELETE FROM items')" \
       -c "SELECT dbmigrate_add_repeatable('priced items', 'CREATE OR REPLACE VIEW priced_items AS SELECT label FROM items WHERE price IS NOT NULL')" \
       -c "SELECT dbmigrate_apply()" -c "SELECT dbmigrate_rollback('2')" -c "SELECT dbmigrate_apply()" > /dev/null
status="SELECT version, name, kind, state, checksum, applied_at, duration_ms FROM dbmigrate_status()"
history="SELECT * FROM dbmigrate_history()"
q $src -c "$status" > "$work/src_status"
q $src -c "$history" > "$work/src_history"

"$B/pg_dump" -Fc -d $src -f "$work/dump"
"$B/pg_restore" -d $dst "$work/dump" 2> "$work/restore.err" || { cat "$work/restore.err"; fail "pg_restore"; }
q $dst -c "$status" > "$work/dst_status"
q $dst -c "$history" > "$work/dst_history"
diff "$work/src_status" "$work/dst_status" || fail "status differs after restore"
diff "$work/src_history" "$work/dst_history" || fail "history differs after restore"
[ "$(wc -l < "$work/dst_history")" = 6 ] || fail "expected 6 history events"
[ "$(q $dst -c "SELECT count(*) FROM dbmigrate_validate()")" = 0 ] || fail "validate after restore: $(q $dst -c 'SELECT * FROM dbmigrate_validate()')"
[ "$(q $dst -c "SELECT dbmigrate_apply()")" = 0 ] || fail "restored database had pending migrations"
# The history id sequence came along: new events continue after the old ones.
q $dst -c "SELECT dbmigrate_add('4', 'more', 'ALTER TABLE items ADD COLUMN note text')" -c "SELECT dbmigrate_apply()" > /dev/null
[ "$(q $dst -c "SELECT max(id) FROM dbmigrate_history()")" = 7 ] || fail "history ids restarted"
echo "pg_dump/pg_restore: same status and history, nothing pending, no drift"
for d in $src $dst; do "$B/psql" -X -q -d postgres -c "DROP DATABASE $d"; done
