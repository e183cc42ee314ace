#!/usr/bin/env bash
# The log's row index on PostgreSQL (docs/audit.md, "The row hash"): each
# entry stores row_hash, a portable hash of its table's stored name and its
# key's canonical form, and the index (row_hash, id) answers a row's history
# and a table's entries. Checked here: the hash is the documented one (an
# independent implementation of the definition below agrees with
# dbcare.audit_row_hash); keys jsonb holds as equal hash equally; the
# trigger's C writer stores what the function computes; rows and tables whose
# hashes collide are still told apart by dbaudit_history, dbaudit_row_at,
# dbaudit_log and dbaudit_tables; a dump restored into a new database is
# found by its history.
set -eu
db=dbcare_audit_row_hash
. "$(dirname "$0")/lib/pg.sh"
fresh_db

# The documented definition, written again from docs/audit.md: FNV-1a 32 of
# the table name in the high half, FNV-1a 32 of the key's members (jsonb's
# order: shorter names first, then bytewise; name, 0, tag, value, 0) in the
# low half, 0 for no key; as a signed bigint.
expected=$(python3 - <<'EOF'
import json
def fnv(b, h=2166136261):
    for c in b:
        h = ((h ^ c) * 16777619) & 0xffffffff
    return h
def member_bytes(v):
    if isinstance(v, bool): return b"t" if v else b"f"
    if v is None: return b"z"
    if isinstance(v, str): return b"s" + v.encode()
    if isinstance(v, int): return b"n" + str(v).encode()
    return b"c"
def row_hash(table, key):
    t = fnv(table.encode())
    k = 0
    if key is not None:
        k = 2166136261
        for name in sorted(key, key=lambda n: (len(n.encode()), n.encode())):
            k = fnv(name.encode() + b"\0" + member_bytes(key[name]) + b"\0", k)
    v = (t << 32) | k
    return v - (1 << 64) if v >= 1 << 63 else v
for table, key in [("public.account", {"id": 1}), ("public.\"my table\"", {"b": "x", "a": -20, "ok": True}),
                   ("shop.orders", None), ("public.t", {"k": None, "nested": [1]}),
                   ("public.n", {"a": 0, "b": 10000, "c": -10000, "d": 123400000000, "e": 99990000,
                                 "f": 9223372036854775807, "g": -9223372036854775808, "h": 10**40})]:
    print(row_hash(table, key))
EOF
)
got=$(q -c "SELECT dbcare.audit_row_hash('public.account', '{\"id\": 1}')" \
        -c "SELECT dbcare.audit_row_hash('public.\"my table\"', '{\"ok\": true, \"a\": -20, \"b\": \"x\"}')" \
        -c "SELECT dbcare.audit_row_hash('shop.orders', NULL)" \
        -c "SELECT dbcare.audit_row_hash('public.t', '{\"nested\": [1], \"k\": null}')" \
        -c "SELECT dbcare.audit_row_hash('public.n', '{\"a\": 0, \"b\": 1e4, \"c\": -10000, \"d\": 123400000000,
              \"e\": 99990000, \"f\": 9223372036854775807, \"g\": -9223372036854775808, \"h\": 1e40}')")
[ "$got" = "$expected" ] || fail "row hashes:
$got
want (the documented definition):
$expected"

# keys jsonb holds as equal hash equally: number forms, member order, spacing
[ "$(q -c "SELECT count(DISTINCT dbcare.audit_row_hash('public.t', k::jsonb)) FROM unnest(ARRAY[
      '{\"a\": 1, \"b\": \"x\"}', '{\"b\":\"x\",\"a\":1.0}', '{\"a\": 1.000, \"b\": \"x\"}', '{\"a\": 1e0, \"b\": \"x\"}']) k")" = 1 ] ||
  fail "equal keys hash differently"
# a table's entries share the high half; no key leaves the low half 0
[ "$(q -c "SELECT dbcare.audit_row_hash('public.t', NULL) = (dbcare.audit_row_hash('public.t', '{\"id\": 5}') >> 32) << 32")" = t ] ||
  fail "the high half is not the table's"

# the C writer stores what the function computes, for every kind of entry
q -c "CREATE TABLE w (id int, region text, v numeric, PRIMARY KEY (region, id))" \
  -c "INSERT INTO w VALUES (1, 'eu', 1.50), (2, 'us', 2)" \
  -c "SELECT dbaudit_enable('w', '{\"baseline\": true}')" \
  -c "INSERT INTO w SELECT g, 'eu', g FROM generate_series(3, 20) g" \
  -c "UPDATE w SET v = v + 1 WHERE id % 2 = 0" \
  -c "DELETE FROM w WHERE id > 15" -c "TRUNCATE w" > /dev/null
[ "$(q -c "SELECT count(*) || ' ' || count(*) FILTER (WHERE row_hash IS NOT DISTINCT FROM dbcare.audit_row_hash(table_name, key)) FROM dbcare.audit_log")" = "36 36" ] ||
  fail "stored row hashes: $(q -c "SELECT id, operation, key, row_hash, dbcare.audit_row_hash(table_name, key) FROM dbcare.audit_log")"
