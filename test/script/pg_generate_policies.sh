#!/usr/bin/env bash
# dbmigrate_generate on PostgreSQL does not model row-level security
# policies or rules; a plan must not leave them out in silence. Before the
# fix a desired CREATE POLICY planned nothing at all (an empty plan, as if
# the database were already there). Now each policy or rule that differs
# between the live schema and the desired one is a plan row "-- not
# planned: ..." with a hazard naming what to write by hand, as the
# command's migration file shows, on a table the plan makes too; an
# identical policy plans nothing, and a plan's other steps are proved and
# kept as before. Publications and operators (desired or live) are
# refused by name.
set -eu
db=dbcare_generate_policies
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
url="postgresql:///$db?host=$PGHOST&port=$PGPORT"
fresh_db
q -c "CREATE TABLE doc (id int PRIMARY KEY, owner text NOT NULL, body text)" \
  -c "ALTER TABLE doc ENABLE ROW LEVEL SECURITY" \
  -c "CREATE POLICY doc_owner ON doc USING (owner = current_user)" \
  -c "CREATE TABLE log (id int PRIMARY KEY, what text)" \
  -c "CREATE RULE log_keep AS ON DELETE TO log DO INSTEAD NOTHING" >/dev/null
live='CREATE TABLE doc (id int PRIMARY KEY, owner text NOT NULL, body text);
ALTER TABLE doc ENABLE ROW LEVEL SECURITY;
CREATE POLICY doc_owner ON doc USING (owner = current_user);
CREATE TABLE log (id int PRIMARY KEY, what text);
CREATE RULE log_keep AS ON DELETE TO log DO INSTEAD NOTHING;'
plan() { q -v "desired=$1" <<'SQL'
SELECT statement || ' | ' || coalesce(hazard, '-') FROM dbmigrate_generate(:'desired') ORDER BY step
SQL
}
# the same policies and rules: nothing to plan
got=$(plan "$live")
[ -z "$got" ] || fail "an unchanged schema plans: $got"
# a policy added, one changed, a rule gone, beside a planned column
got=$(plan "CREATE TABLE doc (id int PRIMARY KEY, owner text NOT NULL, body text, seen boolean);
ALTER TABLE doc ENABLE ROW LEVEL SECURITY;
CREATE POLICY doc_owner ON doc USING (owner = session_user);
CREATE POLICY doc_read ON doc FOR SELECT USING (true);
CREATE TABLE log (id int PRIMARY KEY, what text);")
echo "$got" | grep -q "^ALTER TABLE public.doc ADD COLUMN seen boolean" || fail "the column is not planned: $got"
hazard='dbmigrate_generate does not plan row-level security policies or rules: write CREATE, ALTER or DROP POLICY (or RULE) for it by hand'
for want in "-- not planned: policy doc_read on public.doc in the desired schema only: not made by this plan | $hazard" \
            "-- not planned: policy doc_owner on public.doc differs from the live one: not changed by this plan | $hazard" \
            "-- not planned: rule log_keep on public.log in the live schema only: not dropped by this plan (unless with its table) | $hazard"; do
  echo "$got" | grep -qxF -- "$want" || fail "missing: $want
in: $got"
done
[ "$(echo "$got" | grep -c 'not planned')" = 3 ] || fail "not 3 notes: $got"
# on a table the plan makes (issue 64): before, the proof made the table
# again without them and the plan held no row for either; an append-only
# log's DO INSTEAD NOTHING rule and a policy are each named
got=$(plan "$live
CREATE TABLE audit_log (id int PRIMARY KEY, what text, who text);
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_mine ON audit_log USING (who = current_user);
CREATE RULE audit_no_update AS ON UPDATE TO audit_log DO INSTEAD NOTHING;
CREATE RULE audit_no_delete AS ON DELETE TO audit_log DO INSTEAD NOTHING;")
echo "$got" | grep -q "^CREATE TABLE public.audit_log" || fail "the table is not planned: $got"
for want in "-- not planned: policy audit_mine on public.audit_log in the desired schema only: not made by this plan | $hazard" \
            "-- not planned: rule audit_no_update on public.audit_log in the desired schema only: not made by this plan | $hazard" \
            "-- not planned: rule audit_no_delete on public.audit_log in the desired schema only: not made by this plan | $hazard"; do
  echo "$got" | grep -qxF -- "$want" || fail "missing on a new table: $want
in: $got"
done
# the command writes them into the migration it generates, for review
mkdir "$work/m"
printf '%s\n' "$live" | sed 's/^CREATE POLICY doc_owner.*/&\nCREATE POLICY doc_read ON doc FOR SELECT USING (true);/' > "$work/schema.sql"
run 0 generate --db "$url" --to "$work/schema.sql" --dir "$work/m" read_policy
grep -rqF -- "-- not planned: policy doc_read on public.doc" "$work/m" || fail "not in the migration: $(cat "$work"/m/* "$work/out" "$work/err")"
# publications and operators (issue 66): not in the model either; a desired
# file holding one is refused by name before anything runs, never planned
# without it in silence (an operator ran and failed on the scratch role's
# rights, a publication was "not a schema statement")
refused() { # WHAT SQL: the plan of live + SQL is refused, naming WHAT
  local out
  if out=$(plan "$live
$2" 2>&1); then fail "$1 was not refused: $out"; fi
  echo "$out" | grep -qF "dbcare: the desired schema may hold only schema statements" &&
    echo "$out" | grep -qF -- "$1" || fail "not refused by name ($1): $out"
}
refused "CREATE PUBLICATION doc_changes FOR TABLE doc) is CREATE PUBLICATION, which makes or changes a publication" \
  "CREATE PUBLICATION doc_changes FOR TABLE doc;"
refused "is ALTER PUBLICATION, which makes or changes a publication" \
  "ALTER PUBLICATION doc_changes ADD TABLE doc;"
refused "is CREATE OPERATOR, which makes an operator, which the generator neither reads nor plans" \
  "CREATE FUNCTION text_like(text, int) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR ~~ (LEFTARG = text, RIGHTARG = int, PROCEDURE = text_like);"
# an operator in the live schema (issue 66, Icinga DB walked back): no
# model reads it, so the proof never held it, and a plan dropping the
# function under it passed its proof and failed when applied. Refused,
# naming it, whatever the desired file says.
q -c "CREATE FUNCTION text_like(text, int) RETURNS boolean LANGUAGE sql AS 'SELECT true'" \
  -c "CREATE OPERATOR ~~ (LEFTARG = text, RIGHTARG = int, PROCEDURE = text_like)" >/dev/null
if out=$(plan "$live" 2>&1); then fail "a live operator was not refused: $out"; fi
echo "$out" | grep -qF "dbcare: the live schema has operator public.~~(text, integer), which the generator does not read" ||
  fail "not refused by name: $out"
q -c "DROP FUNCTION text_like(text, int) CASCADE" >/dev/null
[ -z "$(plan "$live")" ] || fail "without the operator, the plan is not empty again"
echo ok
