#!/usr/bin/env bash
# A unique index whose CREATE UNIQUE INDEX CONCURRENTLY failed on duplicate
# keys is left invalid. Building it again (REINDEX, or drop and create) fails
# the same way while the duplicates remain, so the invalid_indexes hint must
# not send users there first: it gives the query that finds them, and that
# query, run as written, finds exactly the duplicated keys.
set -eu
db=dbcare_invalid_unique
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "CREATE TABLE customer (customer_id int PRIMARY KEY, email text, country text)" \
  -c "INSERT INTO customer SELECT i, 'c' || i || '@example.org', 'NO' FROM generate_series(1, 50) i" \
  -c "INSERT INTO customer VALUES (51, 'c7@example.org', 'SE'), (52, 'c9@example.org', 'SE')"
# fails on the duplicates and leaves the invalid index behind
if q -c "CREATE UNIQUE INDEX CONCURRENTLY customer_email ON customer (lower(email)) WHERE country IS NOT NULL" 2>/dev/null; then
  fail "the unique index was built over duplicates"
fi

status=$(q -c "SELECT status FROM dbhealth_checks('quick') WHERE name = 'invalid_indexes'")
[ "$status" = warning ] || fail "invalid_indexes: status $status, want warning"
hint=$(q -c "SELECT hint FROM dbhealth_checks('quick') WHERE name = 'invalid_indexes'")
echo "hint: $hint"
case "$hint" in
  *"SELECT lower(email), count(*) FROM public.customer WHERE country IS NOT NULL GROUP BY lower(email) HAVING count(*) > 1"*) echo "ok: the hint gives the query" ;;
  *) fail "the hint does not give the query that finds the duplicates: $hint" ;;
esac
case "$hint" in
  *REINDEX*) fail "the hint says REINDEX, which fails on the duplicates: $hint" ;;
esac
query=${hint#*: }
query=${query%% finds them*}
got=$(q -c "$query ORDER BY 1")
want='c7@example.org|2
c9@example.org|2'
[ "$got" = "$want" ] || fail "the hint's query gives '$got', want '$want'"
echo "ok: the hint's query finds the duplicated keys"
msg=$(q -c "SELECT message FROM dbhealth_checks('quick') WHERE name = 'invalid_indexes'")
[ "$msg" = "1 invalid index: public.customer_email" ] || fail "message: $msg"
echo "ok: the message names the index alone"
