#!/usr/bin/env bash
# Retention's deletes (dbretain_apply, dbretain_run, dbsoftdelete_purge) and
# an archive's inserts fire the tables' triggers, rules and row security
# policies with the caller's rights. A table owner's BEFORE DELETE trigger
# made its owner a superuser when a superuser's scheduled retention ran over
# the table. Now a policy whose statements would run code of a role that is
# neither a superuser nor one whose rights the caller has is refused, naming
# that code, and nothing runs: a trigger's function or WHEN clause, a trigger
# on an inheritance child, an archive's default or CHECK. Run by that role,
# or with only a superuser's or dbcare's own code, it works.
set -eu
db=dbcare_retain_owner_code
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "DROP ROLE IF EXISTS dbc_mal" -c "CREATE ROLE dbc_mal LOGIN" \
  -c "CREATE SCHEMA mal AUTHORIZATION dbc_mal" >/dev/null
q -c "SET ROLE dbc_mal" \
  -c "CREATE FUNCTION mal.esc() RETURNS trigger LANGUAGE plpgsql AS \$\$
      BEGIN
        IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
          EXECUTE 'ALTER ROLE dbc_mal SUPERUSER';
        END IF;
        RETURN OLD;
      END\$\$" \
  -c "CREATE TABLE mal.ev (id int PRIMARY KEY, at timestamptz NOT NULL)" \
  -c "INSERT INTO mal.ev SELECT i, now() - interval '60 days' FROM generate_series(1, 5) i" \
  -c "CREATE TABLE mal.sd (id int PRIMARY KEY, v text)" \
  -c "INSERT INTO mal.sd SELECT i, 'x' FROM generate_series(1, 3) i" >/dev/null
q -c "SELECT dbretain_add('ev', 'mal.ev', 'at', '30 days', 'delete')" >/dev/null
q -c "CREATE TRIGGER esc BEFORE DELETE ON mal.ev FOR EACH ROW EXECUTE FUNCTION mal.esc()" >/dev/null
super() { q -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'dbc_mal'"; }

# 1. A superuser's dbretain_apply and dbretain_run are refused.
out=$(q -c "SELECT * FROM dbretain_apply('ev', 100)" 2>&1) && fail "dbretain_apply ran: $out"
case "$out" in
  *"dbcare: retention policy \"ev\": the DELETE on table mal.ev would run trigger esc of mal.ev (function mal.esc(), owned by dbc_mal; table owned by dbc_mal) with your rights"*) ;;
  *) fail "dbretain_apply: $out" ;;
esac
out=$(q -c "CALL dbretain_run('ev')" 2>&1) && fail "dbretain_run ran: $out"
case "$out" in *"would run trigger esc"*) ;; *) fail "dbretain_run: $out" ;; esac
[ "$(super)" = f ] || fail "the owner's trigger made its owner a superuser"
[ "$(q -c "SELECT count(*) FROM mal.ev")" = 5 ] || fail "rows were deleted"

# 2. dbsoftdelete_purge over a soft-delete table its owner gave a trigger.
q -c "SELECT dbsoftdelete_enable('mal.sd')" -c "DELETE FROM mal.sd WHERE id = 1" >/dev/null
q -c "CREATE TRIGGER esc BEFORE DELETE ON mal.sd FOR EACH ROW EXECUTE FUNCTION mal.esc()" >/dev/null
out=$(q -c "SELECT dbsoftdelete_purge('mal.sd')" 2>&1) && fail "dbsoftdelete_purge ran: $out"
case "$out" in *"dbcare: dbsoftdelete_purge: the DELETE on table mal.sd would run trigger esc"*) ;; *) fail "purge: $out" ;; esac
[ "$(super)" = f ] || fail "the purge made the owner a superuser"

# 3. An archive whose owner gave it an INSERT trigger.
q -c "DROP TRIGGER esc ON mal.ev" -c "SELECT dbretain_drop('ev')" >/dev/null
q -c "SET ROLE dbc_mal" -c "CREATE TABLE mal.ev_archive (id int, at timestamptz, archived_at timestamptz NOT NULL)" \
  -c "CREATE FUNCTION mal.esc_ins() RETURNS trigger LANGUAGE plpgsql AS \$\$
      BEGIN
        IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
          EXECUTE 'ALTER ROLE dbc_mal SUPERUSER';
        END IF;
        RETURN NEW;
      END\$\$" \
  -c "CREATE TRIGGER esc_ins BEFORE INSERT ON mal.ev_archive FOR EACH ROW EXECUTE FUNCTION mal.esc_ins()" >/dev/null
