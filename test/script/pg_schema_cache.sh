#!/usr/bin/env bash
# The per-backend schema cache is never stale: one long-lived session asks for
# the fingerprint, the report's fingerprint and the snapshot after every kind
# of DDL (its own, another session's, rolled back, rolled back to a savepoint,
# CREATE INDEX CONCURRENTLY flipping pg_index flags in place, settings that
# change the deparsed text) and must get what a fresh session gets, and a
# new value whenever the schema changed. The same holds for the health
# checks whose catalog rows are kept with the model. Each answer must also
# equal the slow path's: a session with dbcare.schema_cache off, which reads
# the catalog on every call (and the setting must really turn the cache off).
set -eu
db=dbcare_schema_cache
. "$(dirname "$0")/lib/pg.sh"
fresh_db

long_lived_session

FP="SELECT dbschema_fingerprint();"
RFP="SELECT dbhealth_report('quick')->'metrics'->>'schema_fingerprint';"
SNAP="SELECT md5(dbschema_snapshot()::text);"
CHK="SELECT string_agg(table_name || '.' || constraint_name, ',' ORDER BY 1) FROM dbcheck_constraints();"
# the checks answered from rows kept with the cached model
CATQ="SELECT string_agg(name || ': ' || status || ': ' || message, ' | ' ORDER BY name) FROM dbhealth_checks('standard') WHERE name IN ('foreign_keys_enforced', 'unindexed_foreign_keys', 'duplicate_indexes', 'invalid_indexes', 'not_valid_constraints', 'disabled_triggers');"

prev=
# check LABEL [changed|same]: the session's answers equal a fresh session's,
# and the fingerprint changed (or not) since the last check.
check() {
  local label=$1 expect=${2:-changed} mine fresh slow
  mine=$(s "$FP" "$RFP" "$SNAP" "$CHK" "$CATQ")
  fresh=$(q -c "$FP" -c "$RFP" -c "$SNAP" -c "$CHK" -c "$CATQ")
  [ "$mine" = "$fresh" ] || fail "$label: the long-lived session answers
$mine
but a fresh session answers
$fresh"
  # the slow path, called twice: the second call is where a cache would answer
  slow=$(q -c "SET dbcare.schema_cache = off" -c "$FP" -c "$FP" -c "$RFP" -c "$SNAP" -c "$CHK" -c "$CATQ" | sed 1d)
  [ "$mine" = "$slow" ] || fail "$label: the long-lived session answers
$mine
but a session with dbcare.schema_cache off answers
$slow"
  local fp=${mine%%$'\n'*}
  [ "$(echo "$mine" | sed -n 2p)" = "$fp" ] || fail "$label: the report's fingerprint differs from dbschema_fingerprint()"
  if [ -n "$prev" ]; then
    if [ "$expect" = changed ]; then
      [ "$fp" != "$prev" ] || fail "$label: the fingerprint did not change"
    else
      [ "$fp" = "$prev" ] || fail "$label: the fingerprint changed"
    fi
  fi
  prev=$fp
  echo "ok: $label"
}

s "CREATE TABLE t (id int PRIMARY KEY, a int);" > /dev/null
check "a table"
check "nothing changed (cached)" same

# The setting: a repeated fingerprint in one transaction scans none of the
# catalogs the reader reads (and this statistics query does not) with the
# cache on, and scans them again with it off.
SCANS="SELECT sum(seq_scan + idx_scan) FROM pg_stat_xact_sys_tables WHERE relname IN ('pg_attribute', 'pg_type', 'pg_depend');"
scans_of_repeat() { # SETTING: catalog index scans of the second of two fingerprints
  local out
  out=$(q -c "SET dbcare.schema_cache = $1" -c "BEGIN" -c "$FP" -c "$SCANS" -c "$FP" -c "$SCANS" -c "COMMIT")
  echo $(( $(echo "$out" | sed -n 4p) - $(echo "$out" | sed -n 2p) ))
}
[ "$(q -c "SELECT dbschema_fingerprint() IS NOT NULL" -c "SELECT setting FROM pg_settings WHERE name = 'dbcare.schema_cache'" | sed -n 2p)" = on ] ||
  fail "the setting dbcare.schema_cache is not defined (or not on by default)"
