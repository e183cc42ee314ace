#!/usr/bin/env bash
# A superuser's `dbcare restore` never runs the dump's code with its
# rights (docs/backups.md, "Who runs the dump's code"): a table owner's
# CHECK function that makes its owner a superuser when a superuser runs
# it stays harmless; the restored objects belong to the database's owner,
# who can read them; the restore role is gone afterwards; and a restore
# whose code fails leaves the database as empty as it was.
set -eu
db=dbcare_restore_code
. "$(dirname "$0")/lib/pg.sh"
into=${db}_into
owned_db dbcare_restore_alice "$into"
. "$(dirname "$0")/lib/cli.sh"
"$B/psql" -X -q -v ON_ERROR_STOP=1 -U "$owner" -d "$db" >/dev/null <<SQL
CREATE FUNCTION public.ok(int) RETURNS boolean LANGUAGE plpgsql AS \$\$ BEGIN
  IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
    EXECUTE 'ALTER ROLE $owner SUPERUSER'; END IF;
  IF current_setting('dbcare_test.fail', true) = 'on' AND current_user <> '$owner' THEN
    RAISE EXCEPTION 'refused for %', current_user; END IF;
  RETURN true; END \$\$;
CREATE TABLE public.items (id int PRIMARY KEY CHECK (public.ok(id)), v text);
INSERT INTO public.items VALUES (1, 'a'), (2, 'b');
COMMENT ON TABLE public.items IS 'the shop''s items';
SQL
q -c "SELECT dbaudit_enable('items')" >/dev/null
"$B/psql" -X -q -U "$owner" -d "$db" -c "UPDATE items SET v = 'c' WHERE id = 2" >/dev/null
url() { echo "postgresql://$PGUSER@/$1?host=$PGHOST&port=$PGPORT"; }
# a SECURITY DEFINER function (harmless while its owner owns it), and an
# event trigger calling the owner's code on DDL: made last, as a superuser
# may have (it fires on every later DDL of the database, a restore's too)
"$B/psql" -X -q -v ON_ERROR_STOP=1 -U "$owner" -d "$db" >/dev/null <<SQL
CREATE FUNCTION public.run(q text) RETURNS void SECURITY DEFINER LANGUAGE plpgsql AS \$\$ BEGIN EXECUTE q; END \$\$;
CREATE FUNCTION public.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS \$\$ BEGIN
  IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
    EXECUTE 'ALTER ROLE $owner SUPERUSER'; END IF; END \$\$;
SQL
logged=$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name = 'public.items'")
[ "$logged" -ge 1 ] || fail "the source logged nothing"
q -c "CREATE EVENT TRIGGER on_ddl ON ddl_command_start EXECUTE FUNCTION public.on_ddl()" >/dev/null
run 0 backup "$work/shop.dump" --db "$(url "$db")"
super() { "$B/psql" -X -At -d postgres -c "SELECT rolsuper FROM pg_roles WHERE rolname = '$owner'"; }
[ "$(super)" = f ] || fail "the owner is a superuser before the restore"

fresh_into() {
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $into" -c "CREATE DATABASE $into OWNER $owner" >/dev/null
}
fresh_into
# by a role that is no superuser: dbcare (not trusted) cannot be made, said
# before anything is restored
run 1 restore "$work/shop.dump" --db "postgresql://$owner@/$into?host=$PGHOST&port=$PGPORT"
has "shop.dump creates the extension dbcare, which only a superuser may create: nothing restored" err
has "HINT: Run the restore as a superuser" err
[ "$("$B/psql" -X -At -d "$into" -c "SELECT count(*) FROM pg_class WHERE relname = 'items'")" = 0 ] ||
  fail "a refused restore restored"
run 0 restore "$work/shop.dump" --db "$(url "$into")"
has "every row count and content hash the source's" out
[ "$(super)" = f ] ||
  fail "the restore ran the dump's code as a superuser: $owner became one"
[ "$("$B/psql" -X -At -d "$into" -c "SELECT tableowner FROM pg_tables WHERE tablename = 'items'")" = "$owner" ] ||
  fail "the restored table is not the database owner's"
[ "$("$B/psql" -X -At -U "$owner" -d "$into" -c "SELECT string_agg(v, ',' ORDER BY id) FROM items")" = a,c ] ||
  fail "the owner cannot read its restored rows"
[ "$("$B/psql" -X -At -d "$into" -c "SELECT obj_description('public.items'::regclass)")" = "the shop's items" ] ||
  fail "the table's comment was not restored"