q -c "SELECT dbretain_add('ev', 'mal.ev', 'at', '30 days', 'archive', 'mal.ev_archive')" >/dev/null
out=$(q -c "SELECT * FROM dbretain_apply('ev', 100)" 2>&1) && fail "the archive run ran: $out"
case "$out" in *"the INSERT on table mal.ev_archive would run trigger esc_ins"*) ;; *) fail "archive: $out" ;; esac
[ "$(super)" = f ] || fail "the archive's trigger made its owner a superuser"

# 4. Other ways the owner's code runs: a WHEN clause on a trigger whose
# function is a built-in; a trigger on an inheritance child the purge
# reaches; an archive whose default or CHECK calls the owner's function.
q -c "DROP TRIGGER esc_ins ON mal.ev_archive" >/dev/null
q -c "SET ROLE dbc_mal" -c "CREATE FUNCTION mal.w() RETURNS boolean LANGUAGE plpgsql AS \$\$
      BEGIN
        IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
          EXECUTE 'ALTER ROLE dbc_mal SUPERUSER';
        END IF;
        RETURN false;
      END\$\$" \
  -c "CREATE TRIGGER w BEFORE DELETE ON mal.ev FOR EACH ROW WHEN (mal.w())
      EXECUTE FUNCTION pg_catalog.suppress_redundant_updates_trigger()" >/dev/null
out=$(q -c "SELECT * FROM dbretain_apply('ev', 100)" 2>&1) && fail "the WHEN clause's run ran: $out"
case "$out" in *"would run trigger w of mal.ev"*) ;; *) fail "WHEN: $out" ;; esac
q -c "DROP TRIGGER w ON mal.ev" >/dev/null
q -c "SET ROLE dbc_mal" -c "ALTER TABLE mal.ev_archive ADD COLUMN note boolean DEFAULT mal.w()" >/dev/null
out=$(q -c "SELECT * FROM dbretain_apply('ev', 100)" 2>&1) && fail "the archive's default ran: $out"
case "$out" in *"the INSERT on table mal.ev_archive would run an expression of mal.ev_archive"*"mal.w()"*) ;; *) fail "default: $out" ;; esac
q -c "SET ROLE dbc_mal" -c "ALTER TABLE mal.ev_archive DROP COLUMN note" \
  -c "ALTER TABLE mal.ev_archive ADD CONSTRAINT c CHECK (mal.w() IS NOT NULL)" >/dev/null
out=$(q -c "SELECT * FROM dbretain_apply('ev', 100)" 2>&1) && fail "the archive's CHECK ran: $out"
case "$out" in *"would run an expression of mal.ev_archive"*) ;; *) fail "CHECK: $out" ;; esac
q -c "SET ROLE dbc_mal" -c "ALTER TABLE mal.ev_archive DROP CONSTRAINT c" \
  -c "CREATE TABLE mal.sdc () INHERITS (mal.sd)" \
  -c "CREATE TRIGGER esc BEFORE DELETE ON mal.sdc FOR EACH ROW EXECUTE FUNCTION mal.esc()" >/dev/null
q -c "DROP TRIGGER esc ON mal.sd" >/dev/null
out=$(q -c "SELECT dbsoftdelete_purge('mal.sd')" 2>&1) && fail "the purge reached a child's trigger: $out"
case "$out" in *"would run trigger esc of mal.sdc"*) ;; *) fail "inheritance child: $out" ;; esac
q -c "DROP TABLE mal.sdc" >/dev/null
[ "$(super)" = f ] || fail "the owner became a superuser"

