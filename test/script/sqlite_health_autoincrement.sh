#!/usr/bin/env bash
# An AUTOINCREMENT counter near 2^63-1 (issue 67): SQLite never hands out a
# rowid past it, and every insert then fails with "database or disk is
# full". sequence_exhaustion reads sqlite_sequence: a table whose counter is
# at 96 % of the range is critical and named, a file without AUTOINCREMENT
# tables is ok, and lowering the counter after renumbering (the hint's
# repair) clears it.
set -euo pipefail
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/autoinc.db"

expect() { # description got want
  if [ "$2" != "$3" ]; then echo "FAIL: $1: got '$2', want '$3'"; exit 1; fi
  echo "ok: $1"
}

q "CREATE TABLE plain (id INTEGER PRIMARY KEY, v TEXT)"
expect "no AUTOINCREMENT table: ok" \
  "$(q "SELECT status FROM dbhealth_checks('quick') WHERE name = 'sequence_exhaustion'")" ok

# 96 % of 2^63-1; one row more and the counter is there
q "CREATE TABLE \"tick'ets\" (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);
   CREATE TABLE calm (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);
   INSERT INTO calm (v) VALUES ('a');
   INSERT INTO \"tick'ets\" VALUES (8854437155380584448, 'near the end');"
row=$(q "SELECT status || '|' || cast(value AS integer) || '|' || message FROM dbhealth_checks('quick') WHERE name = 'sequence_exhaustion'")
echo "$row"
case "$row" in
  "critical|96|"*"tick'ets"*"8854437155380584448 of 9223372036854775807"*) echo "ok: the counter is critical and named" ;;
  *) fail "sequence_exhaustion on a counter at 96 %: $row" ;;
esac
hint=$(q "SELECT hint FROM dbhealth_checks('quick') WHERE name = 'sequence_exhaustion'")
case "$hint" in
  *sqlite_sequence*) ;;
  *) fail "the hint does not say how to lower the counter: $hint" ;;
esac
case "$hint" in
  *dbmaintain_plan*) fail "the hint points to a plan row there is none of: $hint" ;;
esac
expect "no plan row for the counter" \
  "$(q "SELECT count(*) FROM dbmaintain_plan('quick') WHERE action LIKE 'widen%'")" 0

# the end is real: SQLite refuses the next key past 2^63-1
q "INSERT INTO \"tick'ets\" VALUES (9223372036854775807, 'last')"
if q "INSERT INTO \"tick'ets\" (v) VALUES ('one more')" 2>"$work/err"; then fail "an insert past 2^63-1 went in"; fi
grep -q "database or disk is full" "$work/err" || fail "unexpected error: $(cat "$work/err")"
echo "ok: the next insert fails: $(cat "$work/err")"

# the repair the hint names: renumber, then lower the counter
q "UPDATE \"tick'ets\" SET id = id % 1000000;
   UPDATE sqlite_sequence SET seq = (SELECT max(rowid) FROM \"tick'ets\") WHERE name = 'tick''ets';
   INSERT INTO \"tick'ets\" (v) VALUES ('fits again');"
expect "after lowering the counter: ok" \
  "$(q "SELECT status FROM dbhealth_checks('quick') WHERE name = 'sequence_exhaustion'")" ok