[ "$("$B/psql" -X -At -d "$into" -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name = 'public.items'")" = "$logged" ] ||
  fail "dbcare's log rows were not restored"
"$B/psql" -X -q -U "$owner" -d "$into" -c "INSERT INTO items VALUES (3, 'd')" >/dev/null # its CHECK is the owner's code
[ "$("$B/psql" -X -At -d "$into" -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name = 'public.items'")" = $((logged + 1)) ] ||
  fail "the restored table is not audited"
[ "$("$B/psql" -X -At -d postgres -c "SELECT count(*) FROM pg_roles WHERE rolname ~ '^dbcare_restore_[0-9]+_[0-9]+$'")" = 0 ] ||
  fail "the restore role was left"
[ "$("$B/psql" -X -At -d "$into" -c "SELECT evtname FROM pg_event_trigger")" = on_ddl ] ||
  fail "the event trigger was not restored"
[ "$(super)" = f ] || fail "the event trigger ran the owner's code as a superuser"

# into a database another role owns (here a superuser), the owner's
# objects (the SECURITY DEFINER function) would become that role's and run
# with its rights: refused, nothing restored
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $into" -c "CREATE DATABASE $into" >/dev/null
run 1 restore "$work/shop.dump" --db "$(url "$into")"
has "shop.dump holds objects of $owner, and $into is owned by $PGUSER: restored, they would be $PGUSER's and run with its rights: nothing restored" err
has "HINT: Restore into a database $owner owns (CREATE DATABASE name OWNER $owner)" err
[ "$("$B/psql" -X -At -d "$into" -c "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'")" = 0 ] ||
  fail "a refused restore left functions"
[ "$(super)" = f ] || fail "the owner became a superuser"

# a dump whose record does not match what it restores (a count changed in
# the record): found before anything is kept, and nothing is left
/usr/bin/python3 - "$work/shop.dump" "$work/forged.dump" <<'PY'
import json, sys
data = open(sys.argv[1], "rb").read()
n = int(data[-13:-1], 16)
record = json.loads(data[-33 - n:-33])
content = json.loads(record["content"]) if isinstance(record["content"], str) else record["content"]
for t in content["tables"]:
    if t[0] == "public.items":
        t[1] += 1
record["content"] = content
text = json.dumps(record, separators=(",", ":"), sort_keys=True).encode()
out = data[:-33 - n] + text + b"\n" + b"DBCARE-DUMP-RECORD %012x\n" % len(text)
open(sys.argv[2], "wb").write(out)
PY
fresh_into
run 1 restore "$work/forged.dump" --db "$(url "$into")"
has "forged.dump differs from its source once restored: " err
has "; nothing restored" err
[ "$("$B/psql" -X -At -d "$into" -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'")" = 0 ] ||
  fail "a restore that differs from its record left relations"
[ "$("$B/psql" -X -At -d "$into" -c "SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql'")" = 0 ] ||
  fail "a restore that differs from its record left extensions"

# code that fails as any role but its owner: the restore fails, nothing is left
fresh_into
"$B/psql" -X -q -d postgres -c "ALTER DATABASE $into SET dbcare_test.fail = on" >/dev/null
run 1 restore "$work/shop.dump" --db "$(url "$into")"
has "refused for dbcare_restore_" err
[ "$("$B/psql" -X -At -d "$into" -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'")" = 0 ] ||
  fail "a failed restore left relations"
[ "$("$B/psql" -X -At -d "$into" -c "SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql'")" = 0 ] ||
  fail "a failed restore left extensions"
[ "$("$B/psql" -X -At -d postgres -c "SELECT count(*) FROM pg_roles WHERE rolname ~ '^dbcare_restore_[0-9]+_[0-9]+$'")" = 0 ] ||
  fail "a failed restore left its role"
# a superuser's function in the dump (an event trigger's, say), restored
# into the application's database, would become the application's to
# change, and run by the superuser's DDL: refused, nothing restored
q -c "CREATE FUNCTION public.admin_only() RETURNS int LANGUAGE sql AS 'SELECT 1'" >/dev/null
run 0 backup "$work/mixed.dump" --db "$(url "$db")"
fresh_into
run 1 restore "$work/mixed.dump" --db "$(url "$into")"
has "mixed.dump holds objects of $PGUSER, and $into is owned by $owner" err
[ "$("$B/psql" -X -At -d "$into" -c "SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql'")" = 0 ] ||
  fail "a refused restore made extensions"
echo ok
