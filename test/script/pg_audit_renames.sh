#!/usr/bin/env bash
# What the audit trigger records stays right when names change or a value
# is one jsonb cannot hold:
# - an excluded column renamed stays excluded (a password hash must not
#   start being logged because its column was renamed), and a new column
#   taking the excluded name is excluded too;
# - a renamed key column keeps the table writable and its entries keyed;
# - a role renamed by another session is logged by its new name;
# - a column's type changed in the session that wrote the table before is
#   recorded by its new type (the trigger's configuration kept between
#   statements is read again: pg/audit/audit_cache.c);
# - a json value jsonb cannot hold (the escape \u0000, an unpaired
#   surrogate, a number beyond numeric's range) is recorded as its text
#   instead of failing the application's write;
# - dbaudit_refresh keeps following renamed excluded, listed and key
#   columns (their numbers), and does not fail because of them;
# - the baseline snapshot of a table with a dropped column records the
#   listed columns and keys its rows by the key column (the arguments'
#   attribute numbers are the table's, a dropped column's number included),
#   a partitioned table's too;
# - a json value nested deeper than jsonb is converted (1,000 levels) is
#   recorded as its text instead of failing the write for the stack depth.
set -eu
db=dbcare_audit_renames
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "CREATE TABLE usr (id int PRIMARY KEY, email text, password_hash text, doc json)" \
  -c "SELECT dbaudit_enable('usr', '{\"exclude\": [\"password_hash\"]}')" >/dev/null
q -c "INSERT INTO usr VALUES (1, 'a@x', 'HASH1', '{}')" >/dev/null

# 1. the excluded column, renamed
q -c "ALTER TABLE usr RENAME COLUMN password_hash TO pw_hash" \
  -c "INSERT INTO usr VALUES (2, 'b@x', 'HASH2', '{}')" >/dev/null
leaked=$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE new_values::text LIKE '%HASH%' OR old_values::text LIKE '%HASH%'")
[ "$leaked" = 0 ] || fail "a renamed excluded column was logged: $(q -c "SELECT new_values FROM dbcare.audit_log ORDER BY id DESC LIMIT 1")"
q -c "ALTER TABLE usr ADD COLUMN password_hash text" \
  -c "INSERT INTO usr VALUES (3, 'c@x', 'HASH3', '{}', 'HASH3B')" >/dev/null
leaked=$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE new_values::text LIKE '%HASH%'")
[ "$leaked" = 0 ] || fail "a new column taking the excluded name was logged"
[ "$(q -c "SELECT new_values->>'email' FROM dbcare.audit_log WHERE key = '{\"id\": 3}'")" = c@x ] ||
  fail "the row after the renames was not recorded"

# 2. the key column, renamed
q -c "ALTER TABLE usr RENAME COLUMN id TO user_id" \
  -c "UPDATE usr SET email = 'a2@x' WHERE user_id = 1" >/dev/null ||
  fail "a write failed after the key column was renamed"
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE key = '{\"user_id\": 1}' AND operation = 'update'")" = 1 ] ||
  fail "the update after the key rename is not under the row's key (by the column's new name)"

# 3. a role renamed while another session writes as it
q -c "CREATE ROLE dbc_ar_bob" -c "GRANT INSERT, UPDATE ON usr TO dbc_ar_bob" >/dev/null
long_lived_session
s "SET ROLE dbc_ar_bob; INSERT INTO usr (user_id, email) VALUES (10, 'bob@x');" >/dev/null
q -c "ALTER ROLE dbc_ar_bob RENAME TO dbc_ar_robert" >/dev/null
s "INSERT INTO usr (user_id, email) VALUES (11, 'robert@x');" >/dev/null
users=$(q -c "SELECT string_agg(db_user, ',' ORDER BY id) FROM dbcare.audit_log WHERE key IN ('{\"user_id\": 10}', '{\"user_id\": 11}')")
[ "$users" = "dbc_ar_bob,dbc_ar_robert" ] || fail "the writers were logged as: $users"