# Allowed: the superuser's own trigger function on a table the superuser
# owns, dbcare's own soft-delete trigger on the owner's table, and an
# archive of the owner's whose default calls a built-in.
q -c "CREATE TABLE public.own (id int PRIMARY KEY, at timestamptz NOT NULL)" \
  -c "INSERT INTO public.own SELECT i, now() - interval '60 days' FROM generate_series(1, 3) i" \
  -c "CREATE FUNCTION public.dbc_count_del() RETURNS trigger LANGUAGE plpgsql AS \$\$BEGIN RETURN OLD; END\$\$" \
  -c "CREATE TRIGGER count_del BEFORE DELETE ON public.own FOR EACH ROW EXECUTE FUNCTION public.dbc_count_del()" \
  -c "SELECT dbretain_add('own', 'public.own', 'at', '30 days', 'delete')" >/dev/null
[ "$(q -c "SELECT deleted FROM dbretain_apply('own', 100)")" = 3 ] || fail "a superuser's own trigger blocked the run"
q -c "SET ROLE dbc_mal" -c "ALTER TABLE mal.ev_archive ADD COLUMN seen timestamptz DEFAULT now()" >/dev/null
[ "$(q -c "SELECT archived FROM dbretain_apply('ev', 100)")" = 5 ] || fail "a built-in default blocked the archive"
[ "$(q -c "SELECT dbsoftdelete_purge('mal.sd')")" = 1 ] || fail "dbcare's own soft-delete trigger blocked the purge"
q -c "DELETE FROM mal.sd WHERE id = 2" >/dev/null

# 5. A role with the owner's rights runs the owner's code as itself: allowed.
q -c "DROP ROLE IF EXISTS dbc_ops" -c "CREATE ROLE dbc_ops LOGIN IN ROLE dbc_mal" \
  -c "GRANT USAGE ON SCHEMA dbcare TO dbc_ops" \
  -c "GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA dbcare TO dbc_ops" \
  -c "GRANT EXECUTE ON FUNCTION dbsoftdelete_purge(text, text) TO dbc_ops" >/dev/null
q -c "CREATE TRIGGER esc BEFORE DELETE ON mal.sd FOR EACH ROW EXECUTE FUNCTION mal.esc()" >/dev/null
[ "$(q -c "SET ROLE dbc_ops" -c "SELECT dbsoftdelete_purge('mal.sd')")" = 1 ] || fail "the owner's member could not purge"
[ "$(super)" = f ] || fail "the owner became a superuser"

# 6. dbsoftdelete_restore's UPDATE fires the table's UPDATE triggers and
# rules and evaluates its CHECKs, domains, generated columns and index
# expressions with the caller's rights: refused as the purge is, for each.
q -c "DROP TRIGGER esc ON mal.sd" -c "DELETE FROM mal.sd WHERE id = 3" >/dev/null
q -c "SET ROLE dbc_mal" -c "CREATE FUNCTION mal.wi(timestamptz) RETURNS boolean IMMUTABLE LANGUAGE plpgsql AS \$\$
      BEGIN
        IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
          EXECUTE 'ALTER ROLE dbc_mal SUPERUSER';
        END IF;
        RETURN true;
      END\$\$" >/dev/null
restore_refused() { # $1: what the refusal names
  local out
  out=$(q -c "SELECT dbsoftdelete_restore('mal.sd', '{\"id\": 3}')" 2>&1) && fail "the restore ran past $1: $out"
  case "$out" in
    *"dbcare: dbsoftdelete_restore: the UPDATE on table mal.sd would run $1"*) ;;
    *) fail "restore past $1: $out" ;;
  esac
  [ "$(super)" = f ] || fail "the restore made the owner a superuser ($1)"
  [ "$(q -c "SELECT deleted_at IS NOT NULL FROM mal.sd WHERE id = 3")" = t ] || fail "the row was restored ($1)"
}
q -c "SET ROLE dbc_mal" -c "CREATE TRIGGER esc_upd BEFORE UPDATE ON mal.sd FOR EACH ROW EXECUTE FUNCTION mal.esc_ins()" >/dev/null
restore_refused "trigger esc_upd of mal.sd"
q -c "SET ROLE dbc_mal" -c "DROP TRIGGER esc_upd ON mal.sd" \
  -c "CREATE RULE r AS ON UPDATE TO mal.sd DO ALSO SELECT mal.w()" >/dev/null
