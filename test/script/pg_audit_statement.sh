#!/usr/bin/env bash
# The audit trail's statement-level triggers on PostgreSQL (docs/audit.md,
# "How entries are written"): dbaudit_enable makes one AFTER ... FOR EACH
# STATEMENT trigger per operation over its transition table; the entries a
# multi-row statement writes equal, column for column, those of the same
# changes made one row per statement, in the order the rows were changed; a
# statement that changes no row (or no recorded column) writes nothing; the
# hash chain links a bulk statement's entries one after the other; and a
# table audited by the row-level trigger of earlier builds keeps recording
# until dbaudit_refresh makes the statement triggers, which
# dbaudit_disable and dbaudit_enable handle as well.
set -eu
db=dbcare_audit_statement
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "CREATE TABLE bulk (id int PRIMARY KEY, v int, name text, secret text)" \
  -c "CREATE TABLE single (LIKE bulk INCLUDING ALL)" \
  -c "SELECT dbaudit_enable('bulk', '{\"exclude\": [\"secret\"]}')" \
  -c "SELECT dbaudit_enable('single', '{\"exclude\": [\"secret\"]}')" > /dev/null

# the triggers: statement-level, one per operation, each with its transition table(s)
got=$(q -c "SELECT string_agg(tgname || ' ' || (tgtype & 1 = 1)::text || ' ' || coalesce(tgoldtable, '-') || ' ' || coalesce(tgnewtable, '-'), ', ' ORDER BY tgname)
            FROM pg_trigger WHERE tgrelid = 'bulk'::regclass")
want="dbcare_audit_delete false dbcare_old -, dbcare_audit_insert false - dbcare_new, dbcare_audit_truncate false - -, dbcare_audit_update false dbcare_old dbcare_new"
[ "$got" = "$want" ] || fail "triggers:
$got
want:
$want"

# the same changes: multi-row statements on bulk, one row a statement on single
q -c "INSERT INTO bulk SELECT g, g, 'n' || g, 's' FROM generate_series(1, 50) g ORDER BY g" \
  -c "UPDATE bulk SET v = v * 10 WHERE id % 3 = 0" \
  -c "UPDATE bulk SET secret = 'changed'" \
  -c "UPDATE bulk SET v = v WHERE id = 1" \
  -c "DELETE FROM bulk WHERE id > 40" \
  -c "DELETE FROM bulk WHERE id < 0" > /dev/null
for g in $(seq 1 50); do echo "INSERT INTO single VALUES ($g, $g, 'n$g', 's');"; done > "$work/single.sql"
q -f "$work/single.sql" > /dev/null
# the updates and deletes in the order the multi-row statements visited the rows
for id in $(q -c "SELECT (key->>'id')::int FROM dbcare.audit_log WHERE table_name = 'public.bulk' AND operation = 'update' ORDER BY id"); do
  echo "UPDATE single SET v = v * 10 WHERE id = $id;"
done > "$work/single_upd.sql"
for id in $(q -c "SELECT id FROM single ORDER BY id"); do echo "UPDATE single SET secret = 'changed' WHERE id = $id;"; done >> "$work/single_upd.sql"
for id in $(q -c "SELECT (key->>'id')::int FROM dbcare.audit_log WHERE table_name = 'public.bulk' AND operation = 'delete' ORDER BY id"); do
  echo "DELETE FROM single WHERE id = $id;"
done >> "$work/single_upd.sql"
q -f "$work/single_upd.sql" > /dev/null
entries() {
  q -c "SELECT operation, db_user, coalesce(actor, '-'), key, coalesce(old_values::text, '-'), coalesce(new_values::text, '-'),
               hash IS NULL, prev_hash IS NULL, pg_typeof(txid)
        FROM dbcare.audit_log WHERE table_name = 'public.$1' ORDER BY id"
}
entries bulk > "$work/bulk.out"
entries single > "$work/single.out"
[ "$(wc -l < "$work/bulk.out")" = 76 ] || fail "bulk entries: $(wc -l < "$work/bulk.out") (want 50 inserts, 16 updates, 10 deletes)"
diff "$work/bulk.out" "$work/single.out" > "$work/diff" || fail "bulk and single-row entries differ:
$(head -20 "$work/diff")"
# inserts in the order the statement inserted the rows (ORDER BY g)
[ "$(q -c "SELECT string_agg(key->>'id', ',' ORDER BY id) FROM dbcare.audit_log WHERE table_name = 'public.bulk' AND operation = 'insert'")" = \
  "$(seq -s, 1 50)" ] || fail "insert order"
# one transaction id per statement's transaction; the excluded column's update wrote nothing
[ "$(q -c "SELECT count(DISTINCT txid) FROM dbcare.audit_log WHERE table_name = 'public.bulk'")" = 3 ] || fail "txids"

# a statement that inserts and updates: grouped by operation, updates first
q -c "CREATE TABLE up (id int PRIMARY KEY, v int)" -c "SELECT dbaudit_enable('up')" -c "INSERT INTO up VALUES (2, 0)" \
  -c "INSERT INTO up VALUES (1, 1), (2, 2), (3, 3) ON CONFLICT (id) DO UPDATE SET v = excluded.v" \
  -c "MERGE INTO up USING (VALUES (3, 30), (4, 40)) s(id, v) ON up.id = s.id
      WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.v)" > /dev/null