# 3b. a column's type changed between two writes of one session
q -c "CREATE TABLE typed (id int PRIMARY KEY, n text)" -c "SELECT dbaudit_enable('typed')" >/dev/null
q -c "INSERT INTO typed VALUES (1, '7')" -c "ALTER TABLE typed ALTER COLUMN n TYPE int USING n::int" \
  -c "INSERT INTO typed VALUES (2, 8)" >/dev/null
got=$(q -c "SELECT string_agg(jsonb_typeof(new_values->'n'), ' ' ORDER BY id) FROM dbcare.audit_log WHERE table_name = 'public.typed'")
[ "$got" = "string number" ] || fail "the values before and after the type change were recorded as: $got"

# 4. json that jsonb cannot hold
q -c "INSERT INTO usr (user_id, email, doc) VALUES (20, 'n@x', '{\"a\": \"\\u0000\"}')" >/dev/null ||
  fail "a json value with \\u0000 made the audited write fail"
[ "$(q -c "SELECT jsonb_typeof(new_values->'doc') FROM dbcare.audit_log WHERE key = '{\"user_id\": 20}'")" = string ] ||
  fail "the json value was not recorded as its text"
q -c "INSERT INTO usr (user_id, email, doc) VALUES (21, 'o@x', '{\"a\": [1, \"x\"]}')" >/dev/null
[ "$(q -c "SELECT new_values->'doc'->'a'->>1 FROM dbcare.audit_log WHERE key = '{\"user_id\": 21}'")" = x ] ||
  fail "an ordinary json value is no longer recorded as JSON"
q -c "INSERT INTO usr (user_id, email, doc) VALUES (22, 'p@x', '\"\\ud800\"'), (23, 'q@x', '{\"k\": [1e1000000]}'),
      (24, 'r@x', '1e-100000'), (25, 's@x', '{\"\\udc00x\": 1}')" >/dev/null ||
  fail "a json value jsonb cannot hold (surrogate, number out of range) made the audited write fail"
[ "$(q -c "SELECT string_agg(jsonb_typeof(new_values->'doc'), ',' ORDER BY id) FROM dbcare.audit_log WHERE (key->>'user_id')::int BETWEEN 22 AND 25")" = \
  string,string,string,string ] || fail "json values jsonb cannot hold were not recorded as their text"
[ "$(q -c "SELECT new_values->>'doc' FROM dbcare.audit_log WHERE key = '{\"user_id\": 23}'")" = '{"k": [1e1000000]}' ] ||
  fail "the json text was not recorded as it was"
q -c "INSERT INTO usr (user_id, email, doc) VALUES (26, 't@x', '[\"\\ud83d\\ude00\", 1e100, 1.5e-300, \"\\\\ud800\"]')" >/dev/null
[ "$(q -c "SELECT jsonb_typeof(new_values->'doc') || ' ' || (new_values->'doc'->>0) || ' ' || (new_values->'doc'->>3) FROM dbcare.audit_log WHERE key = '{\"user_id\": 26}'")" = \
  'array 😀 \ud800' ] || fail "a json value jsonb can hold (a surrogate pair, large numbers) is no longer recorded as JSON"

# 5. dbaudit_refresh after renames: the excluded column stays excluded, a
# listed column stays recorded (their numbers), a new column taking the
# name follows the name; dbaudit_refresh() does not fail for them
q -c "CREATE TABLE acct2 (id int PRIMARY KEY, email text, pw text)" \
  -c "SELECT dbaudit_enable('acct2', '{\"exclude\": [\"pw\"]}')" \
  -c "CREATE TABLE cols2 (id int PRIMARY KEY, a text, b text)" \
  -c "SELECT dbaudit_enable('cols2', '{\"columns\": [\"a\"]}')" \
  -c "ALTER TABLE acct2 RENAME COLUMN pw TO pw_hash" -c "ALTER TABLE cols2 RENAME COLUMN a TO a2" >/dev/null