restore_refused "rule r of mal.sd"
q -c "SET ROLE dbc_mal" -c "DROP RULE r ON mal.sd" \
  -c "CREATE DOMAIN mal.stamp AS timestamptz CHECK (mal.wi(VALUE))" \
  -c "ALTER TABLE mal.sd ALTER COLUMN deleted_at TYPE mal.stamp" >/dev/null
restore_refused "an expression of mal.sd (a default, CHECK, domain or index calling mal.wi("
q -c "SET ROLE dbc_mal" -c "ALTER TABLE mal.sd ALTER COLUMN deleted_at TYPE timestamptz" \
  -c "CREATE INDEX sd_w ON mal.sd ((mal.wi(deleted_at)))" >/dev/null
restore_refused "an expression of mal.sd"
q -c "SET ROLE dbc_mal" -c "DROP INDEX mal.sd_w" \
  -c "ALTER TABLE mal.sd ADD COLUMN g boolean GENERATED ALWAYS AS (mal.wi(deleted_at)) STORED" >/dev/null
restore_refused "an expression of mal.sd"
# a row security policy binds a caller who is neither a superuser nor the
# owner: its function would run with that caller's rights
q -c "SET ROLE dbc_mal" -c "ALTER TABLE mal.sd DROP COLUMN g" \
  -c "ALTER TABLE mal.sd ENABLE ROW LEVEL SECURITY" \
  -c "CREATE POLICY p ON mal.sd USING (mal.w() OR true)" >/dev/null
q -c "DROP ROLE IF EXISTS dbc_other" -c "CREATE ROLE dbc_other LOGIN" \
  -c "GRANT USAGE ON SCHEMA dbcare, mal TO dbc_other" \
  -c "GRANT SELECT ON ALL TABLES IN SCHEMA dbcare TO dbc_other" \
  -c "GRANT SELECT, UPDATE ON mal.sd TO dbc_other" \
  -c "GRANT EXECUTE ON FUNCTION dbsoftdelete_restore(text, jsonb) TO dbc_other" >/dev/null
out=$(q -c "SET ROLE dbc_other" -c "SELECT dbsoftdelete_restore('mal.sd', '{\"id\": 3}')" 2>&1) &&
  fail "another role's restore ran the owner's policy: $out"
case "$out" in *"would run row security policy p of mal.sd"*) ;; *) fail "policy: $out" ;; esac
q -c "SET ROLE dbc_mal" -c "DROP POLICY p ON mal.sd" -c "ALTER TABLE mal.sd DISABLE ROW LEVEL SECURITY" >/dev/null
[ "$(q -c "SELECT dbsoftdelete_restore('mal.sd', '{\"id\": 3}')")" = 1 ] || fail "a plain restore failed"
[ "$(super)" = f ] || fail "the owner became a superuser"

# 7. Code added while a call runs: the check is read under the statement's
# own lock. The owner creates a trigger in an open transaction (holding
# the lock CREATE TRIGGER takes), a superuser's call starts, and the owner
# commits once the call waits for that lock: the call must see the trigger
# and refuse, never run it. First dbretain_apply, then a later batch of
# dbretain_run (the first batch committed before the trigger came).
q -c "SET ROLE dbc_mal" -c "CREATE TABLE mal.race (id int PRIMARY KEY, at timestamptz NOT NULL)" \
  -c "CREATE INDEX race_at ON mal.race (at)" \
  -c "INSERT INTO mal.race SELECT i, now() - interval '60 days' + i * interval '1 second' FROM generate_series(1, 2000) i" >/dev/null