on=$(scans_of_repeat on)
off=$(scans_of_repeat off)
[ "$on" = 0 ] || fail "with dbcare.schema_cache on, a repeated fingerprint scanned the catalogs $on times"
[ "$off" -gt 0 ] || fail "with dbcare.schema_cache off, a repeated fingerprint did not read the catalogs (the cache answered)"
echo "ok: dbcare.schema_cache off reads the catalog on every call ($off index scans; on: $on)"
s "ALTER TABLE t ADD COLUMN b text;" > /dev/null
check "ADD COLUMN, same session"
s "ALTER TABLE t ALTER COLUMN b SET DEFAULT 'x';" > /dev/null
check "SET DEFAULT"
q -c "ALTER TABLE t ALTER COLUMN b SET DEFAULT 'y'"
check "another default, other session"
q -c "ALTER TABLE t ALTER COLUMN b SET NOT NULL"
check "SET NOT NULL, other session"
q -c "CREATE INDEX t_a ON t (a)"
check "CREATE INDEX, other session"
s "CREATE INDEX t_a_again ON t (a);" > /dev/null
check "a duplicate index"
case $(s "$CATQ") in *"duplicate_indexes: warning"*t_a_again*) ;; *) fail "the duplicate index is not reported: $(s "$CATQ")" ;; esac
q -c "DROP INDEX t_a_again"
check "the duplicate dropped, other session"
s "DROP INDEX t_a;" > /dev/null
check "DROP INDEX"
s "ALTER TABLE t ADD CONSTRAINT a_pos CHECK (a > 0);" > /dev/null
check "ADD CONSTRAINT"
q -c "ALTER TABLE t ADD CONSTRAINT a_small CHECK (a < 1000) NOT VALID"
check "a NOT VALID constraint, other session"
case $(s "$CATQ") in *"not_valid_constraints: warning"*a_small*) ;; *) fail "the NOT VALID constraint is not reported: $(s "$CATQ")" ;; esac
q -c "ALTER TABLE t VALIDATE CONSTRAINT a_small"
check "VALIDATE CONSTRAINT, other session"
q -c "CREATE TABLE p (id int PRIMARY KEY)" -c "ALTER TABLE t ADD COLUMN p int REFERENCES p"
check "foreign key, other session"
case $(s "$CATQ") in *"unindexed_foreign_keys: warning"*) ;; *) fail "the unindexed foreign key is not reported: $(s "$CATQ")" ;; esac
# Rolled back: inside the transaction the session sees its own DDL; after
# ROLLBACK the model of before is right again.
before=$prev
inside=$(s "BEGIN;" "ALTER TABLE t ADD COLUMN z int;" "$FP")
[ "$inside" != "$before" ] || fail "the session's own uncommitted ADD COLUMN is not in its fingerprint"
s "ROLLBACK;" > /dev/null
check "rolled-back ADD COLUMN" same
s "BEGIN;" "ALTER TABLE t ALTER COLUMN a SET DEFAULT 7;" "$FP" "SAVEPOINT sp;" "ALTER TABLE t DROP COLUMN a;" "$FP" "ROLLBACK TO sp;" > /dev/null
mid=$(s "$FP")
s "COMMIT;" > /dev/null
check "DDL kept, DDL rolled back to a savepoint"
[ "$mid" = "$prev" ] || fail "after ROLLBACK TO SAVEPOINT the fingerprint is not the committed one"
q -c "BEGIN" -c "ALTER TABLE t ADD COLUMN w int" -c "ROLLBACK"
check "other session's rolled-back DDL" same