[ "$(q -c "SELECT string_agg(operation || (key->>'id'), ',' ORDER BY id) FROM dbcare.audit_log WHERE table_name = 'public.up'")" = \
  insert2,update2,insert1,insert3,update3,insert4 ] || fail "upsert and merge entries"

# values as JSON: the jsonb jsonb_in makes of their text (numbers, NaN and
# infinities as strings, JSON as JSON, everything else its text)
q -c "CREATE TABLE ty (id int8 PRIMARY KEY, s int2, f float8, r real, n numeric, b bool, j json, jb jsonb, d date, a int[], t text)" \
  -c "SELECT dbaudit_enable('ty')" \
  -c "INSERT INTO ty VALUES (9007199254740993, -3, 'NaN', '-Infinity', 'NaN', false, '[1, {\"b\": 2}]', '\"str\"', '2026-01-02', '{1,2}', E'q\"\\\\u'),
      (2, 0, 1.5e20, 0.1, 1.50, NULL, '7', '{\"z\": [null]}', NULL, NULL, NULL)" > /dev/null
got=$(q -c "SELECT new_values FROM dbcare.audit_log WHERE table_name = 'public.ty' ORDER BY id")
want='{"a": "{1,2}", "b": false, "d": "2026-01-02", "f": "NaN", "j": [1, {"b": 2}], "n": "NaN", "r": "-Infinity", "s": -3, "t": "q\"\\u", "id": 9007199254740993, "jb": "str"}
{"a": null, "b": null, "d": null, "f": 150000000000000000000, "j": 7, "n": 1.50, "r": 0.1, "s": 0, "t": null, "id": 2, "jb": {"z": [null]}}'
[ "$got" = "$want" ] || fail "values:
$got
want:
$want"
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name = 'public.ty' AND new_values = new_values::text::jsonb")" = 2 ] || fail "jsonb round trip"
# a row image of scalars is written straight into jsonb's layout
# (pg/audit/audit_row_image.c): the size and value of what jsonb_in makes of
# its text, with more than 32 keys (each 32nd JEntry an offset) too, every
# key found by its name (a reader takes any mix of offsets and lengths, so
# where the offsets stand is not seen here)
q -c "CREATE TABLE wide (id int PRIMARY KEY, $(seq -f 'c%02g text' 1 40 | paste -sd,))" \
  -c "SELECT dbaudit_enable('wide')" \
  -c "INSERT INTO wide SELECT g, $(seq -f "'v%g ' || g" 1 40 | paste -sd,) FROM generate_series(1, 3) g" > /dev/null
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name IN ('public.ty', 'public.wide')
  AND new_values = new_values::text::jsonb AND key = key::text::jsonb
  AND pg_column_size(ROW(new_values)) = pg_column_size(ROW(new_values::text::jsonb))
  AND pg_column_size(ROW(key)) = pg_column_size(ROW(key::text::jsonb))")" = 5 ] || fail "row images' layout"
