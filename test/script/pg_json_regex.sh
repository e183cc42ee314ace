#!/usr/bin/env bash
# Unicode property escapes (\p{...}, \P{...}) in pattern and
# patternProperties on PostgreSQL, through the jsonb and text overloads:
# every case of lib/json_regex_cases.py gives its answer.
set -eu
db=dbcare_json_regex
. "$(dirname "$0")/lib/pg.sh"
fresh_db
python3 "$(dirname "$0")/lib/json_regex_cases.py" > "$work/cases"
q -c "CREATE TABLE cases (n serial, s text, d text, want text)"
q -c "\\copy cases (s, d, want) FROM '$work/cases' WITH (FORMAT csv, DELIMITER E'\t', QUOTE E'\x01')" \
  || fail "the cases did not load"
n=$(q -c "SELECT count(*) FROM cases")
[ "$n" -gt 30 ] || fail "only $n cases"
# a schema PCRE2 refuses errs: each case caught on its own
q <<'SQL' > "$work/out" 2>&1 || { cat "$work/out"; fail "the cases did not run"; }
CREATE FUNCTION try_case(d text, s text, ty text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  IF ty = 'jsonb' THEN
    RETURN dbjson_valid(d::jsonb, s::jsonb)::int::text;
  END IF;
  RETURN dbjson_valid(d, s)::int::text;
EXCEPTION WHEN others THEN
  RETURN CASE WHEN SQLERRM LIKE '%regular expression%' THEN 'E' ELSE SQLERRM END;
END $$;
SELECT ty, s, d, got, want FROM (
  SELECT ty, s, d, try_case(d, s, ty) AS got, want
  FROM cases, (VALUES ('jsonb'), ('text')) t(ty)) x
WHERE got IS DISTINCT FROM want;
SQL
[ ! -s "$work/out" ] || { cat "$work/out"; fail "cases gave other answers"; }
echo "ok $n cases, jsonb and text"
