#!/usr/bin/env bash
# Every role recipe of the documentation works as written (issue 19, finding
# 12). Each SQL block marked <!-- role-recipe: KIND --> in README.md,
# docs/migrations.md and docs/security.md is taken from the markdown itself
# (so the docs and this test cannot drift), run as it stands in a fresh
# database, and the role it sets up then does its job, logged in as itself:
#   migrator   registers, applies, verifies and rolls back migrations (and,
#              where the block grants them, settings and relations); gets no
#              privilege on tables it does not need
#   settings   changes settings and declared relations
#   app        calls dbmigrate_assert right after a deploy
#   monitor    reads the health report, the metrics, the migration status,
#              records snapshots and runs the amcheck index check
set -eu
db=dbcare_docs_roles
. "$(dirname "$0")/lib/pg.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/test/script/lib/cli.sh"

# The fenced sql block after each marker, indentation removed, into
# $work/recipes/<n>.<kind>.sql; prints "<file> <kind>" per recipe.
extract() {
  mkdir -p "$work/recipes"
  awk -v dir="$work/recipes" -v src="$(basename "$1")" '
    match($0, /<!-- role-recipe: [a-z]+ -->/) {
      kind = substr($0, RSTART + 18, RLENGTH - 22); want = 1; next
    }
    want && /^[ \t]*```sql/ {
      indent = match($0, /[^ \t]/) - 1; want = 0; inblock = 1; n++
      out = sprintf("%s/%s.%d.%s.sql", dir, src, n, kind); print out " " kind; next
    }
    inblock && /^[ \t]*```/ { inblock = 0; next }
    inblock { print substr($0, indent + 1) > out }
  ' "$root/$1"
}
: > "$work/list"
for f in README.md docs/migrations.md docs/security.md; do
  extract "$f" | sed "s|^|$f |" >> "$work/list"
done
# every documented recipe is found (a marker lost in an edit fails here)
[ "$(awk '{print $1 ":" $3}' "$work/list" | sort | tr '\n' ' ')" = \
  "README.md:migrator README.md:monitor docs/migrations.md:app docs/migrations.md:migrator docs/security.md:monitor docs/security.md:settings " ] ||
  fail "recipes found: $(cat "$work/list")"

as() { # role, psql args: logged in as the role itself
  "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -U "$1" -d "$db" "${@:2}"
}
least() { # role, "'table', ...": the role gets no privilege on them
  [ "$(q -c "SELECT count(*) FROM unnest(ARRAY[$2]) t
             WHERE has_table_privilege('$1', t, 'SELECT, INSERT, UPDATE, DELETE')")" = 0 ] ||
    fail "$src $kind gets privileges it does not need: $(q -c "SELECT t, has_table_privilege('$1', t, 'SELECT') FROM unnest(ARRAY[$2]) t" 2>&1)"
}
roles_of() { grep -oiE 'CREATE ROLE [a-z_]+' "$1" | awk '{print $3}'; }
drop_roles() { # the database first: it holds the roles' grants
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" > /dev/null 2>&1 || true
  for r in migrator monitor app; do
    "$B/psql" -X -q -d postgres -c "DROP ROLE IF EXISTS $r" > /dev/null 2>&1 || true
  done
}
trap 'drop_roles; cleanup' EXIT

