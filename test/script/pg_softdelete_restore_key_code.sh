#!/usr/bin/env bash
# dbsoftdelete_restore names rows by primary key: each key value arrives as
# a text (or bigint, ...) parameter and is CAST to the key column's type.
# A role that owns that type may create a cast into it WITH FUNCTION, and
# a domain the key is built of (here: an attribute of a composite key) runs
# its CHECK when the value is read in; both ran with the caller's rights,
# so a superuser restoring a row of another role's table made that role a
# superuser. Now such a restore is refused, naming the code, before
# anything runs; the table's owner can restore, and a key type with no
# such code (a plain enum of the same owner) restores for the superuser.
set -eu
db=dbcare_softdelete_restore_key_code
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "DROP ROLE IF EXISTS dbc_keymal" -c "CREATE ROLE dbc_keymal LOGIN" \
  -c "CREATE SCHEMA mal AUTHORIZATION dbc_keymal" \
  -c "GRANT EXECUTE ON FUNCTION dbsoftdelete_restore(text, jsonb) TO dbc_keymal" \
  -c "GRANT USAGE ON SCHEMA dbcare TO dbc_keymal" -c "GRANT SELECT ON dbcare.softdelete TO dbc_keymal" >/dev/null
q -c "SET ROLE dbc_keymal" \
  -c "CREATE TYPE mal.k AS ENUM ('a', 'b')" \
  -c "CREATE FUNCTION mal.esc() RETURNS void LANGUAGE plpgsql AS \$\$
      BEGIN
        IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
          EXECUTE 'ALTER ROLE dbc_keymal SUPERUSER';
        END IF;
      END\$\$" \
  -c "CREATE FUNCTION mal.to_k(text) RETURNS mal.k LANGUAGE plpgsql AS \$\$
      BEGIN
        PERFORM mal.esc();
        RETURN (SELECT e FROM unnest(enum_range(NULL::mal.k)) e WHERE e::text = \$1);
      END\$\$" \
  -c "CREATE CAST (text AS mal.k) WITH FUNCTION mal.to_k(text)" \
  -c "CREATE TABLE mal.t (id mal.k PRIMARY KEY, v int)" \
  -c "INSERT INTO mal.t VALUES ('a', 1), ('b', 2)" \
  -c "CREATE FUNCTION mal.ok(int) RETURNS boolean LANGUAGE plpgsql AS \$\$
      BEGIN PERFORM mal.esc(); RETURN true; END\$\$" \
  -c "CREATE DOMAIN mal.d AS int CHECK (mal.ok(VALUE))" \
  -c "CREATE TYPE mal.pair AS (a mal.d, b int)" \
  -c "CREATE TABLE mal.p (id mal.pair PRIMARY KEY)" \
  -c "INSERT INTO mal.p VALUES (ROW(1, 1))" \
  -c "CREATE TYPE mal.plain AS ENUM ('x', 'y')" \
  -c "CREATE TABLE mal.e (id mal.plain PRIMARY KEY)" \
  -c "INSERT INTO mal.e VALUES ('x')" >/dev/null
for t in t p e; do
  q -c "SELECT dbsoftdelete_enable('mal.$t')" -c "DELETE FROM mal.$t" >/dev/null
done
super() { q -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'dbc_keymal'"; }

# 1. The key's cast: refused, naming it; nothing restored, nobody promoted.
out=$(q -c "SELECT dbsoftdelete_restore('mal.t', '{\"id\": \"a\"}')" 2>&1) &&
  fail "the restore ran the owner's cast: $out"
case "$out" in
  *"dbcare: dbsoftdelete_restore: the UPDATE on table mal.t would run a cast from text to mal.k of a key value (function mal.to_k(text), owned by dbc_keymal) with your rights"*) ;;
  *) fail "restore through a cast: $out" ;;
esac
[ "$(super)" = f ] || fail "the key's cast made its owner a superuser"
[ "$(q -c "SELECT count(*) FROM mal.t WHERE deleted_at IS NULL")" = 0 ] || fail "a row was restored"

# 2. A domain inside a composite key: its CHECK runs when the key is read in.
out=$(q -c "SELECT dbsoftdelete_restore('mal.p', '{\"id\": \"(1,1)\"}')" 2>&1) &&
  fail "the restore ran the domain's CHECK: $out"
case "$out" in *"would run an expression of mal.p"*"mal.ok(integer), owned by dbc_keymal"*) ;;
  *) fail "restore through a domain: $out" ;; esac
[ "$(super)" = f ] || fail "the key's domain made its owner a superuser"

# 3. A key type of the same owner without code of its own restores.
[ "$(q -c "SELECT dbsoftdelete_restore('mal.e', '{\"id\": \"x\"}')")" = 1 ] ||
  fail "a plain enum key was not restored"

# 4. The owner restores its own rows: its code runs with its own rights.
[ "$(q -c "SET ROLE dbc_keymal" -c "SELECT dbsoftdelete_restore('mal.t', '[{\"id\": \"a\"}, {\"id\": \"b\"}]')")" = 2 ] ||
  fail "the owner could not restore"
[ "$(super)" = f ] || fail "the owner's own restore promoted it"
q -c "DROP SCHEMA mal CASCADE" -c "DROP OWNED BY dbc_keymal" -c "DROP ROLE dbc_keymal" >/dev/null 2>&1 || true
echo "ok: a restore runs no key cast or domain of another role"
