#!/usr/bin/env bash
# The report's metrics.size_bytes is pg_database_size(current_database()):
# the same figure with the default tablespace alone and with a table, its
# index and its TOAST data in a second tablespace. Nothing is kept between
# reports: a long-lived session's report equals pg_database_size after every
# kind of change to the files (its own, another session's, a rolled back
# one, truncation, new and dropped tablespaces), including a change made
# where no process watching the database's directories would see it (a
# write through a hard link in another directory).
set -eu
db=dbcare_health_size
. "$(dirname "$0")/lib/pg.sh"
fresh_db

SIZES="SELECT (dbhealth_report('quick')->'metrics'->>'size_bytes')::bigint || ' ' || pg_database_size(current_database());"
size=
same() { # LABEL: the report's size equals pg_database_size; sets $size to it
  local got native
  q -c "SELECT dbhealth_report('quick')" > /dev/null # settles what the report itself writes
  got=$(q -c "$SIZES")
  size=${got% *}
  native=${got#* }
  [ "$size" = "$native" ] || fail "$1: the report says $size bytes, pg_database_size $native"
  echo "ok: $1 ($size bytes)"
}

q -c "CREATE TABLE t (id int PRIMARY KEY, v text)" \
  -c "INSERT INTO t SELECT i, repeat('x', 100) FROM generate_series(1, 20000) i" \
  -c "VACUUM t"
same "default tablespace"
base=$size

# A second tablespace: its directory must belong to the server's user.
mkdir "$work/ts"
chmod 755 "$work"
if [ "$(id -u)" = 0 ]; then chown postgres: "$work/ts"; fi
q -c "CREATE TABLESPACE dbcare_test_ts LOCATION '$work/ts'"
trap 'q -c "DROP TABLE IF EXISTS far" -c "DROP TABLESPACE IF EXISTS dbcare_test_ts" >/dev/null 2>&1 || true; cleanup' EXIT
q -c "CREATE TABLE far (id int PRIMARY KEY USING INDEX TABLESPACE dbcare_test_ts, doc text) TABLESPACE dbcare_test_ts" \
  -c "ALTER TABLE far ALTER COLUMN doc SET STORAGE EXTERNAL" \
  -c "INSERT INTO far SELECT i, repeat(md5(i::text), 200) FROM generate_series(1, 2000) i"
far=$(q -c "SELECT pg_total_relation_size('far')")
[ "$far" -gt 1000000 ] || fail "the test table in the second tablespace is only $far bytes (test premise)"
same "a table, its index and TOAST data in a second tablespace"
[ "$size" -ge $((base + far)) ] || fail "with $far bytes in the second tablespace the size grew only from $base to $size"

q -c "DROP TABLE far"
same "the second tablespace emptied"

# --- a long-lived session's reports ---------------------------------------
long_lived_session
kept() { # LABEL: the session's report equals pg_database_size
  local got
  got=$(s "$SIZES")
  [ "${got% *}" = "${got#* }" ] || fail "$1: the long-lived session's report says ${got% *} bytes, pg_database_size ${got#* }"
  echo "ok: long-lived session: $1"
}
kept "the session's first report"
kept "its second report"
kept "its third report"

# Changes made by hand (as the user the test runs as, who must be able to
# write the data directory: the suite runs as root).
top=$(q -c "SHOW data_directory")
dboid=$(q -c "SELECT oid FROM pg_database WHERE datname = current_database()")
dir="$top/base/$dboid"
writable=
if touch "$dir/dbcare_probe" 2>/dev/null; then writable=1; rm -f "$dir/dbcare_probe"; fi
# hidden_write LABEL: a file of the database written through a hard link in
# another directory (the data directory's top: the same file system) is
# counted by the very next report, and its removal too.
hidden_write() {
  touch "$dir/dbcare_probe"
  ln -f "$dir/dbcare_probe" "$top/dbcare_probe_link"
  kept "a file created in the database's directory ($1)"
  head -c 1048576 /dev/zero >> "$top/dbcare_probe_link"
  kept "a MiB written to it through a hard link in another directory ($1)"
  rm -f "$top/dbcare_probe_link" "$dir/dbcare_probe"
  kept "that file removed ($1)"
}
if [ -n "$writable" ]; then
  hidden_write "the database in one tablespace besides the default"
else
  echo "FAIL: the data directory is not writable by this user: the hand-made changes cannot be tested"
  exit 1
fi

q -c "CREATE TABLE grow (id int, v text)"
kept "a table created by another session"
s "INSERT INTO grow SELECT i, repeat('y', 200) FROM generate_series(1, 5000) i;" >/dev/null
kept "the session's own insert"
q -c "INSERT INTO grow SELECT i, repeat('z', 200) FROM generate_series(1, 5000) i"
kept "another session's insert"
q -c "BEGIN" -c "INSERT INTO grow SELECT i, repeat('r', 200) FROM generate_series(1, 5000) i" -c "ROLLBACK"
kept "a rolled-back insert (the file stays longer)"
q -c "DELETE FROM grow" -c "VACUUM grow"
kept "VACUUM truncating the emptied table"
q -c "INSERT INTO grow SELECT i, 'x' FROM generate_series(1, 1000) i" -c "TRUNCATE grow" -c "CHECKPOINT"
kept "TRUNCATE and a checkpoint"

# A tablespace created after the session's first reports: CREATE
# TABLESPACE itself touches no directory of this database; its files there
# must count as soon as they appear.
mkdir "$work/ts2"
if [ "$(id -u)" = 0 ]; then chown postgres: "$work/ts2"; fi
q -c "CREATE TABLESPACE dbcare_test_ts2 LOCATION '$work/ts2'"
trap 'rm -rf "$work/ts2"/PG_*/"$dboid"/dbcare_probe; q -c "DROP TABLE IF EXISTS far" -c "DROP TABLE IF EXISTS far2" -c "DROP TABLESPACE IF EXISTS dbcare_test_ts" -c "DROP TABLESPACE IF EXISTS dbcare_test_ts2" >/dev/null 2>&1 || true; cleanup' EXIT
kept "a new tablespace"
if [ -n "$writable" ]; then
  # the database's directory appearing there, then a file in it growing
  ver=$(echo "$work/ts2"/PG_*)
  mkdir "$ver/$dboid"
  head -c 1048576 /dev/zero > "$ver/$dboid/dbcare_probe"
  kept "the database's directory appearing in the new tablespace"
  head -c 1048576 /dev/zero >> "$ver/$dboid/dbcare_probe"
  kept "a file there growing"
  rm -rf "${ver:?}/$dboid"
  kept "that directory removed"
  hidden_write "a tablespace the database has no directory in"
fi
q -c "CREATE TABLE far2 (id int PRIMARY KEY, doc text) TABLESPACE dbcare_test_ts2" \
  -c "INSERT INTO far2 SELECT i, repeat(md5(i::text), 50) FROM generate_series(1, 2000) i"
kept "the database's first table in that tablespace"
q -c "INSERT INTO far2 SELECT i, repeat(md5(i::text), 50) FROM generate_series(2001, 4000) i"
kept "an insert there"
q -c "CREATE TABLE far (id int, doc text) TABLESPACE dbcare_test_ts" \
  -c "INSERT INTO far SELECT i, repeat(md5(i::text), 50) FROM generate_series(1, 2000) i"
kept "a table in the tablespace the database had emptied"
q -c "DROP TABLE far2" -c "DROP TABLE far" -c "CHECKPOINT"
kept "both tables dropped"
echo "the report's database size matched pg_database_size"