# integers: their numerics written in numeric's stored layout, byte for
# byte what the server makes of the same values (sizes: no trailing zero
# digit kept), at the edges of each base-10,000 digit and of each type
q -c "CREATE TABLE ints (id bigint PRIMARY KEY, i int, s smallint)" \
  -c "SELECT dbaudit_enable('ints')" \
  -c "INSERT INTO ints SELECT b, (b % 2147483647)::int, (b % 32767)::smallint FROM unnest(ARRAY[
        0, 1, -1, 9999, 10000, -10000, 10001, 99990000, 100000000, 123400000000, 120000000000000,
        2147483647, -2147483648, 32767, -32768, 9223372036854775807, -9223372036854775808]::bigint[]) b" \
  -c "INSERT INTO ints VALUES (42, -2147483648, -32768)" > /dev/null
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log l, ints t WHERE l.table_name = 'public.ints'
  AND l.key = jsonb_build_object('id', t.id) AND l.new_values = to_jsonb(t)
  AND pg_column_size(ROW(l.new_values)) = pg_column_size(ROW(to_jsonb(t)))
  AND pg_column_size(ROW(l.key)) = pg_column_size(ROW(jsonb_build_object('id', t.id)))
  AND l.new_values::text = to_jsonb(t)::text")" = 18 ] || fail "integers' numerics: $(q -c "SELECT key, new_values FROM dbcare.audit_log WHERE table_name = 'public.ints'")"
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name = 'public.wide'
  AND new_values->>'c40' = 'v40 ' || (key->>'id') AND new_values->>'c01' = 'v1 ' || (key->>'id')")" = 3 ] ||
  fail "a wide row image's keys"

# a table with an inheritance child records its own rows (row-level
# triggers; test/script/pg_audit_partitions.sh): the child is a table of its own
q -c "CREATE TABLE par (id int PRIMARY KEY, v int)" -c "CREATE TABLE chi () INHERITS (par)" -c "SELECT dbaudit_enable('par')" \
  -c "INSERT INTO par VALUES (4, 4)" -c "INSERT INTO chi VALUES (5, 5)" -c "UPDATE par SET v = 6" > /dev/null
[ "$(q -c "SELECT string_agg(operation || ' ' || key::text, ',' ORDER BY id) FROM dbcare.audit_log WHERE table_name = 'public.par'")" = \
  'insert {"id": 4},update {"id": 4}' ] || fail "inheritance"

# rows changed by a foreign key's cascade (a query of its own) are recorded
q -c "CREATE TABLE pa (id int PRIMARY KEY)" \
  -c "CREATE TABLE ch (id int PRIMARY KEY, pa int REFERENCES pa ON DELETE CASCADE ON UPDATE CASCADE)" \
  -c "SELECT dbaudit_enable('ch')" -c "INSERT INTO pa SELECT generate_series(1, 3)" \
  -c "INSERT INTO ch SELECT g, g % 3 + 1 FROM generate_series(1, 9) g" \
  -c "UPDATE pa SET id = id + 10 WHERE id = 1" -c "DELETE FROM pa WHERE id > 1" > /dev/null
