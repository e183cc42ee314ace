# retain_archive_pg.sh — what the PostgreSQL tests of archives in another
# database share (sourced after lib/pg.sh and lib/cli.sh, with db, adb and
# rows set): the source ev with rows due rows and rows/5 young ones, ev_all
# (every row ever written to ev: the tests write both), the archive
# database with dbcare, the policy old_ev (archive-db:events), and:
#   aq ARGS   psql on the archive database
#   exact W   ev plus the archive hold each row of ev_all once, with its
#             content, and no due row is left (W names the moment)
#   counts W  the same by counts alone (cheap)
t0=$(date +%s)
fresh_db
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $adb" -c "CREATE DATABASE $adb" >/dev/null
aq() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$adb" "$@"; }
aq -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare"
trap '"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $adb" >/dev/null 2>&1 || true; cleanup' EXIT
src="postgresql:///$db"
arch="postgresql:///$adb"

# ev_all records every row ever written to ev (the writers write both)
q <<SQL >/dev/null
CREATE TABLE ev (id bigint PRIMARY KEY, at timestamptz NOT NULL, body text, n float8);
CREATE INDEX ev_at ON ev (at);
CREATE TABLE ev_all (LIKE ev INCLUDING ALL);
INSERT INTO ev SELECT i, now() - interval '40 days' - i * interval '1 second',
                      'row ' || i || E'\\nwith "quotes" and \\\\ and é', i / 7.0
FROM generate_series(1, $rows) i;
INSERT INTO ev SELECT i, now() - interval '1 day', 'young ' || i, NULL
FROM generate_series($rows + 1, $rows + $rows / 5) i;
INSERT INTO ev_all SELECT * FROM ev;
SELECT dbretain_add('old_ev', 'ev', 'at', '30 days', 'archive', 'archive-db:events');
SQL

# exact: ev plus the archive hold each row of ev_all once, with its
# content, and no due row is left in ev. Compared in the archive database
# (temporary tables there leave the source's schema fingerprint alone);
# CSV keeps every byte.
exact() {
  q -c "\\copy ev TO '$work/ev.csv' CSV" -c "\\copy ev_all TO '$work/ev_all.csv' CSV"
  local r
  r=$(aq <<SQL
CREATE TEMP TABLE ev (id bigint, at timestamptz, body text, n float8);
CREATE TEMP TABLE ev_all (LIKE ev);
\\copy ev FROM '$work/ev.csv' CSV
\\copy ev_all FROM '$work/ev_all.csv' CSV
WITH arch AS (SELECT (r->>'id')::bigint AS id, (r->>'at')::timestamptz AS at, r->>'body' AS body,
                     (r->>'n')::float8 AS n FROM dbretain_archive_read() AS x(a, p, t, f, k, w, r)),
     now_rows AS (SELECT * FROM ev UNION ALL SELECT * FROM arch)
SELECT (SELECT count(*) FROM now_rows) = (SELECT count(*) FROM ev_all),
       (SELECT count(*) - count(DISTINCT id) FROM arch),
       (SELECT count(*) FROM ev JOIN arch USING (id)),
       (SELECT md5(string_agg(format('%s|%s|%s|%s', id, at, body, n), ',' ORDER BY id)) FROM now_rows)
     = (SELECT md5(string_agg(format('%s|%s|%s|%s', id, at, body, n), ',' ORDER BY id)) FROM ev_all);
SQL
)
  r="$r|$(q -c "SELECT count(*) FROM ev WHERE at < now() - interval '30 days'")"
  [ "$r" = "t|0|0|t|0" ] || fail "$1: same count|archived twice|in both|same content|due left = $r (want t|0|0|t|0)"
  # the archive's own count agrees with the source's record
  local recorded stored
  recorded=$(q -c "SELECT archived_rows FROM dbretain_policies WHERE name = 'old_ev'")
  stored=$(aq -c "SELECT coalesce(sum(row_count), 0) FROM dbcare.retain_archive WHERE policy = 'old_ev'")
  [ "$recorded" = "$stored" ] || fail "$1: the source recorded $recorded archived rows, the archive holds $stored"
}

# the same by counts alone (cheap, after each stage): ev plus the archive
# hold as many rows as ev_all, and no due row is left
counts() {
  local r
  r="$(q -c "SELECT (SELECT count(*) FROM ev) || '|' || (SELECT count(*) FROM ev_all) || '|' || (SELECT count(*) FROM ev WHERE at < now() - interval '30 days')")|$(aq -c "SELECT coalesce(sum(row_count), 0) FROM dbcare.retain_archive WHERE policy = 'old_ev'")"
  IFS='|' read -r left all due stored <<<"$r"
  [ "$((left + stored))|$due" = "$all|0" ] || fail "$1: left $left + archived $stored <> $all rows, or $due due left"
}

