#!/usr/bin/env bash
# dbbackup_content() on PostgreSQL (docs/backups.md, "Logical verification"):
# every table's row count and content hash in the one format both engines
# answer ({"version": 3, "tables": [[name, rows, hash], ...]}, by name),
# whatever the session's settings, which it sets back; what a pg_dump
# backup records is exactly its answer in the dump's snapshot. A database
# without the function (a copy restored with an older dbcare) is read by
# the command with the same statement, to the same record, and a function of
# that name the extension does not own is never called. A record in the
# keyed form the command wrote before (0.3.9's statement, below) still
# verifies against a copy read today.
set -eu
db=dbcare_backup_content
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
record() { q -c "SELECT content FROM dbcare.backups WHERE path = '$work/$1'"; }

fresh_db
q -c "CREATE TABLE t (id int PRIMARY KEY, at timestamptz, x float8, b bytea, i interval);
      INSERT INTO t SELECT g, '2026-01-01'::timestamptz + g * interval '1 s', g / 7.0,
        decode(md5(g::text), 'hex'), g * interval '1 min' FROM generate_series(1, 1000) g;
      CREATE SCHEMA \"odd s\";
      CREATE TABLE \"odd s\".\"M\" (k int);
      INSERT INTO \"odd s\".\"M\" VALUES (1), (1), (NULL);
      CREATE TABLE third (x int)" # three tables: a backup's answer once said 2 whatever they were

now=$(q -c "SELECT dbbackup_content()")
"$py" - "$now" <<'PY' || fail "not the one format: $now"
import json, sys
d = json.loads(sys.argv[1])
assert d["version"] == 3, d
names = [t[0] for t in d["tables"]]
assert names == sorted(names, key=lambda n: n.encode()), names
got = {t[0]: t[1] for t in d["tables"]}
assert got['public.t'] == 1000 and got['"odd s"."M"'] == 3, got
assert all(len(t[2]) == 32 and int(t[2], 16) >= 0 for t in d["tables"]), d
PY
# the session's settings shape no row's text here, and are set back
[ "$(q -c "SET DateStyle = 'SQL, DMY'" -c "SET TimeZone = 'Asia/Tokyo'" -c "SET extra_float_digits = 0" \
       -c "SET bytea_output = 'escape'" -c "SET IntervalStyle = 'iso_8601'" -c "SELECT dbbackup_content()")" = "$now" ] ||
  fail "the session's settings changed the content"
[ "$(q -c "SET DateStyle = 'SQL, DMY'" -c "SELECT dbbackup_content() IS NOT NULL" -c "SHOW DateStyle" | tr '\n' ' ')" = "t SQL, DMY " ] ||
  fail "dbbackup_content left its settings behind"
# the reader's rights: a table it may not read fails, named
q -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS content_reader" -c "CREATE ROLE content_reader LOGIN" >/dev/null
out=$("$B/psql" -X -q -At -v ON_ERROR_STOP=1 -U content_reader -d "$db" -c "SELECT dbbackup_content()" 2>&1) &&
  fail "a role without SELECT read the content: $out"
grep -q "permission denied for table" <<<"$out" || fail "the refusal: $out"
q -c "DROP ROLE content_reader"

# a backup records the function's answer, read in the dump's snapshot
run 0 backup one.dump --db "$url" --json
# the answer counts the tables the record holds (it once counted the
# record's keys: always 2)
[ "$(json "d['backup']['tables']")" = "$(q -c "SELECT jsonb_array_length(content->'tables') FROM dbcare.backups WHERE path = '$work/one.dump'")" ] ||
  fail "the answer's table count: $(cat "$work/out")"
[ "$(q -c "SELECT content = dbbackup_content() FROM dbcare.backups WHERE path = '$work/one.dump'")" = t ] ||
  fail "the record is not dbbackup_content(): $(record one.dump)"

# a record of 0.3.9, in its keyed form (the statement the command ran then),
# still verifies: one row digest, read today by the function
keyed=$(q -c "SELECT set_config('search_path', 'pg_catalog, pg_temp', true), set_config('DateStyle', 'ISO, YMD', true),
  set_config('TimeZone', 'UTC', true), set_config('IntervalStyle', 'postgres', true),
  set_config('extra_float_digits', '3', true), set_config('bytea_output', 'hex', true),
  set_config('row_security', 'off', true)" -c "SELECT coalesce(pg_catalog.jsonb_object_agg(name, pg_catalog.jsonb_build_object(
  'rows', CAST(CAST(x[1] AS text) AS bigint), 'hash', CAST(x[2] AS text))), '{}')::text
 FROM (SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS name,
   pg_catalog.xpath('/row/*/text()', pg_catalog.query_to_xml(pg_catalog.format(
    'SELECT pg_catalog.count(*) AS n, coalesce(pg_catalog.sum(
       pg_catalog.hashtextextended(pg_catalog.textin(pg_catalog.record_out(t)), 0)), 0) AS h
    FROM ONLY %I.%I t', n.nspname, c.relname), false, true, '')) AS x
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND c.relpersistence <> 't'
    AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
    AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
     WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
       AND d.deptype = 'e')) s" | tail -n 1)
case "$keyed" in '{"public.t": {"hash": '*) ;; *) fail "the keyed fixture: $keyed" ;; esac
q -c "UPDATE dbcare.backups SET content = '$keyed' WHERE path = '$work/one.dump'"
run 0 verify one.dump --db "$url" --json
[ "$(json "d['verify']['verified'], d['verify']['tables']")" = "True 3" ] ||
  fail "a keyed record of 0.3.9 did not verify: $(cat out err)"

# a database without the function: the command runs the same statement to
# the same record, and never a function of that name the extension lacks
q -c "ALTER EXTENSION dbcare DROP FUNCTION dbbackup_content()" -c "DROP FUNCTION dbbackup_content()"
q -c "CREATE FUNCTION public.dbbackup_content() RETURNS jsonb LANGUAGE sql
        AS \$\$SELECT '{\"version\": 3, \"tables\": []}'::jsonb\$\$"
run 0 backup two.dump --db "$url"
[ "$(record two.dump)" = "$(q -c "SELECT '$now'::jsonb")" ] ||
  fail "without the function the record differs: $(record two.dump) / $now"
echo ok