s "CREATE VIEW v AS SELECT id FROM t;" > /dev/null
check "CREATE VIEW"
q -c "CREATE OR REPLACE VIEW v AS SELECT id, a FROM t"
check "CREATE OR REPLACE VIEW, other session"
s "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';" > /dev/null
check "CREATE FUNCTION"
q -c "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 2'"
check "CREATE OR REPLACE FUNCTION, other session"
q -c "CREATE SEQUENCE sq" -c "ALTER TABLE t ADD COLUMN n int DEFAULT nextval('sq')"
check "sequence"
q -c "ALTER SEQUENCE sq OWNED BY t.n"
check "ALTER SEQUENCE OWNED BY (pg_depend only)"
# extension membership lives in pg_depend alone
q -c "ALTER EXTENSION dbcare DROP FUNCTION dbcare_version()"
check "ALTER EXTENSION DROP FUNCTION (pg_depend only)"
q -c "ALTER EXTENSION dbcare ADD FUNCTION dbcare_version()"
check "ALTER EXTENSION ADD FUNCTION"
q -c "CREATE TYPE mood AS ENUM ('sad', 'ok')"
check "CREATE TYPE"
q -c "ALTER TYPE mood ADD VALUE 'happy'"
check "ALTER TYPE ADD VALUE"
q -c "CREATE TRIGGER tg BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()"
check "CREATE TRIGGER"
q -c "ALTER TABLE t RENAME COLUMN b TO bb"
check "RENAME COLUMN"

# After VACUUM most catalog pages are all-visible and enter the key by their
# LSN instead of row by row: the same DDL must still show.
q -c "VACUUM"
check "VACUUM (all-visible pages)" same
q -c "ALTER EXTENSION dbcare DROP FUNCTION dbcare_version()"
check "ALTER EXTENSION DROP FUNCTION on all-visible pages"
q -c "VACUUM" -c "ALTER EXTENSION dbcare ADD FUNCTION dbcare_version()"
check "ALTER EXTENSION ADD FUNCTION on all-visible pages"
q -c "VACUUM" -c "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 3'"
check "CREATE OR REPLACE FUNCTION on all-visible pages"
q -c "VACUUM"
s "ALTER TABLE t ALTER COLUMN bb SET DEFAULT 'z';" > /dev/null
check "SET DEFAULT on all-visible pages"
q -c "VACUUM" -c "ALTER TABLE t ALTER COLUMN bb DROP NOT NULL"
check "DROP NOT NULL on all-visible pages"
# DDL followed by VACUUM leaves the changed pages all-visible again, under a
# new page LSN.
q -c "VACUUM"
check "VACUUM again (all-visible pages)" same
q -c "ALTER TABLE t ALTER COLUMN bb SET DEFAULT 'w'" -c "VACUUM"
check "SET DEFAULT, then VACUUM (all-visible again)"
# pg_class too, whose rows VACUUM and ANALYZE also change in place
q -c "ALTER TABLE t SET (fillfactor = 70)" -c "VACUUM"
check "a storage option (pg_class alone), then VACUUM"
q -c "ANALYZE t" -c "VACUUM t"
check "ANALYZE and VACUUM of the table (pg_class in place)" same

