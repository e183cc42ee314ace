#!/usr/bin/env bash
# The day the database is gone, on PostgreSQL, with pg_dump (issue 62;
# docs/backups.md "The day the database is gone" runs these steps): a
# schema written as code, `dbcare generate` and `dbcare migrate`, rows,
# then `dbcare backup` of a plain and a sealed dump; the database dropped
# with its catalog; each dump restored from the file alone into a new
# database by `dbcare restore`, then checked by `dbcare verify` and
# `dbcare backup drill` with no catalog row naming it. Every table's row
# count and content hash must equal the source's.
set -eu
db=dbcare_journey_pg_dump
. "$(dirname "$0")/lib/pg.sh"
fresh_db
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3
base="postgresql://$PGUSER@/%s?host=$PGHOST&port=$PGPORT"
url=$(printf "$base" "$db")
plain_db=${db}_plain
sealed_db=${db}_sealed
trap 'for d in $plain_db $sealed_db; do "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1; done; cleanup' EXIT

# every user table: its name, row count and the md5 of its rows' text, sorted
state() { # database
  "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SELECT format('SELECT %L || '' '' || count(*) || '' '' || coalesce(md5(string_agg(x::text, E''\n'' ORDER BY x::text)), ''-'') FROM %s AS x',
              c.oid::regclass::text, c.oid::regclass)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbcare')
   AND n.nspname NOT LIKE 'pg_toast%'
 ORDER BY 1 \gexec
SQL
}

# --- before: the schema as code, generated and migrated, then rows
mkdir db
cat >db/schema.sql <<'SQL'
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, created timestamptz NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id),
  total numeric(12,2) NOT NULL CHECK (total >= 0), note text);
CREATE INDEX orders_customer_id ON orders (customer_id);
SQL
run 0 generate --to db/schema.sql create_shop --db "$url"
run 0 migrate --db "$url"
q -c "INSERT INTO customers SELECT g, 'c' || g || '@example.com', '2026-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, 2000) g" \
  -c "INSERT INTO orders SELECT g, 1 + g % 2000, (g % 500) * 1.25, CASE WHEN g % 3 = 0 THEN 'gift' END FROM generate_series(1, 20000) g"
state "$db" >want
[ "$(wc -l <want)" -ge 2 ] || fail "the source has $(wc -l <want) tables"

run 0 backup nightly.dump --db "$url"
head -c 32 /dev/urandom >backup.key
chmod 600 backup.key
run 0 backup nightly-sealed.dump --compress zstd --encrypt-key-file backup.key --db "$url"

# --- the database is gone, and its catalog with it
"$B/psql" -X -q -d postgres -c "DROP DATABASE $db" >/dev/null

# --- restore each dump from the file alone into a new database
for kind in plain sealed; do
  new=$(printf "$base" "${db}_$kind")
  run 0 create --db "$new"
  if [ $kind = plain ]; then
    run 0 restore nightly.dump --db "$new"
    file=nightly.dump key=()
  else
    run 0 restore nightly-sealed.dump --encrypt-key-file backup.key --db "$new"
    file=nightly-sealed.dump key=(--encrypt-key-file backup.key)
  fi
  has "every row count and content hash the source's" out
  run 0 verify "$file" "${key[@]}" --db "$new"
  run 0 backup drill "$file" "${key[@]}" --db "$new" --json
  [ "$(json "d['drill']['ok']")" = True ] || fail "$kind: the drill is not ok: $(cat out)"
  state "${db}_$kind" >got
  cmp -s want got || fail "$kind: the restored rows differ: $(diff want got | head -5)"
  echo "$kind: $(wc -l <got) tables restored, verified and drilled from the file alone"
done

# a restore never mixes a dump into a database that holds something
run 1 restore nightly.dump --db "$(printf "$base" "$plain_db")"
has "is not empty" err
has "HINT: Restore into a new database" err
# a sealed dump without its key restores nothing
"$B/psql" -X -q -d postgres -c "DROP DATABASE $sealed_db" >/dev/null
run 0 create --db "$(printf "$base" "$sealed_db")"
run 1 restore nightly-sealed.dump --db "$(printf "$base" "$sealed_db")"
has "encrypt-key-file" err
[ "$("$B/psql" -X -q -At -d "$sealed_db" -c "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace")" = 0 ] ||
  fail "a sealed dump restored without its key left objects behind"
# a changed row in a plain dump's record: verify fails, naming the table
cp nightly.dump changed.dump
"$py" - changed.dump <<'PY'
import sys, re
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
foot = b[-32:]
n = int(foot[19:31], 16)
start = len(b) - 32 - 1 - n
rec = bytes(b[start:start + n])
new = re.sub(rb'(\["public\.orders", ?)20000,', rb'\g<1>20001,', rec)
assert new != rec, rec
b = b[:start] + new + b"\n" + b"DBCARE-DUMP-RECORD %012x\n" % len(new)
open(p, 'wb').write(b)
PY
run 1 verify changed.dump --db "$(printf "$base" "$plain_db")"
has "public.orders" err
echo "ok"
