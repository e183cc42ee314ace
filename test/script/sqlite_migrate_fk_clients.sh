#!/usr/bin/env bash
# One table rebuild migration keeps an ON DELETE CASCADE child's rows on
# every client, whatever its PRAGMA foreign_keys says (docs/migrations.md,
# "Foreign keys"): SQLite's own recipe (new table, copy, DROP TABLE, RENAME)
# run by dbmigrate_apply / dbmigrate_rollback with enforcement off for the
# run, every key checked before the commit, the caller's setting back after;
# inside a transaction with foreign keys on (where the pragma cannot change)
# the DROP TABLE is refused, naming the children, before it deletes a row.
#  1. Python's sqlite3 (Debian's python3), foreign keys on and off, in and
#     out of a transaction, a lossy rebuild, an interrupted run
#     (test/clients/fk_rebuild.py).
#  2. Node's better-sqlite3, which turns foreign keys on by default
#     (test/clients/fk_rebuild.js; installed as sqlite_clients.sh installs it).
#  3. The sqlite3 shell with foreign keys on and off (dbmigrate_apply, and the
#     script of dbmigrate_script(), refused with them on), and the dbcare command;
#     dbmigrate_lint names the children (drop-table-children), and calls the
#     rebuilt table's data copied, not lost (no drop-table-data).
# Before the fix every child row was deleted under 1 and 2 (foreign keys on).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"

"$py" "$root/test/clients/fk_rebuild.py" "$module" || fail "the Python client"

NODE_PATH=$("$root/test/harness/build_step.sh" sqlite-clients "$root/test/harness/sqlite_clients_install.sh") ||
  fail "npm install better-sqlite3 failed"
NODE_PATH="$NODE_PATH" node "$root/test/clients/fk_rebuild.js" "$module" || fail "the Node client"

rebuild="CREATE TABLE p_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
INSERT INTO p_new SELECT id, coalesce(name, '') FROM p;
DROP TABLE p;
ALTER TABLE p_new RENAME TO p;"
fresh() {
  db="$work/$1.db"
  rm -f "$db"
  q "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT);
     CREATE TABLE ch (id INTEGER PRIMARY KEY, p_id INTEGER NOT NULL REFERENCES p (id) ON DELETE CASCADE);
     INSERT INTO p VALUES (1, 'a'), (2, 'b'); INSERT INTO ch VALUES (10, 1), (11, 2);" >/dev/null
  [ "${2:-}" = bare ] || q "SELECT dbmigrate_add('1', 'rebuild p', '$(printf '%s' "$rebuild" | sed "s/'/''/g")');" >/dev/null
}
children() { [ "$(q "SELECT count(*) FROM ch")" = 2 ] || fail "$1: ch has $(q "SELECT count(*) FROM ch") rows"; }

# the shell, foreign keys on: the setting is back after the call
fresh on
# the lint names the hazard (the children), not a loss of the copied table
lint=$(q "SELECT rule || ': ' || message FROM dbmigrate_lint();")
case "$lint" in "drop-table-children: DROP TABLE p (about 2 rows): while foreign keys are enforced"*"ch (ON DELETE CASCADE)"*) ;;
  *) fail "the lint of the rebuild: $lint" ;; esac
case "$lint" in *drop-table-data*) fail "the lint calls the copied table's data lost: $lint" ;; esac
got=$(q -cmd "PRAGMA foreign_keys = ON" "SELECT dbmigrate_apply(); PRAGMA foreign_keys;" | tr '\n' ' ')
[ "$got" = "1 1 " ] || fail "shell, foreign keys on: $got"
children "shell, foreign keys on"
# the shell's default (off)
fresh off
[ "$(q "SELECT dbmigrate_apply(); PRAGMA foreign_keys;" | tr '\n' ' ')" = "1 0 " ] || fail "shell, off"
children "shell, foreign keys off"
# on, inside the shell's own transaction: refused, nothing deleted
fresh txn
out=$(q -cmd "PRAGMA foreign_keys = ON" "BEGIN; SELECT dbmigrate_apply();" 2>&1) && fail "applied in a transaction: $out"
case "$out" in *"dbcare: migration 1 (rebuild p), line 3: DROP TABLE p would delete or change the rows of ch (ON DELETE CASCADE)"*) ;;
  *) fail "the refusal in a transaction: $out" ;; esac
children "shell, refused in a transaction"
[ "$(q "SELECT count(*) FROM dbmigrate_status WHERE state = 'pending'")" = 1 ] || fail "refused yet recorded"

# the script of dbmigrate_script(): with foreign keys on its step refuses
# the drop before the step runs anything; off (the shell's default) it runs
fresh script
q "SELECT dbmigrate_script();" > "$work/migrate.sql"
out=$(q -cmd "PRAGMA foreign_keys = ON" < "$work/migrate.sql" 2>&1) && fail "the script ran with foreign keys on: $out"
case "$out" in *"DROP TABLE p would delete or change the rows of ch (ON DELETE CASCADE)"*"foreign keys off"*) ;;
  *) fail "the script's refusal: $out" ;; esac
children "script, foreign keys on"
q < "$work/migrate.sql" >/dev/null 2>&1 || fail "the script with foreign keys off"
children "script, foreign keys off"
[ "$(q "SELECT state FROM dbmigrate_status")" = applied ] || fail "the script applied nothing"

# dbmigrate_rebuild_script's no-transaction rebuild turns foreign keys off
# itself (before its BEGIN): neither the lint nor the script's step objects
fresh rebuild_script bare
q -cmd "PRAGMA foreign_keys = ON" "SELECT dbmigrate_add('1', 'rebuild', dbmigrate_rebuild_script('p',
  'CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '''')'));" >/dev/null
[ "$(q "SELECT count(*) FROM dbmigrate_lint();")" = 0 ] || fail "lint of the rebuild script: $(q "SELECT * FROM dbmigrate_lint();")"
q "SELECT dbmigrate_script();" > "$work/rebuild.sql"
q -cmd "PRAGMA foreign_keys = ON" < "$work/rebuild.sql" >/dev/null 2>&1 || fail "the rebuild script with foreign keys on"
children "dbmigrate_rebuild_script, foreign keys on"

# the dbcare command (its connection: foreign keys off, in its transaction)
fresh cli
mkdir -p "$work/m"
printf '%s\n' "$rebuild" > "$work/m/V1__rebuild_p.sql"
run 0 migrate --db "sqlite:$db" --dir "$work/m"
children "dbcare migrate"
echo "ok: a rebuild keeps its children with foreign keys on and off, in Python, Node, sqlite3, dbcare"
