#!/usr/bin/env bash
# dbmigrate_generate on PostgreSQL plans row-level security policies,
# rules, statistics objects and the comments on them (issue 66), beside
# a table's ENABLE / FORCE ROW LEVEL SECURITY (the schema model's). Before,
# each difference was only a "-- not planned: ..." comment row, so a
# migration generated and applied ended in a schema other than the desired
# one. Now: what the desired schema adds (or changes) is made among the
# plan's last steps (after the functions its expressions call), its
# reverse a drop; what it no longer has (or changes) is dropped among the
# first, its reverse making the live one again; the proof runs them all.
# Publications and operators (desired or live) are refused by name.
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
# each step: statement | reverse, in the plan's order
plan() { q -v "desired=$1" <<'SQL'
SELECT statement || ' | ' || coalesce(reverse, '-') FROM dbmigrate_generate(:'desired') ORDER BY step
SQL
}
# has WANT: the plan in $got has the step WANT (statement | reverse)
has() { echo "$got" | grep -qxF -- "$1" || fail "missing step: $1
in: $got"; }
# before A B: step A comes before step B in $got
before() {
  local a b
  a=$(echo "$got" | grep -nF -- "$1" | head -1 | cut -d: -f1)
  b=$(echo "$got" | grep -nF -- "$2" | head -1 | cut -d: -f1)
  [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ] || fail "not $1 before $2: $got"
}
# the same policies, rules and flags: nothing to plan
got=$(plan "$live")
[ -z "$got" ] || fail "an unchanged schema plans: $got"
# a policy added, one changed, a rule gone, beside a planned column
got=$(plan "CREATE TABLE doc (id int PRIMARY KEY, owner text NOT NULL, body text, seen boolean);
ALTER TABLE doc ENABLE ROW LEVEL SECURITY;
CREATE POLICY doc_owner ON doc USING (owner = session_user);
CREATE POLICY doc_read ON doc FOR SELECT USING (true);
CREATE TABLE log (id int PRIMARY KEY, what text);")
has "ALTER TABLE public.doc ADD COLUMN seen boolean | SET LOCAL lock_timeout = '3000ms';"
old_owner="CREATE POLICY doc_owner ON public.doc AS PERMISSIVE FOR ALL TO public USING ((owner = CURRENT_USER))"
new_owner="CREATE POLICY doc_owner ON public.doc AS PERMISSIVE FOR ALL TO public USING ((owner = SESSION_USER))"
has "DROP POLICY doc_owner ON public.doc | $old_owner"
has "$new_owner | DROP POLICY doc_owner ON public.doc"
has "CREATE POLICY doc_read ON public.doc AS PERMISSIVE FOR SELECT TO public USING (true) | DROP POLICY doc_read ON public.doc"
has "DROP RULE log_keep ON public.log | CREATE RULE log_keep AS
    ON DELETE TO public.log DO INSTEAD NOTHING"
before "DROP POLICY doc_owner" "ADD COLUMN seen"
before "ADD COLUMN seen" "$new_owner"
echo "$got" | grep -q "not planned" && fail "a comment row is left: $got"
# RLS forced on one table, enabled on a new one with a policy and a rule,
# disabled on another: each a step with its reverse
got=$(plan "CREATE TABLE doc (id int PRIMARY KEY, owner text NOT NULL, body text);
CREATE POLICY doc_owner ON doc USING (owner = current_user);
CREATE TABLE log (id int PRIMARY KEY, what text);
ALTER TABLE log ENABLE ROW LEVEL SECURITY;
ALTER TABLE log FORCE ROW LEVEL SECURITY;
CREATE RULE log_keep AS ON DELETE TO log DO INSTEAD NOTHING;
CREATE TABLE audit_log (id int PRIMARY KEY, what text, who text);
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_mine ON audit_log USING (who = current_user) WITH CHECK (who = current_user);
CREATE RULE audit_no_update AS ON UPDATE TO audit_log DO INSTEAD NOTHING;")
# (the flags are the schema model's: each is one step, never two)
for want in "ALTER TABLE public.doc DISABLE ROW LEVEL SECURITY | SET LOCAL lock_timeout = '3000ms';" \
            "ALTER TABLE public.log ENABLE ROW LEVEL SECURITY | SET LOCAL lock_timeout = '3000ms';" \
            "ALTER TABLE public.log FORCE ROW LEVEL SECURITY | SET LOCAL lock_timeout = '3000ms';" \
            "ALTER TABLE public.audit_log ENABLE ROW LEVEL SECURITY | DROP TABLE public.audit_log"; do
  [ "$(echo "$got" | grep -cxF -- "$want")" = 1 ] || fail "not once: $want
in: $got"
done
has "CREATE POLICY audit_mine ON public.audit_log AS PERMISSIVE FOR ALL TO public USING ((who = CURRENT_USER)) WITH CHECK ((who = CURRENT_USER)) | DROP POLICY audit_mine ON public.audit_log"
has "CREATE RULE audit_no_update AS
    ON UPDATE TO public.audit_log DO INSTEAD NOTHING | DROP RULE audit_no_update ON public.audit_log"
before "CREATE TABLE public.audit_log" "CREATE POLICY audit_mine"
before "CREATE TABLE public.audit_log" "CREATE RULE audit_no_update"
# a policy calling a function the plan makes: made after it; a table the
# plan drops: its policy dropped first (before the table), made again last
# in the down
got=$(q -v "desired=CREATE TABLE doc (id int PRIMARY KEY, owner text NOT NULL, body text);
ALTER TABLE doc ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION may_read(who text) RETURNS boolean LANGUAGE sql STABLE AS \$\$ SELECT who = current_user \$\$;
CREATE POLICY doc_owner ON doc USING (may_read(owner));" <<'SQL'
SELECT statement || ' | ' || coalesce(reverse, '-') FROM dbmigrate_generate(:'desired', '{"allow_drop": true}') ORDER BY step
SQL
)
before "CREATE FUNCTION may_read" "CREATE POLICY doc_owner ON public.doc AS PERMISSIVE FOR ALL TO public USING (public.may_read(owner))"
before "DROP RULE log_keep ON public.log" "DROP TABLE public.log"
# the plans run: applied as generated, the live policies are the desired
# ones (and back with the reverses)
pol="SELECT string_agg(tablename || ' ' || policyname || ' ' || cmd || ' ' || coalesce(qual, '-') || ' ' || coalesce(with_check, '-'), '; ' ORDER BY tablename, policyname) FROM pg_policies WHERE schemaname = 'public'"
before_pol=$(q -c "$pol")
steps=$(q -v "desired=CREATE TABLE doc (id int PRIMARY KEY, owner text NOT NULL, body text);
ALTER TABLE doc ENABLE ROW LEVEL SECURITY;
ALTER TABLE doc FORCE ROW LEVEL SECURITY;
CREATE POLICY doc_owner ON doc USING (owner = session_user);
CREATE POLICY doc_add ON doc FOR INSERT WITH CHECK (owner = current_user);
CREATE TABLE log (id int PRIMARY KEY, what text);" <<'SQL'
SELECT json_agg(json_build_object('up', statement, 'down', reverse) ORDER BY step) FROM dbmigrate_generate(:'desired')
SQL
)
# apply WAY: runs each step's WAY (up: in order; down: newest first)
apply() { q -v "steps=$steps" -v "way=$1" <<'SQL' >/dev/null
SELECT set_config('test.steps', :'steps', false), set_config('test.way', :'way', false);
DO $$ DECLARE s text; BEGIN
  FOR s IN SELECT e ->> current_setting('test.way') FROM json_array_elements(current_setting('test.steps')::json) WITH ORDINALITY AS x(e, n)
           ORDER BY CASE WHEN current_setting('test.way') = 'up' THEN n ELSE -n END LOOP
    EXECUTE s;
  END LOOP;
END $$;
SQL
}
apply up
[ "$(q -c "$pol")" = "doc doc_add INSERT - (owner = CURRENT_USER); doc doc_owner ALL (owner = SESSION_USER) -" ] ||
  fail "the applied plan's policies: $(q -c "$pol")"
[ "$(q -c "SELECT relrowsecurity::text || relforcerowsecurity::text FROM pg_class WHERE oid = 'doc'::regclass")" = truetrue ] ||
  fail "doc is not forced"
[ -z "$(q -c "SELECT rulename FROM pg_rules WHERE schemaname = 'public'")" ] || fail "the rule is left"
apply down
[ "$(q -c "$pol")" = "$before_pol" ] || fail "the reverses did not give the live policies back: $(q -c "$pol")"
[ "$(q -c "SELECT rulename FROM pg_rules WHERE schemaname = 'public'")" = log_keep ] || fail "the rule is not back"
[ -z "$(plan "$live")" ] || fail "after the reverses, the schema is not the live one again"
# a rule kept as it is on a view the plan makes again (DROP VIEW takes
# the rule with it): dropped first and made again last, both ways; before,
# the plan lost it in silence
q -c "CREATE VIEW doc_v AS SELECT id, owner, body FROM doc" \
  -c "CREATE RULE doc_v_add AS ON INSERT TO doc_v DO INSTEAD INSERT INTO doc VALUES (NEW.id, NEW.owner)" >/dev/null
view_live="$live
CREATE VIEW doc_v AS SELECT id, owner, body FROM doc;
CREATE RULE doc_v_add AS ON INSERT TO doc_v DO INSTEAD INSERT INTO doc VALUES (NEW.id, NEW.owner);"
[ -z "$(plan "$view_live")" ] || fail "a kept view with its rule plans: $(plan "$view_live")"
got=$(plan "$live
CREATE VIEW doc_v AS SELECT id, owner FROM doc;
CREATE RULE doc_v_add AS ON INSERT TO doc_v DO INSTEAD INSERT INTO doc VALUES (NEW.id, NEW.owner);")
before "DROP RULE doc_v_add ON public.doc_v" "DROP VIEW public.doc_v"
before "DROP VIEW public.doc_v" "VALUES (new.id, new.owner) | DROP RULE doc_v_add ON public.doc_v"
[ "$(echo "$got" | grep -c "CREATE RULE doc_v_add AS")" = 2 ] || fail "not made again both ways: $got"
q -c "DROP VIEW doc_v" >/dev/null
# the command writes them into the migration it generates
mkdir "$work/m"
printf '%s\n' "$live" | sed 's/^CREATE POLICY doc_owner.*/&\nCREATE POLICY doc_read ON doc FOR SELECT USING (true);/' > "$work/schema.sql"
run 0 generate --db "$url" --to "$work/schema.sql" --dir "$work/m" read_policy
grep -rqF -- "CREATE POLICY doc_read ON public.doc AS PERMISSIVE FOR SELECT TO public USING (true)" "$work/m" ||
  fail "not in the migration: $(cat "$work"/m/* "$work/out" "$work/err")"
# publications (issue 66): not in the model; a desired file holding one
# is refused by name before anything runs, never planned without it in
# silence (a publication was "not a schema statement")
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
# operators (issue 66, Icinga DB): planned with policies and rules. A
# desired one is made after its function (before: refused by name)
like="CREATE FUNCTION text_like(text, int) RETURNS boolean LANGUAGE sql AS 'SELECT true';"
out=$(plan "$live
$like
CREATE OPERATOR ~~ (LEFTARG = text, RIGHTARG = int, PROCEDURE = text_like);")
echo "$out" | grep -qF "CREATE OPERATOR public.~~ (FUNCTION = public.text_like, LEFTARG = text, RIGHTARG = integer)" ||
  fail "the operator is not planned: $out"
[ "$(echo "$out" | grep -n 'OPERATOR' | cut -d: -f1)" -gt "$(echo "$out" | grep -n 'CREATE FUNCTION' | cut -d: -f1)" ] ||
  fail "the operator is made before its function: $out"
# a live one the desired file lacks is dropped before its function
# (before: a plan dropping the function under it passed its proof, which
# never held the operator, and failed when applied; then refused)
q -c "$like" -c "CREATE OPERATOR ~~ (LEFTARG = text, RIGHTARG = int, PROCEDURE = text_like)" >/dev/null
out=$(plan "$live")
echo "$out" | head -1 | grep -qF "DROP OPERATOR public.~~ (text, integer) | CREATE OPERATOR public.~~" &&
  echo "$out" | grep -qF "DROP FUNCTION public.text_like(text, integer) |" ||
  fail "the live operator is not dropped first: $out"
q -c "DROP FUNCTION text_like(text, int) CASCADE" >/dev/null
[ -z "$(plan "$live")" ] || fail "without the operator, the plan is not empty again"
# comments on what the schema model does not hold (issue 66, kind D): a
# schema's, a policy's, a rule's, a statistics object's, a composite
# type's and its column's, a trigger's: set by the desired file or only
# the live one, each planned as COMMENT ON with its reverse (before: left
# out in silence, and a live statistics object's made a down PostgreSQL
# could not parse); and a new statistics object is made after its table
# (before: left out of the plan in silence)
extra='CREATE SCHEMA app;
CREATE TYPE app.pair AS (a int, b text);
CREATE STATISTICS app.doc_st ON id, owner FROM doc;
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER doc_touch BEFORE INSERT ON doc FOR EACH ROW EXECUTE FUNCTION app.touch();'
q -c "$extra" >/dev/null
got=$(plan "$live
$extra")
[ -z "$got" ] || fail "unchanged statistics and comments plan: $got"
got=$(plan "$live
$extra
CREATE STATISTICS app.doc_st2 ON owner, body FROM doc;")
has "CREATE STATISTICS app.doc_st2 ON owner, body FROM public.doc | DROP STATISTICS app.doc_st2"
notes="COMMENT ON SCHEMA app IS 'n'; COMMENT ON POLICY doc_owner ON doc IS 'n';
COMMENT ON RULE log_keep ON log IS 'n'; COMMENT ON STATISTICS app.doc_st IS 'n';
COMMENT ON TYPE app.pair IS 'n'; COMMENT ON COLUMN app.pair.a IS 'n';
COMMENT ON TRIGGER doc_touch ON doc IS 'n';"
keys="SCHEMA app|POLICY doc_owner on public.doc|RULE log_keep on public.log|STATISTICS app.doc_st|TYPE app.pair|COLUMN app.pair.a|TRIGGER doc_touch on public.doc"
got=$(plan "$live
$extra
$notes")
IFS='|' read -ra objs <<<"$keys"
for k in "${objs[@]}"; do has "COMMENT ON $k IS 'n' | COMMENT ON $k IS NULL"; done
[ "$(echo "$got" | wc -l)" = 7 ] || fail "not 7 comment steps: $got"
q -c "$notes" >/dev/null
got=$(plan "$live
$extra")
for k in "${objs[@]}"; do has "COMMENT ON $k IS NULL | COMMENT ON $k IS 'n'"; done
[ -z "$(plan "$live
$extra
$notes")" ] || fail "kept comments plan"
q -c "DROP SCHEMA app CASCADE" -c "COMMENT ON POLICY doc_owner ON doc IS NULL" -c "COMMENT ON RULE log_keep ON log IS NULL" >/dev/null
# what no step plans (issue 66): a collation, a text search configuration
# and dictionary, a table's replica identity and CLUSTER ON, a column's
# statistics target, set by the desired file or by the live database
# only: refused by name (before: left out of the plan in silence); set
# alike on both sides, nothing to plan
unplanned() { # WHAT SQL: live + SQL is refused, naming WHAT
  local out
  if out=$(plan "$live
$2" 2>&1); then fail "$1: not refused: $out"; fi
  echo "$out" | grep -qF "dbcare: the desired schema and the live one differ in the $1, which the generator does not plan" ||
    fail "not refused by name ($1): $out"
}
unplanned "collation public.ci" "CREATE COLLATION ci (provider = libc, locale = 'C');"
unplanned "text search configuration public.my_ts" "CREATE TEXT SEARCH CONFIGURATION my_ts (COPY = simple);"
unplanned "text search dictionary public.my_d" "CREATE TEXT SEARCH DICTIONARY my_d (TEMPLATE = simple, STOPWORDS = english);"
unplanned "CLUSTER ON of table public.doc" "ALTER TABLE doc CLUSTER ON doc_pkey;"
unplanned "statistics target of column public.doc.body" "ALTER TABLE doc ALTER COLUMN body SET STATISTICS 500;"
full="ALTER TABLE doc REPLICA IDENTITY FULL;"
unplanned "replica identity of table public.doc" "$full"
q -c "$full" >/dev/null
if out=$(plan "$live" 2>&1); then fail "a live replica identity only: not refused: $out"; fi
echo "$out" | grep -qF "differ in the replica identity of table public.doc, which" || fail "live only, not refused by name: $out"
[ -z "$(plan "$live
$full")" ] || fail "a replica identity on both sides plans"
echo ok