# Settings that change the deparsed text are part of the key: a date default
# is written in the session's DateStyle.
q -c "ALTER TABLE t ADD COLUMN d date DEFAULT '2020-01-02'"
check "a date default"
mine=$(s "SET DateStyle = 'SQL, DMY';" "$FP")
fresh=$(PGOPTIONS="-c DateStyle=SQL,DMY" q -c "$FP")
[ "$mine" = "$fresh" ] || fail "DateStyle: session $mine, fresh session $fresh"
[ "$mine" != "$prev" ] || fail "DateStyle does not change the deparsed default (test premise)"
s "RESET DateStyle;" > /dev/null
check "DateStyle reset" same
# Whether a foreign key is enforced now is not in the fingerprint but decides
# whether a standard report trusts it or scans it: disabled RI triggers and
# session_replication_role = replica both make it scan and find the orphan
# let in meanwhile.
FKV="SELECT value FROM dbhealth_checks('standard') WHERE name = 'foreign_key_violations';"
[ "$(s "$FKV")" = 0 ] || fail "foreign_key_violations before the orphan: $(s "$FKV")"
before=$(s "$CATQ")
q -c "ALTER TABLE t DISABLE TRIGGER ALL" -c "INSERT INTO t (id, a, bb, p) VALUES (1, 1, 'x', 999)"
[ "$(s "$FKV")" = 1 ] || fail "foreign_key_violations with the RI triggers disabled: $(s "$FKV") (fresh session: $(q -c "$FKV"))"
mine=$(s "$CATQ")
[ "$mine" = "$(q -c "$CATQ")" ] || fail "with the triggers disabled the session's checks say
$mine
but a fresh session's
$(q -c "$CATQ")"
case $mine in *"disabled_triggers: warning"*"foreign_keys_enforced: warning"*) ;; *) fail "disabled triggers not reported: $mine" ;; esac
q -c "ALTER TABLE t ENABLE TRIGGER ALL"
[ "$(s "$FKV")" = "$(q -c "$FKV")" ] || fail "foreign_key_violations after ENABLE TRIGGER: session $(s "$FKV"), fresh $(q -c "$FKV")"
[ "$(s "$CATQ")" = "$before" ] || fail "after ENABLE TRIGGER the session's checks say $(s "$CATQ"), before they said $before"
mine=$(s "SET session_replication_role = replica;" "$FKV")
fresh=$(PGOPTIONS="-c session_replication_role=replica" q -c "$FKV")
[ "$mine" = 1 ] && [ "$fresh" = 1 ] || fail "foreign_key_violations in replica mode: session $mine, fresh session $fresh"
s "RESET session_replication_role;" > /dev/null
q -c "DELETE FROM t"
check "enforcement followed triggers and session_replication_role" same

# CREATE INDEX CONCURRENTLY sets indisready and indisvalid in place (no new
# row version). A writer holds it after its first phase, the index committed
# but not valid; the session caches that; then the build finishes.
mkfifo "$work/hold"
"$B/psql" -X -q -At -d "$db" < "$work/hold" > "$work/hold.out" 2>&1 &
pids+=($!)
exec 4> "$work/hold"
echo "BEGIN; LOCK TABLE t IN ROW EXCLUSIVE MODE; SELECT 'held';" >&4
for _ in $(seq 1 100); do grep -q held "$work/hold.out" && break; sleep 0.05; done
q -c "CREATE INDEX CONCURRENTLY t_cic ON t (a)" > "$work/cic.out" 2>&1 &
cic=$!
pids+=($cic)
for _ in $(seq 1 200); do
  [ "$(q -c "SELECT count(*) FROM pg_index WHERE indexrelid = 't_cic'::regclass" 2>/dev/null)" = 1 ] && break
  sleep 0.05
done
[ "$(q -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_cic'::regclass")" = f ] ||
  fail "CREATE INDEX CONCURRENTLY did not stop before its index was valid"
check "CREATE INDEX CONCURRENTLY, first phase (index not valid)"
case $(s "$CATQ") in *"invalid_indexes: warning"*t_cic*) ;; *) fail "the index not yet valid is not reported: $(s "$CATQ")" ;; esac
echo "COMMIT;" >&4
exec 4>&-
wait "$cic" || fail "CREATE INDEX CONCURRENTLY failed: $(cat "$work/cic.out")"
[ "$(q -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_cic'::regclass")" = t ] || fail "t_cic is not valid"
check "CREATE INDEX CONCURRENTLY finished (indisvalid set in place)"

# Installing amcheck, in another session, turns the integrity check on: the
# extension lookup is kept with the model too.
INT="SELECT status FROM dbhealth_checks('standard') WHERE name = 'integrity';"
[ "$(s "$INT")" = skipped ] || fail "integrity without amcheck: $(s "$INT")"
q -c "CREATE EXTENSION amcheck"
[ "$(s "$INT")" = ok ] || fail "integrity after CREATE EXTENSION amcheck in another session: $(s "$INT") (fresh session: $(q -c "$INT"))"
q -c "DROP EXTENSION amcheck"
[ "$(s "$INT")" = skipped ] || fail "integrity after DROP EXTENSION amcheck: $(s "$INT")"
echo "ok: amcheck installed and dropped by another session"

s "DROP TABLE t CASCADE;" > /dev/null
check "DROP TABLE"
echo "all answers of the long-lived session matched a fresh session's"
