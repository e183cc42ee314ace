#!/usr/bin/env bash
# Retention of a foreign-key cycle longer than a batch may take, on
# PostgreSQL (as sqlite_retain_cycle_limit.sh): with max_rows 3, or
# retain.batch_size 4, no call removes a 5-row cycle of due rows nor the
# newer due row behind it; before the fix each call returned deleted 0
# and nothing said why. Now dbretain_apply, CALL dbretain_run and the
# command fail naming the group's size and the setting to raise, and
# change nothing; raised, the cycle goes whole.
set -eu
db=dbcare_retain_cycle_limit
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
url="postgresql:///$db?host=$PGHOST&port=$PGPORT"
fresh_db
q <<'SQL' >/dev/null
CREATE TABLE c (id int PRIMARY KEY, parent int REFERENCES c, posted_at timestamptz NOT NULL);
CREATE INDEX c_parent ON c (parent);
INSERT INTO c VALUES (1, 2, '2001-01-01'), (2, 3, '2001-01-01'), (3, 4, '2001-01-01'),
  (4, 5, '2001-01-01'), (5, 1, '2001-01-01'), (6, 6, '2001-01-02'), (7, NULL, '2001-01-03'),
  (8, NULL, now());
SELECT dbretain_add('p', 'c', 'posted_at', '1 year', 'delete');
SQL
fails_with() { # SQL TEXT...: fails with every TEXT in its error; no row changed
  local sql=$1 before; shift
  before=$(q -c "SELECT string_agg(id::text, ',' ORDER BY id) FROM c")
  if q -c "$sql" > "$work/q.out" 2>&1; then fail "$sql succeeded: $(cat "$work/q.out")"; fi
  for want in "$@"; do grep -qF -- "$want" "$work/q.out" || fail "$sql: want \"$want\", got: $(cat "$work/q.out")"; done
  [ "$(q -c "SELECT string_agg(id::text, ',' ORDER BY id) FROM c")" = "$before" ] || fail "$sql changed rows"
}
[ "$(q -c "SELECT deleted FROM dbretain_apply('p', 3)")" = 1 ] || fail "the leaf did not go"
group=' reference each other through the table'"'"'s own foreign key (such as a cycle) and go only whole, in one statement, and a batch takes the whole groups among the oldest rows, which needs at least 5 of them; no call with this limit removes them or any newer row'
fails_with "SELECT * FROM dbretain_apply('p', 3)" "$group" 'retention policy "p" cannot remove its oldest due rows of public.c in batches of 3:'  \
  "HINT:  Call dbretain_apply('p', 5) (max_rows at least 5)."
q -c "SELECT dbcare_set('retain.batch_size', '4')" >/dev/null
fails_with "SELECT * FROM dbretain_apply('p')" "$group" 'retention policy "p" cannot remove its oldest due rows of public.c in batches of 4:'  \
  "HINT:  Raise retain.batch_size (the most one batch takes, and max_rows's default) to at least 5"
fails_with "CALL dbretain_run('p')" "which needs at least 5 of them"
run 1 retain --db "$url"
has "which needs at least 5 of them" err
q -c "SELECT dbcare_set('retain.batch_size', '5')" >/dev/null
[ "$(q -c "SELECT deleted || ' ' || remaining FROM dbretain_apply('p')")" = "5 1" ] || fail "the cycle did not go"
[ "$(q -c "SELECT deleted || ' ' || remaining FROM dbretain_apply('p')")" = "1 0" ] || fail "row 6 did not go"
[ "$(q -c "SELECT string_agg(id::text, ',') FROM c")" = 8 ] || fail "rows left: $(q -c 'SELECT * FROM c')"
# an archive in another database stops the same way (dbretain_export_next)
adb=${db}_archive
"$B/psql" -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $adb" -c "CREATE DATABASE $adb" >/dev/null
trap '"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $adb" >/dev/null 2>&1 || true; cleanup' EXIT
"$B/psql" -X -q -d "$adb" -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare"
q <<'SQL' >/dev/null
CREATE TABLE d (id int PRIMARY KEY, parent int REFERENCES d, posted_at timestamptz NOT NULL);
CREATE INDEX d_parent ON d (parent);
INSERT INTO d VALUES (1, 2, '2001-01-01'), (2, 3, '2001-01-01'), (3, 4, '2001-01-01'),
  (4, 5, '2001-01-01'), (5, 1, '2001-01-01');
SELECT dbretain_add('a', 'd', 'posted_at', '1 year', 'archive', 'archive-db:old_d');
SELECT dbcare_set('retain.batch_size', '4');
SQL
run 1 retain --db "$url" --archive-db "postgresql:///$adb?host=$PGHOST&port=$PGPORT" --policy a
has 'retention policy "a" cannot remove its oldest due rows of public.d in batches of 4:' err
[ "$(q -c "SELECT count(*) FROM d")" = 5 ] || fail "archive: rows changed"
echo ok