while read -r src file kind <&3; do
  drop_roles
  fresh_db
  # no amcheck beforehand: a recipe that grants on bt_index_check must install it
  # itself (issue 20, item 28: the GRANT failed as written on a database without it)
  # a block that grants to a role it does not create (the app's) gets it made first
  if ! grep -qiE 'CREATE ROLE' "$file"; then q -c "CREATE ROLE $kind LOGIN" > /dev/null; fi
  q -f "$file" > "$work/run.out" 2>&1 || fail "$src $kind recipe does not run as written: $(cat "$work/run.out")"
  role=$(roles_of "$file" | head -n 1); role=${role:-$kind}
  case $kind in
    migrator)
      q -c "GRANT CREATE ON SCHEMA public TO $role" > /dev/null   # "what the migrations themselves need"
      as "$role" -c "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE public.t1 (x int)', 'DROP TABLE public.t1')" \
        -c "SELECT dbmigrate_add('2', 'two', 'CREATE TABLE public.t2 (x int)', 'DROP TABLE public.t2')" > /dev/null 2> "$work/err" ||
        fail "$src migrator cannot register: $(cat "$work/err")"
      as "$role" -c "SELECT count(*) FROM dbmigrate_verify()" > /dev/null 2> "$work/err" || fail "$src migrator cannot verify: $(cat "$work/err")"
      [ "$(as "$role" -c "SELECT dbmigrate_apply()" 2> "$work/err")" = 2 ] || fail "$src migrator cannot apply: $(cat "$work/err")"
      # the command's rollback (it reads dbmigrate_online_done first), then forward again
      run 0 rollback --db "postgresql://$role@/$db?host=$PGHOST&port=$PGPORT"
      [ "$(as "$role" -c "SELECT dbmigrate_current()")" = 1 ] || fail "$src migrator: dbcare rollback did not roll back"
      [ "$(as "$role" -c "SELECT dbmigrate_apply()" 2> "$work/err")" = 1 ] || fail "$src migrator cannot apply again: $(cat "$work/err")"
      [ "$(as "$role" -c "SELECT dbmigrate_rollback('1')" 2> "$work/err")" = 1 ] || fail "$src migrator cannot roll back: $(cat "$work/err")"
      [ "$(as "$role" -c "SELECT dbmigrate_current()")" = 1 ] || fail "$src migrator: current"
      least "$role" "'dbcare.health_snapshots', 'dbcare.migrations_generation', 'dbcare.migrations_summary'"
      if grep -q 'dbcare_set' "$file"; then
        as "$role" -c "SELECT dbcare_set('health.ignore', 't1')" > /dev/null 2> "$work/err" || fail "$src migrator cannot set: $(cat "$work/err")"
      fi ;;
    settings)
      q -c "CREATE TABLE public.parent (id int PRIMARY KEY)" -c "CREATE TABLE public.child (pid int)" > /dev/null
      as "$role" -c "SELECT dbcare_set('health.ignore', 'child')" \
        -c "SELECT dbcheck_add_relation('child_parent', 'child', 'pid', 'parent', 'id')" \
        -c "SELECT dbcheck_drop_relation('child_parent')" > /dev/null 2> "$work/err" ||
        fail "$src settings role: $(cat "$work/err")"
      least "$role" "'dbcare.health_snapshots', 'dbcare.migrations_generation', 'dbcare.migrations_summary',
                     'dbcare.migrations', 'dbcare.migrations_applied', 'dbcare.migrations_history'" ;;
    app)
      # a deploy by the DBA, then at once the application's start-up check
      q -c "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE public.t1 (x int)')" -c "SELECT dbmigrate_apply()" > /dev/null
      [ "$(as "$role" -c "SELECT dbmigrate_assert('1')" 2> "$work/err")" = t ] || fail "$src app cannot assert after a deploy: $(cat "$work/err")"
      [ "$(as "$role" -c "SELECT dbmigrate_assert('1')" 2> "$work/err")" = t ] || fail "$src app: second assert: $(cat "$work/err")"
      [ "$(q -c "SELECT generation IS NOT NULL FROM dbcare.migrations_summary")" = t ] || fail "$src app did not store the summary" ;;
    monitor)
      q -c "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE public.t1 (x int PRIMARY KEY)')" -c "SELECT dbmigrate_apply()" > /dev/null
      as "$role" -c "SELECT count(*) FROM dbhealth_report()" -c "SELECT count(*) FROM dbmigrate_status()" \
        -c "SELECT dbmigrate_assert('1')" -c "SELECT dbhealth_metrics() IS NOT NULL" \
        -c "SELECT dbhealth_snapshot()" -c "SELECT bt_index_check('public.t1_pkey'::regclass, false)" > /dev/null 2> "$work/err" ||
        fail "$src monitor: $(cat "$work/err")"
      if as "$role" -c "SELECT script FROM dbcare.migrations" > /dev/null 2>&1; then fail "$src monitor reads migration SQL"; fi
      # the command's status from a checkout, whose files it may not register: a look at
      # what is committed, the folder's pending count beside it
      rm -rf mig && mkdir mig && echo 'CREATE TABLE public.t2 (x int);' > mig/V2__two.sql
      run 1 status --exit-code --dir mig --db "postgresql://$role@/$db?host=$PGHOST&port=$PGPORT"
      has "1 pending" err
      has "the files of mig are not registered to be compared" err ;;
  esac
  echo "$src $kind: ok"
done 3< "$work/list"
echo "documented role recipes: ok"