# the row index is the primary key, the log's one B-tree index (issue 63)
[ "$(q -c "SELECT string_agg(pg_get_indexdef(indexrelid), '; ' ORDER BY indexrelid::regclass::text)
            FROM pg_index WHERE indrelid = 'dbcare.audit_log'::regclass")" = \
  "CREATE INDEX dbcare_audit_log_at ON dbcare.audit_log USING brin (at); CREATE UNIQUE INDEX dbcare_audit_log_pkey ON dbcare.audit_log USING btree (row_hash, id)" ] ||
  fail "the log's indexes: the BRIN index on at and the primary key (row_hash, id)"

# Two keys of one table whose hashes collide, and two tables whose names'
# halves collide: found by a birthday search with the definition above
# (the hash is fixed, so the pairs are too), then checked against the server.
set -- $(python3 - <<'EOF'
import hashlib
def fnv(b, h=2166136261):
    for c in b:
        h = ((h ^ c) * 16777619) & 0xffffffff
    return h
def first_pair(hash_of):
    seen = {}
    g = 0
    while True:
        s = "k" + hashlib.md5(str(g).encode()).hexdigest()[:12]
        h = hash_of(s)
        if h in seen and seen[h] != s:
            return seen[h], s
        seen[h] = s
        g += 1
print(*first_pair(lambda s: fnv(b"id\0s" + s.encode() + b"\0")))
print(*first_pair(lambda s: fnv(b"public." + s.encode())))
EOF
)
[ $# = 4 ] || fail "no colliding pairs found: $*"
k1=$1 k2=$2 t1=$3 t2=$4
q -c "CREATE TABLE coll (id text PRIMARY KEY, v text)" -c "SELECT dbaudit_enable('coll')" \
  -c "CREATE TABLE $t1 (id int PRIMARY KEY, v text)" -c "SELECT dbaudit_enable('$t1')" \
  -c "CREATE TABLE $t2 (id int PRIMARY KEY, v text)" -c "SELECT dbaudit_enable('$t2')" \
  -c "INSERT INTO coll VALUES ('$k1', 'one'), ('$k2', 'two')" -c "UPDATE coll SET v = v || '!' WHERE id = '$k2'" \
  -c "INSERT INTO $t1 VALUES (1, 'in t1')" -c "INSERT INTO $t2 VALUES (1, 'in t2')" -c "TRUNCATE $t2" > /dev/null
[ "$(q -c "SELECT count(DISTINCT row_hash) FROM dbcare.audit_log WHERE table_name = 'public.coll'")" = 1 ] ||
  fail "the keys $k1 and $k2 do not collide"
[ "$(q -c "SELECT count(DISTINCT row_hash) FROM dbcare.audit_log WHERE table_name IN ('public.$t1', 'public.$t2') AND key IS NOT NULL")" = 1 ] ||
  fail "the tables $t1 and $t2 do not collide"
got=$(q -c "SELECT string_agg(operation || ' ' || new_values::text, '; ' ORDER BY id) FROM dbaudit_history('coll', '{\"id\": \"$k1\"}')" \
        -c "SELECT string_agg(operation || ' ' || new_values::text, '; ' ORDER BY id) FROM dbaudit_history('coll', '{\"id\": \"$k2\"}')" \
        -c "SELECT dbaudit_row_at('coll', '{\"id\": \"$k2\"}', now())" \
        -c "SELECT string_agg(new_values::text, '; ' ORDER BY id) FROM dbaudit_history('$t1', '{\"id\": 1}')" \
        -c "SELECT string_agg(new_values::text, '; ' ORDER BY id) FROM dbaudit_history('$t2', '{\"id\": 1}')" \
        -c "SELECT dbaudit_row_at('$t1', '{\"id\": 1}', now())::text || ' ' || coalesce(dbaudit_row_at('$t2', '{\"id\": 1}', now())::text, 'gone')" \
        -c "SELECT string_agg(operation, ' ' ORDER BY id) FROM dbaudit_log('$t2')" \
        -c "SELECT string_agg(\"table\" || '=' || entries, ' ' ORDER BY \"table\") FROM dbaudit_tables() WHERE \"table\" IN ('public.$t1', 'public.$t2')")
want="insert {\"v\": \"one\", \"id\": \"$k1\"}
insert {\"v\": \"two\", \"id\": \"$k2\"}; update {\"v\": \"two!\"}
{\"v\": \"two!\", \"id\": \"$k2\"}
{\"v\": \"in t1\", \"id\": 1}
{\"v\": \"in t2\", \"id\": 1}
{\"v\": \"in t1\", \"id\": 1} gone
insert truncate
public.$t1=1 public.$t2=2"
[ "$got" = "$want" ] || fail "colliding rows and tables:
$got
want:
$want"

# a dump restored into a new database: the history finds the restored entries
"$B/pg_dump" -d "$db" > "$work/dump.sql"
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS ${db}_restored" -c "CREATE DATABASE ${db}_restored"
restored() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "${db}_restored" "$@"; }
trap 'cleanup; "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS ${db}_restored" >/dev/null 2>&1' EXIT
restored -f "$work/dump.sql" > /dev/null
[ "$(restored -c "SELECT string_agg(operation, ' ' ORDER BY id) FROM dbaudit_history('coll', '{\"id\": \"$k2\"}')")" = "insert update" ] ||
  fail "the restored log is not found by history"
[ "$(restored -c "SELECT count(*) FILTER (WHERE row_hash IS NOT DISTINCT FROM dbcare.audit_row_hash(table_name, key)) = count(*) FROM dbcare.audit_log")" = t ] ||
  fail "restored row hashes"
echo ok
