#!/usr/bin/env bash
# dbmigrate_generate on PostgreSQL where the desired file writes a new
# column among the kept ones (graphile-worker's 000011): ADD COLUMN
# appends, so the plan makes the table again in the desired order, last,
# as one step marked as rewriting under an ACCESS EXCLUSIVE lock. Applied
# on a table with rows, identity and serial columns, a key from another
# table, a view, a function returning its rows, a trigger and row security:
# the columns stand in the desired order, every row, key value and
# sequence position is kept, and what stood on the table works; the
# reverses bring the live order back. A table with grants, or a function
# of its row type with grants (which the model does not carry), and
# reorder_columns off keep appending, saying so.
set -eu
db=dbcare_generate_column_order
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
live="CREATE TABLE jobs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL CHECK (length(name) < 100), n serial, at timestamptz);
CREATE INDEX jobs_name ON jobs (name);
CREATE TABLE runs (id int PRIMARY KEY, job_id bigint REFERENCES jobs (id) ON DELETE CASCADE);
CREATE VIEW named_jobs AS SELECT id, name FROM jobs;
CREATE FUNCTION pending() RETURNS SETOF jobs LANGUAGE sql AS 'SELECT * FROM jobs';
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS \$\$BEGIN new.at = now(); RETURN new; END\$\$;
CREATE TRIGGER jobs_touch BEFORE UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION touch();
ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;"
queue="queue text DEFAULT 'main' NOT NULL, name text NOT NULL"
desired=${live/name text NOT NULL/"$queue"}
order() { q -c "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'jobs'::regclass AND attnum > 0 AND NOT attisdropped"; }
fp() { q -c "SELECT dbschema_fingerprint()"; }

fresh_db
q -c "SET client_min_messages = warning" -c "$desired" >/dev/null
want=$(fp)
fresh_db
q -c "SET client_min_messages = warning" -c "$live" >/dev/null
q -c "INSERT INTO jobs (name) VALUES ('a'), ('b'), ('c'); INSERT INTO runs VALUES (1, 2)"
was=$(fp)
# the plan: one step puts the column in place, saying what it costs
q -v "desired=$desired" > "$work/plan.txt" <<'SQL'
SELECT step || '|' || coalesce(hazard, '') FROM dbmigrate_generate(:'desired') ORDER BY step
SQL
grep -q "rewrites table jobs under an ACCESS EXCLUSIVE lock to put column queue before name" "$work/plan.txt" ||
  fail "no step puts queue before name, saying it rewrites the table: $(cat "$work/plan.txt")"
! grep -q "ADD COLUMN appends" "$work/plan.txt" || fail "the plan still appends queue: $(cat "$work/plan.txt")"
# the ups and the reverses (newest first) as scripts, made before either runs
q -v "desired=$desired" > "$work/up.sql" <<'SQL'
SELECT string_agg(statement, E';\n' ORDER BY step) || ';' FROM dbmigrate_generate(:'desired')
SQL
q -v "desired=$desired" > "$work/down.sql" <<'SQL'
SELECT string_agg(reverse, E';\n' ORDER BY step DESC) || ';' FROM dbmigrate_generate(:'desired')
SQL
q -1 -f "$work/up.sql" >/dev/null
[ "$(order)" = "id,queue,name,n,at" ] || fail "columns after the up: $(order)"
[ "$(fp)" = "$want" ] || fail "the up does not reach the desired schema"
[ "$(q -c "SELECT string_agg(id || ':' || name || ':' || queue || ':' || n, ',' ORDER BY id) FROM jobs")" = "1:a:main:1,2:b:main:2,3:c:main:3" ] ||
  fail "the rows changed: $(q -c "SELECT * FROM jobs")"
[ "$(q -c "INSERT INTO jobs (name) VALUES ('d') RETURNING id || ':' || n")" = "4:4" ] ||
  fail "the identity or serial sequence did not go on where it stood"
q -c "DELETE FROM jobs WHERE id = 2"
[ "$(q -c "SELECT count(*) FROM runs")" = 0 ] || fail "the key from runs was not made again (ON DELETE CASCADE)"
[ "$(q -c "SELECT count(*) FROM pending()") $(q -c "SELECT count(*) FROM named_jobs")" = "3 3" ] ||
  fail "the function or the view on the table does not read it"
q -c "UPDATE jobs SET name = 'e' WHERE id = 1"
[ "$(q -c "SELECT at IS NOT NULL FROM jobs WHERE id = 1")" = t ] || fail "the trigger was not made again"
echo "up: the column stands where the file writes it, rows, keys, sequences and dependents kept"
q -1 -f "$work/down.sql" >/dev/null
[ "$(order)" = "id,name,n,at" ] || fail "columns after the down: $(order)"
[ "$(fp)" = "$was" ] || fail "the down does not reach the live schema"
[ "$(q -c "SELECT string_agg(id || ':' || name || ':' || n, ',' ORDER BY id) FROM jobs")" = "1:e:1,3:c:3,4:d:4" ] ||
  fail "the down changed the rows: $(q -c "SELECT * FROM jobs")"
echo "down: the live order back, rows kept"
# hazard OPTIONS: the hazard of the step adding queue
hazard() {
  q -v "desired=$desired" -v "opts=$1" <<'SQL'
SELECT string_agg(coalesce(hazard, ''), ' / ') FROM dbmigrate_generate(:'desired', :'opts')
SQL
}
h=$(hazard '{"reorder_columns": false}')
case $h in *"adds column jobs.queue after the table's other columns"*"reorder_columns is off"*) ;;
*) fail "reorder_columns off: $h" ;; esac
case $h in *"rewrites table"*) fail "reorder_columns off still rewrites: $h" ;; esac
# grants, which the schema model does not read, would be lost: appended
q -c "GRANT SELECT ON jobs TO PUBLIC"
h=$(hazard '{}')
case $h in *"it would lose its grants; write that step by hand"*) ;; *) fail "with grants: $h" ;; esac
case $h in *"rewrites table"*) fail "a table with grants is made again: $h" ;; esac
# a function of its row type with its own grants would lose them too
fresh_db
q -c "SET client_min_messages = warning" -c "$live" -c "REVOKE EXECUTE ON FUNCTION pending() FROM PUBLIC" >/dev/null
h=$(hazard '{}')
case $h in *"it would lose a function of its row type with grants or comments"*) ;; *) fail "with a function's grants: $h" ;; esac
echo "grants (the table's, a function's) or reorder_columns off: appended, the hazard says why"
# the command: the migration makes the table again, or with
# --append-columns appends
fresh_db
q -c "SET client_min_messages = warning" -c "$live" >/dev/null
printf '%s\n' "$desired" > "$work/schema.sql"
"$cli" --db "dbname=$db" generate --to "$work/schema.sql" queue --dir "$work/placed" > "$work/cli.out" 2>&1 ||
  fail "dbcare generate: $(cat "$work/cli.out")"
grep -rqs "RENAME TO jobs_dbcare_reorder" "$work/placed" || fail "the command's migration does not place queue"
"$cli" --db "dbname=$db" generate --to "$work/schema.sql" queue --dir "$work/appended" --append-columns > "$work/cli.out" 2>&1 ||
  fail "dbcare generate --append-columns: $(cat "$work/cli.out")"
grep -rqs "ADD COLUMN queue" "$work/appended" || fail "--append-columns wrote no migration adding queue"
! grep -rqs "dbcare_reorder" "$work/appended" || fail "--append-columns still makes the table again"
echo "the command: placed by default, appended with --append-columns"
echo ok
