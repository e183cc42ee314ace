#!/usr/bin/env bash
# The per-connection schema cache of the SQLite module: one long-lived
# connection (A, a sqlite3 process fed through a FIFO) must see every schema
# change - DDL committed by another process, DDL rolled back and replaced by
# other DDL with the same schema_version, a writable_schema edit - and must
# ignore what is not in the snapshot (temp objects, attached databases),
# always agreeing with a fresh connection. PRAGMA foreign_keys is per
# connection and must be seen at once although the schema did not change.
set -euo pipefail
module=${DBCARE_SQLITE_MODULE:?}
work=$(mktemp -d)
pid=
cleanup() {
  exec 3>&- 2>/dev/null || true
  [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
db="$work/cache.db"
fresh() { sqlite3 -batch -cmd ".load $module" "$db" "$@"; }
expect() { # description got want
  if [ "$2" != "$3" ]; then echo "FAIL: $1: got '$2', want '$3'"; exit 1; fi
  echo "ok: $1"
}

fresh "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
       CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id));"

mkfifo "$work/in"
stdbuf -oL sqlite3 -batch -cmd ".load $module" "$db" < "$work/in" > "$work/out" 2>&1 &
pid=$!
exec 3> "$work/in"
lines=0
# Sends SQL that prints exactly one line to connection A; $got is that line.
ask() {
  echo "$1" >&3
  lines=$((lines + 1))
  for _ in $(seq 1 400); do
    [ "$(wc -l < "$work/out")" -ge "$lines" ] && break
    sleep 0.05
  done
  got=$(sed -n "${lines}p" "$work/out")
}
FP="SELECT dbschema_fingerprint();"

ask "$FP"; fp0=$got
expect "A agrees with a fresh connection" "$fp0" "$(fresh "$FP")"
ask "$FP"; expect "an unchanged schema gives the same fingerprint (cached)" "$got" "$fp0"

fresh "CREATE INDEX child_parent ON child (parent_id);"
ask "$FP"; fp1=$got
expect "DDL in another process is seen" "$fp1" "$(fresh "$FP")"
[ "$fp1" != "$fp0" ] || { echo "FAIL: fingerprint did not change after DDL"; exit 1; }

ask "SELECT j.value->>'status' FROM json_each(dbhealth_report('quick'), '\$.checks') j
     WHERE j.value->>'name' = 'unindexed_foreign_keys';"
expect "the health report uses the new model" "$got" ok

# Same schema_version, different DDL: cached inside the transaction, rolled
# back, then other DDL brings the version number back to the cached one.
ask "BEGIN; CREATE TABLE gone (x INTEGER PRIMARY KEY); $FP"; fp_gone=$got
ask "ROLLBACK; CREATE TABLE kept (y TEXT PRIMARY KEY); $FP"; fp_kept=$got
expect "DDL after a rollback is seen" "$fp_kept" "$(fresh "$FP")"
[ "$fp_kept" != "$fp_gone" ] || { echo "FAIL: rolled-back schema served from cache"; exit 1; }

# writable_schema edits do not bump schema_version at all.
ask "PRAGMA writable_schema = ON;
     UPDATE sqlite_schema SET sql = 'CREATE TABLE kept (y TEXT PRIMARY KEY, z INT)' WHERE name = 'kept';
     PRAGMA writable_schema = RESET; $FP"
expect "a writable_schema edit is seen" "$got" "$(fresh "$FP")"
fp2=$got

ask "CREATE TEMP TABLE scratch (a INT); $FP"
expect "temp objects are not in the fingerprint" "$got" "$fp2"
ask "ATTACH '$work/other.db' AS aux; CREATE TABLE aux.t (a INT); $FP"
expect "attached databases are not in the fingerprint" "$got" "$fp2"

# foreign_keys is per connection: the cached model must follow it.
ask "PRAGMA foreign_keys = ON; SELECT j.value->>'status' FROM json_each(dbhealth_report('quick'), '\$.checks') j
     WHERE j.value->>'name' = 'foreign_keys_enforced';"
expect "foreign_keys on is seen" "$got" ok
ask "PRAGMA foreign_keys = OFF; SELECT j.value->>'status' FROM json_each(dbhealth_report('quick'), '\$.checks') j
     WHERE j.value->>'name' = 'foreign_keys_enforced';"
expect "foreign_keys off is seen with the schema unchanged" "$got" warning

ask "SELECT dbschema_snapshot() = (SELECT dbschema_snapshot());"
expect "the cached snapshot text is stable" "$got" 1
ask "SELECT length(dbschema_snapshot()) > 0 AND sqlite_version() IS NOT NULL;"
expect "snapshot after cached fingerprint" "$got" 1
ask "$FP"
expect "the final fingerprint agrees with a fresh connection" "$got" "$(fresh "$FP")"
