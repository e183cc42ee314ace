#!/usr/bin/env bash
# Multixact age beside the xid age (issue 67): multixacts (row locks that
# several transactions share) wrap around at 2^31 like transaction IDs, and
# VACUUM freezes both. xid_wraparound reads mxid_age(datminmxid) of each
# database too: after two sessions share a row lock, the report gives this
# database's multixact age as the catalog says it.
set -eu
db=dbcare_health_multixact
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "CREATE TABLE t (id int PRIMARY KEY)" -c "INSERT INTO t VALUES (1)" >/dev/null
long_lived_session
s "BEGIN; SELECT id FROM t WHERE id = 1 FOR SHARE;" >/dev/null
# a second share lock on the same row makes a multixact
q -c "SELECT id FROM t WHERE id = 1 FOR SHARE" >/dev/null
s "COMMIT;" >/dev/null

mx=$(q -c "SELECT mxid_age(datminmxid) FROM pg_database WHERE datname = current_database()")
xid=$(q -c "SELECT age(datfrozenxid) FROM pg_database WHERE datname = current_database()")
[ "$mx" -gt 0 ] || fail "no multixact was made (mxid_age $mx)"
# a warn line of 0 % lists every database with its ages (an ok check names
# only the oldest)
q -c "SELECT dbcare_set('health.xid_wraparound.warn', '0')" >/dev/null
msg=$(q -c "SELECT message FROM dbhealth_checks('quick') WHERE name = 'xid_wraparound'")
echo "$msg"
case "$msg" in
  *"$db"*" transactions, $mx multixacts old"*) echo "ok: the database's multixact age ($mx) is reported" ;;
  *) fail "xid_wraparound does not give the multixact age $mx of $db: $msg" ;;
esac

echo "ok: xid age $xid, multixact age $mx"