q -c "SELECT dbaudit_refresh()" >/dev/null || fail "dbaudit_refresh() failed after audited columns were renamed"
q -c "ALTER TABLE acct2 ADD COLUMN pw text" -c "ALTER TABLE cols2 ADD COLUMN a text" \
  -c "SELECT dbaudit_refresh('acct2')" -c "SELECT dbaudit_refresh('cols2')" -c "SELECT dbaudit_refresh('usr')" >/dev/null ||
  fail "dbaudit_refresh failed after a new column took a renamed column's name"
q -c "INSERT INTO acct2 VALUES (1, 'a', 'SECRET-HASH', 'SECRET-NEW')" -c "INSERT INTO cols2 VALUES (1, 'A2', 'B', 'A')" \
  -c "UPDATE usr SET email = 'a3@x' WHERE user_id = 1" >/dev/null
[ "$(q -c "SELECT new_values FROM dbcare.audit_log WHERE table_name = 'public.acct2'")" = '{"id": 1, "email": "a"}' ] ||
  fail "after refresh the renamed or new excluded column was logged: $(q -c "SELECT new_values FROM dbcare.audit_log WHERE table_name = 'public.acct2'")"
[ "$(q -c "SELECT new_values FROM dbcare.audit_log WHERE table_name = 'public.cols2'")" = '{"a": "A", "a2": "A2", "id": 1}' ] ||
  fail "after refresh the listed columns: $(q -c "SELECT new_values FROM dbcare.audit_log WHERE table_name = 'public.cols2'")"
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE key = '{\"user_id\": 1}' AND operation = 'update'")" = 2 ] ||
  fail "after refresh the renamed key column"
[ "$(q -c "SELECT options->'exclude' FROM dbaudit_tables() WHERE \"table\" = 'public.acct2'")" = '["pw"]' ] ||
  fail "the stored options changed"
# with its triggers dropped by hand, a renamed option column cannot be
# followed: refresh fails, all or nothing, and its hint says what to do
q -c "CREATE TABLE hd (id int PRIMARY KEY, secret text)" -c "SELECT dbaudit_enable('hd', '{\"exclude\": [\"secret\"]}')" \
  -c "ALTER TABLE hd RENAME COLUMN secret TO pw" >/dev/null
for t in $(q -c "SELECT tgname FROM pg_trigger WHERE tgrelid = 'hd'::regclass AND NOT tgisinternal"); do
  q -c "DROP TRIGGER $t ON hd" >/dev/null
done
out=$(q -c "SELECT dbaudit_refresh()" 2>&1) && fail "refresh made triggers for a renamed excluded column it cannot follow: $out"
case $out in *'has no column "secret"'*"dbaudit_disable the table and dbaudit_enable it"*) ;;
  *) fail "refresh of a table whose triggers were dropped: $out" ;; esac
q -c "SELECT dbaudit_disable('hd')" -c "DROP TABLE hd" >/dev/null

# 6. the baseline after a dropped column (the reviewer's reproductions)
q -c "CREATE TABLE u (id int PRIMARY KEY, junk int, name text, secret text)" -c "ALTER TABLE u DROP COLUMN junk" \
  -c "INSERT INTO u VALUES (1, 'bob', 'hunter2')" \
  -c "SELECT dbaudit_enable('u', '{\"columns\": [\"name\"], \"baseline\": true}')" >/dev/null
got=$(q -c "SELECT key::text || ' ' || new_values::text FROM dbcare.audit_log WHERE table_name = 'public.u' AND operation = 'snapshot'")
[ "$got" = '{"id": 1} {"id": 1, "name": "bob"}' ] || fail "the baseline of a table with a dropped column: $got"
q -c "CREATE TABLE kb (junk int, id int PRIMARY KEY, v text)" -c "ALTER TABLE kb DROP COLUMN junk" \
  -c "INSERT INTO kb VALUES (1, 'one'), (2, 'two')" -c "SELECT dbaudit_enable('kb', '{\"baseline\": true}')" >/dev/null
