#!/usr/bin/env bash
# dbcare verify by a role that is not a superuser (issue 62; docs/backups.md
# "Verifying without a superuser"): the database uses dbcare (an audited
# table: its trigger calls dbcare.audit_trigger()), and dbcare is not a
# trusted extension, so the verifier may not create it in the scratch
# database. The verifier has CREATEROLE and CREATEDB and the catalog grants
# the docs name: the backup verifies, restored without dbcare and the
# dump's triggers (post-data: they never touch the rows compared), and a
# dump with a row lost still fails. The verifier gains nothing: it is no
# superuser after, and no extension is left behind.
set -eu
db=dbcare_nonsuper_verifies
. "$(dirname "$0")/lib/pg.sh"
fresh_db
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3
role=dbcare_nonsuper_verifier
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
vurl="postgresql://$role@/$db?host=$PGHOST&port=$PGPORT"
pq() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d postgres "$@"; }
trap 'pq -c "DROP OWNED BY '$role' CASCADE" -d "$db" >/dev/null 2>&1; pq -c "DROP ROLE IF EXISTS '$role'" >/dev/null 2>&1; cleanup' EXIT
pq -c "DROP ROLE IF EXISTS $role" -c "CREATE ROLE $role LOGIN CREATEDB CREATEROLE"
q -c "CREATE TABLE orders (id int PRIMARY KEY, total numeric NOT NULL)" \
  -c "INSERT INTO orders SELECT g, g * 2.5 FROM generate_series(1, 3000) g" \
  -c "SELECT dbaudit_enable('orders')" \
  -c "UPDATE orders SET total = total + 1 WHERE id % 10 = 0" >/dev/null
q -c "GRANT USAGE ON SCHEMA dbcare TO $role" \
  -c "GRANT SELECT, UPDATE ON dbcare.backups TO $role" \
  -c "GRANT EXECUTE ON FUNCTION dbbackup_verified(bigint, text) TO $role"
run 0 backup good.dump --db "$url"
run 0 verify good.dump --db "$vurl"
has "without the extension dbcare" err
run 0 verify good.dump --db "$vurl" --json
[ "$(json "d['verify']['verified']")" = True ] || fail "not verified: $(cat out)"
[ "$(q -c "SELECT status FROM dbcare.backups WHERE path = '$work/good.dump'")" = verified ] ||
  fail "the row is not verified"
# the same dump with one row less fails, though it restores
q -c "ALTER TABLE orders DISABLE TRIGGER USER" -c "DELETE FROM orders WHERE id = 1" \
  -c "ALTER TABLE orders ENABLE TRIGGER USER" >/dev/null
run 0 backup short.dump --db "$url"
# the short dump takes the good dump's place, its record the good one's
"$py" - good.dump short.dump <<'PY'
import sys
good, short = (open(p, 'rb').read() for p in sys.argv[1:3])
def split(b):
    n = int(b[-32:][19:31], 16)
    return b[:len(b) - 32 - 1 - n - 1], b[len(b) - 32 - 1 - n - 1:]
open(sys.argv[1], 'wb').write(split(short)[0] + split(good)[1])
PY
q -c "UPDATE dbcare.backups SET sha256 = NULL WHERE path = '$work/good.dump'" >/dev/null
run 1 verify good.dump --db "$vurl"
has "table public.orders has 2999 rows" err
[ "$(pq -c "SELECT rolsuper FROM pg_roles WHERE rolname = '$role'")" = f ] || fail "the verifier became a superuser"
[ "$(pq -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'dbcare_verify_%'")" = 0 ] || fail "a scratch database is left: $(pq -c "SELECT string_agg(datname, ' ') FROM pg_database WHERE datname LIKE 'dbcare_verify_%'"); $(cat err)"
echo "ok: a non-superuser verified a dump of a database that uses dbcare"
