#!/usr/bin/env bash
# dbmigrate_bookmark when the primary's WAL insert position is just past a
# page header (the last record ended at the page's end): the bookmark names
# the page's start, where a standby's replay shows it, and flushes that far
# (a flush request past the header of a page not written yet is an error,
# "xlog flush request ... is not satisfied"). The position is reached with
# logical messages sized to end a page exactly: a message of n bytes with
# the prefix 'x' is a record of MAXALIGN(52 + n) bytes (24 header, 2 block
# header, 24 message header, 2 prefix) while 26 + n < 256.
set -eu
db=dbcare_bookmark_page_boundary
. "$(dirname "$0")/lib/pg.sh"
fresh_db
q -c "SELECT dbmigrate_current()" >/dev/null
for attempt in 1 2 3 4 5; do
  out=$(q -c "
DO \$\$
DECLARE rem int; bm text;
BEGIN
  -- the bookmark's own reading first: it may store the migration summary
  PERFORM dbmigrate_current();
  LOOP
    rem := 8192 - ((pg_current_wal_insert_lsn() - '0/0'::pg_lsn) % 8192)::int;
    EXIT WHEN rem BETWEEN 56 AND 280;
    PERFORM pg_logical_emit_message(false, 'x', repeat('y', 150));
  END LOOP;
  PERFORM pg_logical_emit_message(false, 'x', repeat('y', rem - 52));
  IF ((pg_current_wal_insert_lsn() - '0/0'::pg_lsn) % 8192)::int <> 24 THEN
    RAISE NOTICE 'missed';
    RETURN;
  END IF;
  bm := dbmigrate_bookmark();
  RAISE NOTICE 'bookmark % at %', bm, pg_current_wal_insert_lsn();
END
\$\$" 2>&1) || fail "the bookmark at a page boundary: $out"
  case "$out" in *"NOTICE:  bookmark"*) break ;; esac
  [ "$attempt" -lt 5 ] || fail "never reached a page boundary: $out"
done
bm=$(printf '%s\n' "$out" | sed -n 's/.*bookmark \([^ ]*\) at .*/\1/p')
lsn=${bm#*@}
# the page's start: the header's 24 bytes are not waited for
[ "$(q -c "SELECT (('$lsn'::pg_lsn - '0/0'::pg_lsn) % 8192)::int")" = 0 ] ||
  fail "the bookmark is not at the page's start: $out"
echo "bookmark at a page boundary: $bm"