got=$(q -c "SELECT string_agg(key::text, ' ' ORDER BY id) FROM dbcare.audit_log WHERE table_name = 'public.kb'")
[ "$got" = '{"id": 1} {"id": 2}' ] || fail "the baseline keyed by the wrong column after a dropped one: $got"
[ "$(q -c "SELECT dbaudit_row_at('kb', '{\"id\": 2}', now())")" = '{"v": "two", "id": 2}' ] ||
  fail "dbaudit_row_at after a baseline with a dropped column: $(q -c "SELECT dbaudit_row_at('kb', '{\"id\": 2}', now())")"
# a partitioned table whose parent has a dropped column (its partition has none)
q -c "CREATE TABLE pu (junk int, id int PRIMARY KEY, name text, secret text) PARTITION BY RANGE (id)" \
  -c "ALTER TABLE pu DROP COLUMN junk" -c "CREATE TABLE pu1 PARTITION OF pu FOR VALUES FROM (0) TO (100)" \
  -c "INSERT INTO pu VALUES (1, 'ann', 'pw1')" \
  -c "SELECT dbaudit_enable('pu', '{\"columns\": [\"name\"], \"baseline\": true}')" \
  -c "INSERT INTO pu VALUES (2, 'cat', 'pw2')" >/dev/null
got=$(q -c "SELECT string_agg(operation || ' ' || key::text || ' ' || new_values::text, ', ' ORDER BY id) FROM dbcare.audit_log WHERE table_name = 'public.pu'")
[ "$got" = 'snapshot {"id": 1} {"id": 1, "name": "ann"}, insert {"id": 2} {"id": 2, "name": "cat"}' ] ||
  fail "the entries of a partitioned table with a dropped column: $got"

# 7. json nested deeper than the limit: recorded as text; nested less, as JSON
q -c "CREATE TABLE deep (id int PRIMARY KEY, doc json)" -c "SELECT dbaudit_enable('deep')" >/dev/null
q -c "INSERT INTO deep VALUES (1, (repeat('[', 5000) || repeat(']', 5000))::json)" >/dev/null ||
  fail "a json value nested 5,000 levels made the audited write fail"
[ "$(q -c "SELECT jsonb_typeof(new_values->'doc') || ' ' || length(new_values->>'doc') FROM dbcare.audit_log WHERE table_name = 'public.deep' AND key = '{\"id\": 1}'")" = 'string 10000' ] ||
  fail "a json value nested 5,000 levels was not recorded as its text"
q -c "INSERT INTO deep VALUES (2, (repeat('{\"a\": [', 500) || '\"[{\"' || repeat(']}', 500))::json)" >/dev/null
[ "$(q -c "SELECT jsonb_typeof(new_values->'doc') || ' ' || (new_values->'doc' #>> (SELECT array_agg(x) FROM (SELECT unnest(array['a', '0']) x FROM generate_series(1, 500)) s)) FROM dbcare.audit_log WHERE table_name = 'public.deep' AND key = '{\"id\": 2}'")" = 'object [{' ] ||
  fail "a json value nested 1,000 levels is no longer recorded as JSON"
q -c "INSERT INTO deep VALUES (3, (repeat('[', 1001) || repeat(']', 1001))::json)" >/dev/null
[ "$(q -c "SELECT jsonb_typeof(new_values->'doc') FROM dbcare.audit_log WHERE table_name = 'public.deep' AND key = '{\"id\": 3}'")" = string ] ||
  fail "a json value nested 1,001 levels was not recorded as its text"

exec 3>&-
q -c "REASSIGN OWNED BY dbc_ar_robert TO CURRENT_USER" -c "DROP OWNED BY dbc_ar_robert" \
  -c "DROP ROLE dbc_ar_robert" >/dev/null
echo "ok: audit entries follow renames and keep json jsonb cannot hold"