q -c "SELECT dbretain_add('race', 'mal.race', 'at', '30 days', 'delete')" >/dev/null
long_lived_session
waiting() { # until a session waits for a lock on mal.race
  for _ in $(seq 1 300); do
    [ "$(q -c "SELECT count(*) FROM pg_locks WHERE relation = 'mal.race'::regclass AND NOT granted")" = 0 ] || return 0
    sleep 0.05
  done
  fail "no call waited for the owner's lock on mal.race"
}
s "SET ROLE dbc_mal; BEGIN; CREATE TRIGGER esc BEFORE DELETE ON mal.race FOR EACH ROW EXECUTE FUNCTION mal.esc();" >/dev/null
q -c "SELECT * FROM dbretain_apply('race', 100)" > "$work/race1" 2>&1 &
call=$!
waiting
s "COMMIT;" >/dev/null
wait "$call" && fail "dbretain_apply ran past a trigger committed while it waited: $(cat "$work/race1")"
grep -q 'would run trigger esc of mal.race' "$work/race1" || fail "race, apply: $(cat "$work/race1")"
[ "$(super)" = f ] || fail "a trigger committed during dbretain_apply made its owner a superuser"
[ "$(q -c "SELECT count(*) FROM mal.race")" = 2000 ] || fail "dbretain_apply deleted rows"
s "DROP TRIGGER esc ON mal.race;" >/dev/null
# The same under REPEATABLE READ: the caller's snapshot is taken before the
# owner commits, so the check must read the catalog past it (as the write
# that follows would run the trigger).
s "BEGIN; CREATE TRIGGER esc BEFORE DELETE ON mal.race FOR EACH ROW EXECUTE FUNCTION mal.esc();" >/dev/null
q -c "BEGIN ISOLATION LEVEL REPEATABLE READ" -c "SELECT count(*) FROM mal.race" \
  -c "SELECT * FROM dbretain_apply('race', 100)" -c "COMMIT" > "$work/race_rr" 2>&1 &
call=$!
waiting
s "COMMIT;" >/dev/null
wait "$call" && fail "dbretain_apply under REPEATABLE READ ran past a trigger committed while it waited: $(cat "$work/race_rr")"
grep -q 'would run trigger esc of mal.race' "$work/race_rr" || fail "race, repeatable read: $(cat "$work/race_rr")"
[ "$(super)" = f ] || fail "a trigger committed during a REPEATABLE READ call made its owner a superuser"
[ "$(q -c "SELECT count(*) FROM mal.race")" = 2000 ] || fail "dbretain_apply under REPEATABLE READ deleted rows"
s "DROP TRIGGER esc ON mal.race;" >/dev/null
q -c "SELECT dbcare_set('retain.batch_size', '500')" -c "SELECT dbcare_set('retain.sleep_ms', '1500')" >/dev/null
q -c "CALL dbretain_run('race')" > "$work/race2" 2>&1 &
call=$!
for _ in $(seq 1 300); do
  [ "$(q -c "SELECT count(*) FROM mal.race")" = 2000 ] || break
  sleep 0.05
done
[ "$(q -c "SELECT count(*) FROM mal.race")" = 1500 ] || fail "the first batch of dbretain_run did not commit alone"
s "BEGIN; CREATE TRIGGER esc BEFORE DELETE ON mal.race FOR EACH ROW EXECUTE FUNCTION mal.esc();" >/dev/null
waiting
s "COMMIT;" >/dev/null
wait "$call" && fail "dbretain_run ran past a trigger committed between its batches: $(cat "$work/race2")"
grep -q 'would run trigger esc of mal.race' "$work/race2" || fail "race, run: $(cat "$work/race2")"
[ "$(super)" = f ] || fail "a trigger committed between batches made its owner a superuser"
[ "$(q -c "SELECT count(*) FROM mal.race")" = 1500 ] || fail "the refused batch deleted rows"
[ "$(q -c "SELECT deleted_rows FROM dbretain_policies WHERE name = 'race'")" = 500 ] ||
  fail "the committed batch was not counted exactly"
q -c "SELECT dbcare_set('retain.sleep_ms', '0')" -c "SELECT dbretain_drop('race')" >/dev/null
exec 3>&-

q -c "SELECT dbretain_drop('ev')" -c "SELECT dbretain_drop('own')" -c "SELECT dbsoftdelete_disable('mal.sd')" \
  -c "DROP SCHEMA mal CASCADE" -c "DROP TABLE public.own" -c "DROP FUNCTION public.dbc_count_del()" \
  -c "DROP OWNED BY dbc_ops" -c "DROP ROLE dbc_ops" -c "DROP OWNED BY dbc_other" -c "DROP ROLE dbc_other" \
  -c "DROP ROLE dbc_mal" >/dev/null
echo "ok: retention runs no other role's trigger with the caller's rights"
