#!/usr/bin/env bash
# The audit trigger's writer across many entries of one statement
# (pg/audit/audit_write.c): 2,500 rows, more than one batch of the plain path
# (BATCH_ENTRIES, 1,000) and its last partial batch, on a chained and an
# unchained table. Whichever path the module was built with (the direct one
# on PostgreSQL 15, the plain one under -DDBC_PLAIN_PG_PATHS:
# test/script/pg_plain_paths.sh runs this file against that build), the log
# must hold one entry per row, ids in the order the statement changed the
# rows, one timestamp and transaction per statement, the row hash its
# generation expression computes, an intact chain whose head names the last
# entry, and a CHECK the log's owner added must still hold, failing the
# whole statement.
set -eu
db=dbcare_audit_batches
. "$(dirname "$0")/lib/pg.sh"
fresh_db
start=$(date +%s)
q -c "CREATE TABLE hc (id int PRIMARY KEY, v text NOT NULL)" \
  -c "CREATE TABLE un (id int PRIMARY KEY, v text NOT NULL)" > /dev/null
hc=$(q -c "SELECT dbaudit_enable('hc', '{\"hash_chain\": true}')")
un=$(q -c "SELECT dbaudit_enable('un')")
q -c "INSERT INTO hc SELECT g, 'v' || g FROM generate_series(1, 2500) g ORDER BY g" \
  -c "INSERT INTO un SELECT g, 'v' || g FROM generate_series(1, 2500) g ORDER BY g" \
  -c "UPDATE hc SET v = v || 'x' WHERE id % 2 = 0"

# one entry per row and operation
got=$(q -c "SELECT string_agg(table_name || ':' || operation || ':' || n, ' ' ORDER BY table_name, operation)
  FROM (SELECT table_name, operation, count(*) n FROM dbcare.audit_log
        WHERE table_name IN ('$hc', '$un') GROUP BY 1, 2) s")
[ "$got" = "$hc:insert:2500 $hc:update:1250 $un:insert:2500" ] || fail "entries per table: $got"
echo "ok: one entry per changed row ($got)"

# ids in the statement's order (the INSERTs' rows came in key order), one
# at and txid per statement
got=$(q -c "SELECT count(*) FROM (SELECT (key->>'id')::int k,
  row_number() OVER (PARTITION BY table_name ORDER BY id) rn FROM dbcare.audit_log
  WHERE table_name IN ('$hc', '$un') AND operation = 'insert') s WHERE k <> rn")
[ "$got" = 0 ] || fail "$got entries out of the statement's order"
got=$(q -c "SELECT count(DISTINCT (at, txid)) FROM dbcare.audit_log
  WHERE table_name IN ('$hc', '$un') AND operation = 'insert' GROUP BY table_name" | sort -u)
[ "$got" = 1 ] || fail "an INSERT's entries carry several transactions or times: $got"
got=$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name = '$hc' AND operation = 'update'
  AND (new_values->>'v' <> 'v' || (key->>'id') || 'x' OR old_values->>'v' <> 'v' || (key->>'id'))")
[ "$got" = 0 ] || fail "$got update entries with wrong values"
echo "ok: ids in the statement's order, one transaction per statement, the values"

# the row hash as its generation expression computes it
got=$(q -c "SELECT count(*) FROM dbcare.audit_log
  WHERE row_hash IS DISTINCT FROM dbcare.audit_row_hash(table_name, key)")
[ "$got" = 0 ] || fail "$got entries whose row_hash differs from dbcare.audit_row_hash"
[ "$(q -c "SELECT count(*) FROM dbaudit_history('hc', '{\"id\": 2}')")" = 2 ] ||
  fail "dbaudit_history does not find row 2's two entries"
echo "ok: row_hash agrees with its expression; history finds a row"

# the chain: intact, entries of the unchained table unhashed, head at the last
got=$(q -c "SELECT checked || ' ' || count(broken_id) FROM dbaudit_verify() GROUP BY checked")
[ "$got" = "3750 0" ] || fail "dbaudit_verify: $got (expected 3750 checked, no break)"
got=$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name = '$un' AND hash IS NOT NULL")
[ "$got" = 0 ] || fail "$got entries of the unchained table carry a hash"
got=$(q -c "SELECT c.last_id = (SELECT max(id) FROM dbcare.audit_log WHERE table_name = '$hc')
  FROM dbcare.audit_chain c WHERE c.chain = '$hc'")
[ "$got" = t ] || fail "the chain head does not name the table's last entry ($got)"
echo "ok: the chain is intact across batches and its head names the last entry"

# a CHECK the log's owner added holds for every entry: row 1,700 of 2,500
# breaks it, and the whole statement fails with nothing recorded
q -c "ALTER TABLE dbcare.audit_log ADD CONSTRAINT no_forbidden
  CHECK (new_values IS NULL OR new_values->>'v' <> 'forbidden')" > /dev/null
before=$(q -c "SELECT count(*) FROM dbcare.audit_log")
if out=$(q -c "INSERT INTO un SELECT g, CASE WHEN g = 4200 THEN 'forbidden' ELSE 'w' END
  FROM generate_series(2501, 5000) g ORDER BY g" 2>&1); then
  fail "an entry breaking the log's CHECK was written"
fi
grep -q 'no_forbidden' <<<"$out" || fail "not the CHECK's error: $out"
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log")" = "$before" ] || fail "entries of the failed statement stayed"
[ "$(q -c "SELECT count(*) FROM un")" = 2500 ] || fail "rows of the failed statement stayed"
q -c "ALTER TABLE dbcare.audit_log DROP CONSTRAINT no_forbidden" > /dev/null
echo "ok: the log's own CHECK holds; the statement fails whole"
echo "pg_audit_batches: $(($(date +%s) - start)) s"
