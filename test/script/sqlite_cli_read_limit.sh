#!/usr/bin/env bash
# A file the command reads whole (generate --to's desired schema) that never
# ends, like /dev/zero, is refused once past 64 MB (the core's limit for a
# migration file) with a dbcare: error, instead of being read until memory
# runs out; a schema given through a pipe (a shell's <(...)) still reads.
# The address space is capped so that the command without the limit fails
# here (out of memory) instead of taking the machine's memory.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
db="$work/app.db"
sqlite3 "$db" "CREATE TABLE t (id INTEGER PRIMARY KEY)"
set +e
(ulimit -v 1500000; exec timeout 60 "$cli" generate --to /dev/zero grow --db "sqlite:$db" --dir m) \
  >"$work/out" 2>"$work/err"
got=$?
set -e
[ "$got" = 1 ] || { cat "$work/err"; fail "generate --to /dev/zero: exit $got, want 1"; }
has 'dbcare: cannot read /dev/zero: larger than 64 MB' err
[ ! -e m ] || fail "generate --to /dev/zero wrote $(ls m)"
run 0 generate --to <(printf 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);\n') add_v \
  --db "sqlite:$db" --dir m
[ "$(ls m)" = "$(printf 'U1__add_v.sql\nV1__add_v.sql')" ] || fail "generate from a pipe: $(ls m)"
grep -q 'ADD COLUMN' m/V1__add_v.sql || fail "the up script: $(cat m/V1__add_v.sql)"
echo ok
