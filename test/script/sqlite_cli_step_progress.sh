#!/usr/bin/env bash
# The long steps show their progress on a terminal only: backup (the pages
# copied, step by step), retain (rows moved of rows due, per batch) and
# verify (each migration proven); TERM=dumb gets plain lines, and a log
# (stderr not a terminal), --quiet, --no-progress and --json get none.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
export DBCARE_MODULE="$module"
db=a.db
# small pages: a few MB make more pages than one backup step copies (4096)
sqlite3 a.db "PRAGMA page_size = 512; CREATE TABLE blob (b BLOB);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3500)
INSERT INTO blob SELECT randomblob(1500) FROM n;
CREATE TABLE events (id INTEGER PRIMARY KEY, created_at TEXT);
CREATE INDEX events_created ON events (created_at);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30)
INSERT INTO events SELECT i, datetime('now', '-10 days') FROM n;"
pages=$(q 'PRAGMA page_count')
[ "$pages" -gt 8192 ] || fail "the fixture has $pages pages, want more than two steps"
mkdir m
for i in 1 2 3; do
  printf 'CREATE TABLE t%s (id INTEGER PRIMARY KEY);\n' $i >m/V${i}__t$i.sql
  printf 'DROP TABLE t%s;\n' $i >m/U${i}__t$i.sql
done

# on a terminal (script gives one): drawn; TERM=dumb: plain lines
term() { # TERM, then the command's arguments
  local t=$1; shift
  TERM=$t script -qec "'$cli' $*" /dev/null >tty.out 2>&1 || true
}
term xterm backup --db sqlite:a.db b1.db
# the copy's total: the file's pages then (a first backup makes the
# bookkeeping before it copies: the identity its header names)
total=$(grep -oE "\] ([0-9]+)/\1 pages copied" tty.out | grep -oE "[0-9]+" | tail -1)
[ -n "$total" ] && [ "$total" -ge "$pages" ] && grep -qE "\] 4096/$total pages copied" tty.out ||
  { cat tty.out; fail "no backup progress on a terminal"; }
term dumb backup --db sqlite:a.db b2.db
grep -qE '^\[4096/[0-9]+\] pages copied' tty.out && grep -qE '^\[([0-9]+)/\1\] pages copied' tty.out ||
  { cat tty.out; fail "no plain backup progress lines with TERM=dumb"; }
term xterm backup --db sqlite:a.db b3.db --no-progress
! grep -q 'pages copied' tty.out || { cat tty.out; fail "backup progress with --no-progress"; }
term xterm backup --db sqlite:a.db b4.db --json
! grep -q 'pages copied' tty.out || { cat tty.out; fail "backup progress with --json"; }
run 0 backup --db sqlite:a.db b5.db
! grep -q 'pages copied' err || fail "backup progress in a log: $(cat err)"

term xterm verify --db sqlite:a.db --dir m
grep -qF '1/3 verifying 1 (t1)' tty.out && grep -qF '3/3 verifying 3 (t3)' tty.out ||
  { cat tty.out; fail "no verify progress on a terminal"; }
term xterm verify --db sqlite:a.db --dir m --quiet
! grep -q 'verifying' tty.out || { cat tty.out; fail "verify progress with --quiet"; }
run 0 verify --db sqlite:a.db --dir m
! grep -q 'verifying' err || fail "verify progress in a log: $(cat err)"

q "SELECT dbcare_set('retain.batch_size', '10');
SELECT dbretain_add('old_events', 'events', 'created_at', '1 day', 'delete');" >/dev/null
term xterm retain --db sqlite:a.db --sleep-ms 1
grep -qE '\] 10/[0-9]+ rows moved \(batch 1\)' tty.out && grep -qF '30/30 rows moved (batch 3)' tty.out ||
  { cat tty.out; fail "no retain progress on a terminal"; }
[ "$(q 'SELECT count(*) FROM events')" = 0 ] || fail "retain left rows"
! grep -q '^batch ' tty.out || { cat tty.out; fail "batch lines beside the progress line"; }
q "INSERT INTO events VALUES (1, datetime('now', '-10 days'))" >/dev/null
run 0 retain --db sqlite:a.db
has 'batch 1: 1 row(s) moved, 1 in all' err
! grep -q 'rows moved (batch' err || fail "retain progress in a log: $(cat err)"
echo ok