[ "$(q -c "SELECT string_agg(operation || ' ' || (key->>'id') || ' ' || coalesce(new_values->>'pa', '-'), ',' ORDER BY id)
          FROM dbcare.audit_log WHERE table_name = 'public.ch' AND operation <> 'insert'")" = \
  "update 3 11,update 6 11,update 9 11,delete 1 -,delete 4 -,delete 7 -,delete 2 -,delete 5 -,delete 8 -,delete 3 -,delete 6 -,delete 9 -" ] ||
  fail "cascade: $(q -c "SELECT operation, key FROM dbcare.audit_log WHERE table_name = 'public.ch' ORDER BY id")"

# a bulk statement in a chained table: its entries link one after the other
q -c "CREATE TABLE chained (id int PRIMARY KEY, v text)" \
  -c "SELECT dbaudit_enable('chained', '{\"hash_chain\": true}')" \
  -c "INSERT INTO chained SELECT g, 'v' FROM generate_series(1, 300) g" \
  -c "UPDATE chained SET v = 'w' WHERE id <= 100" -c "DELETE FROM chained WHERE id > 250" > /dev/null
[ "$(q -c "SELECT checked || ' ' || coalesce(broken_id::text, '-') FROM dbaudit_verify()")" = "450 -" ] ||
  fail "verify: $(q -c "SELECT * FROM dbaudit_verify()")"
[ "$(q -c "SELECT last_hash = (SELECT hash FROM dbcare.audit_log ORDER BY id DESC LIMIT 1) FROM dbcare.audit_chain")" = t ] ||
  fail "the chain's head is not the last entry's hash"

# a table audited by the row-level trigger of earlier builds
q -c "CREATE TABLE legacy (id int PRIMARY KEY, v int)" -c "SELECT dbaudit_enable('legacy')" \
  -c "DROP TRIGGER dbcare_audit_insert ON legacy" -c "DROP TRIGGER dbcare_audit_update ON legacy" \
  -c "DROP TRIGGER dbcare_audit_delete ON legacy" \
  -c "CREATE TRIGGER dbcare_audit AFTER INSERT OR UPDATE OR DELETE ON legacy FOR EACH ROW
      EXECUTE FUNCTION dbcare.audit_trigger('public.legacy', 'changed', '1', 'id')" \
  -c "INSERT INTO legacy VALUES (1, 1), (2, 2)" -c "UPDATE legacy SET v = 3 WHERE id = 1" > /dev/null
[ "$(q -c "SELECT string_agg(operation || key::text, ',' ORDER BY id) FROM dbcare.audit_log WHERE table_name = 'public.legacy'")" = \
  'insert{"id": 1},insert{"id": 2},update{"id": 1}' ] || fail "the row-level trigger of earlier builds"
[ "$(q -c "SELECT dbaudit_refresh('legacy')")" = 1 ] || fail "refresh"
[ "$(q -c "SELECT string_agg(tgname, ',' ORDER BY tgname) FROM pg_trigger WHERE tgrelid = 'legacy'::regclass")" = \
  dbcare_audit_delete,dbcare_audit_insert,dbcare_audit_truncate,dbcare_audit_update ] || fail "refresh kept the row trigger"
q -c "DELETE FROM legacy WHERE id = 2" > /dev/null
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name = 'public.legacy'")" = 4 ] || fail "after refresh"
# disable drops both forms, silently; enable again makes the statement triggers
q -c "DROP TRIGGER dbcare_audit_delete ON legacy" \
  -c "CREATE TRIGGER dbcare_audit AFTER DELETE ON legacy FOR EACH ROW EXECUTE FUNCTION dbcare.audit_trigger('public.legacy', 'changed', '1', 'id')" > /dev/null
[ -z "$(q -c "SELECT dbaudit_disable('legacy')" 2>&1 | grep -v '^t$')" ] || fail "disable said more than true"
[ "$(q -c "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'legacy'::regclass")" = 0 ] || fail "disable left a trigger"
q -c "SELECT dbaudit_enable('legacy')" -c "DELETE FROM legacy" > /dev/null
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name = 'public.legacy'")" = 5 ] || fail "enabled again"
echo ok
