#!/usr/bin/env bash
# dbcare migrate --online, ALTER COLUMN TYPE (issue 70): the table's last
# column changed through a shadow column kept in step by a trigger, filled
# in batches and swapped in under a short lock. The same plain SQL file
# with and without --online ends in the same schema (fingerprint equal)
# and the same rows (USING applied to each), the column's default, NOT
# NULL, comment, grants and statistics target kept, its index (copied
# CONCURRENTLY before the swap) and CHECK (added again NOT VALID, then
# validated) carried, row security and the table's other triggers
# untouched; the backfill converts each row once (not again in the
# trigger). The primary key column, not the last one, with a foreign key
# to it, a view, a policy and a trigger naming it: all made again with
# their definitions, the column now last. The command is killed (SIGKILL, as
# kill -9) before each statement it sends in turn; rows are written while
# it is stopped (the trigger keeps them in step); then, by turns, it
# resumes (the plain schema, every row converted) or dbcare rollback
# undoes it (the old schema), with 0 leftovers (shadow column, trigger,
# function, temporary check, step records). A column an index uses is
# refused with the index named, nothing changed.
set -eu
db=dbcare_migrate_online_type
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
tpl=${db}_tpl
url() { echo "postgresql://$PGUSER@/$1?host=$PGHOST&port=$PGPORT"; }
qd() { local d=$1; shift; "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$d" "$@"; }
drop() { "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $1" >/dev/null 2>&1 || true; }
trap 'drop $tpl; drop ${db}_plain; cleanup' EXIT
drop $tpl
"$B/psql" -X -q -d postgres -c "CREATE DATABASE $tpl"
qd $tpl <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION dbcare;
DROP ROLE IF EXISTS dbcare_online_type_reader;
CREATE ROLE dbcare_online_type_reader;
CREATE TABLE accounts (id int PRIMARY KEY, note text, amount int NOT NULL DEFAULT 3);
COMMENT ON COLUMN accounts.amount IS 'cents';
GRANT SELECT (id, amount) ON accounts TO dbcare_online_type_reader;
ALTER TABLE accounts ALTER COLUMN amount SET STATISTICS 500;
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON accounts USING (note <> 'hidden');
CREATE FUNCTION accounts_note() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN NEW.note := coalesce(NEW.note, 'set'); RETURN NEW; END$$;
CREATE TRIGGER accounts_note BEFORE INSERT ON accounts FOR EACH ROW EXECUTE FUNCTION accounts_note();
CREATE VIEW account_notes WITH (security_invoker) AS SELECT id, note FROM accounts;
CREATE INDEX accounts_amount ON accounts (amount DESC) INCLUDE (note);
ALTER TABLE accounts ADD CONSTRAINT amount_small CHECK (amount < 1000000);
INSERT INTO accounts SELECT g, 'n' || g, g % 100 FROM generate_series(1, 3000) g;
UPDATE accounts SET note = 'hidden' WHERE id = 3000;
ANALYZE accounts;
SQL
mkdir m
cat >m/V1__amount.sql <<'SQL'
ALTER TABLE accounts ALTER COLUMN amount TYPE bigint USING amount * 10;
SQL
fp() { qd "$1" -c "SELECT dbschema_fingerprint()"; }
new_db() { drop "$1"; "$B/psql" -X -q -d postgres -c "CREATE DATABASE $1 TEMPLATE $tpl"; }
# rows not as the USING expression leaves them, the writes made while the
# run was stopped included (id 1 updated to 5, id 9001 inserted with 7)
wrong_rows() {
  qd "$1" -c "SELECT count(*) FROM accounts WHERE amount IS DISTINCT FROM
    CASE id WHEN 1 THEN 50 WHEN 9001 THEN 70 ELSE (id % 100) * 10 END"
}
# what a reader under the table's policies sees, as "rows hidden-row": of
# the rows the owner sees, every one the policies let it see and none
# other (policies_hold HIDDEN: the reader sees every row but id HIDDEN)
reader_sees() {
  qd "$1" -c "SET ROLE dbcare_online_type_reader" \
    -c "SELECT count(id) || ' ' || count(id) FILTER (WHERE id = $2) FROM accounts"
}
policies_hold() {
  [ "$(reader_sees "$1" "$2")" = "$(($(qd "$1" -c "SELECT count(*) FROM accounts") - 1)) 0" ]
}
leftovers() {
  qd "$1" -c "SELECT (SELECT count(*) FROM pg_attribute WHERE attname LIKE 'dbcare_online%'
        AND NOT attisdropped)
    + (SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%dbcare_online%')
    + (SELECT count(*) FROM pg_proc WHERE proname LIKE 'dbcare_online%')
    + (SELECT count(*) FROM pg_class WHERE relname LIKE 'dbcare_online%')
    + (SELECT count(*) FROM pg_constraint WHERE conname LIKE 'dbcare_online%' OR NOT convalidated)
    + (SELECT count(*) FROM dbcare.migrations_online_steps)"
}
new_db ${db}_plain
old=$(fp ${db}_plain)
run 0 migrate --db "$(url ${db}_plain)" --dir m
new=$(fp ${db}_plain)
[ "$new" != "$old" ] || fail "the plain migration changed nothing"
kept() {
  qd "$1" -c "SELECT format_type(atttypid, atttypmod), attnotnull, attstattarget,
      pg_get_expr(adbin, adrelid), col_description(attrelid, attnum), attacl
    FROM pg_attribute LEFT JOIN pg_attrdef ON adrelid = attrelid AND adnum = attnum
    WHERE attrelid = 'accounts'::regclass AND attname = 'amount'" \
    -c "SELECT string_agg(tgname, ',' ORDER BY tgname) FROM pg_trigger
        WHERE tgrelid = 'accounts'::regclass" \
    -c "SELECT relrowsecurity, (SELECT count(*) FROM pg_policy WHERE polrelid = c.oid),
        reloptions FROM pg_class c WHERE oid IN ('accounts'::regclass, 'account_notes'::regclass)
        ORDER BY relname"
}
want_kept=$(kept ${db}_plain)

# the plan: the shadow column, its trigger, the batches, the swap
new_db $db
plan=$(qd $db -v s="$(cat m/V1__amount.sql)" <<'SQL'
BEGIN;
SELECT dbmigrate_add('1', 'amount', :'s') \g /dev/null
SELECT mode || ' | ' || coalesce(undo, '-') || ' | ' || statement
  FROM dbmigrate_online_plan('1') ORDER BY step;
ROLLBACK;
SQL
)
echo "$plan" >plan.txt
for want in \
  'transaction | ALTER TABLE accounts DROP COLUMN IF EXISTS dbcare_online_new_amount | ALTER TABLE accounts ADD COLUMN dbcare_online_new_amount bigint' \
  'transaction | DROP TRIGGER IF EXISTS "~dbcare_online_amount" ON accounts | CREATE TRIGGER "~dbcare_online_amount" BEFORE INSERT OR UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION dbcare_online_accounts_amount()'; do
  grep -qxF -- "$want" plan.txt || { cat plan.txt; fail "the online plan lacks: $want"; }
done
grep -q "^transaction | .* | CREATE FUNCTION dbcare_online_accounts_amount() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS " plan.txt ||
  { cat plan.txt; fail "USING's sync function without its pinned search_path"; }
grep -q '^batches | .*(UPDATE accounts SET dbcare_online_new_amount = (amount \* 10) WHERE ctid' plan.txt ||
  { cat plan.txt; fail "no batched backfill of the shadow column"; }
grep -q "^transaction | - | DO 'DECLARE .*RENAME COLUMN" plan.txt || { cat plan.txt; fail "no swap"; }

run 0 migrate --db "$(url $db)" --dir m --online
has "migration 1: 3000 row(s) filled in batches" err
# the backfill's duty and the exclusive units' longest time, said
has "migration 1: the batches ran " err
has "migration 1: 2 transaction(s) took the ACCESS EXCLUSIVE lock, the longest " err
[ "$(fp $db)" = "$new" ] || fail "--online: the schema is not the plain migration's: $(diff \
  <(qd ${db}_plain -c "SELECT dbschema_snapshot()" | tr , '\n') \
  <(qd $db -c "SELECT dbschema_snapshot()" | tr , '\n'))"
[ "$(kept $db)" = "$want_kept" ] || fail "--online: not kept as plain ALTER keeps: $(kept $db) / $want_kept"
[ "$(leftovers $db)" = 0 ] || fail "--online: leftovers"
qd $db -c "UPDATE accounts SET amount = 5 WHERE id = 1" -c "INSERT INTO accounts VALUES (9001, NULL, 7)"
qd $db -c "UPDATE accounts SET amount = amount * 10 WHERE id IN (1, 9001)"
[ "$(wrong_rows $db)" = 0 ] || fail "--online: rows not converted by USING"

# the backfill converts each row once: the trigger returns at once for the
# backfill's own UPDATE (it set the shadow from the same row), so USING's
# expression never runs inside the trigger while no client writes
new_db $db
qd $db <<'SQL'
CREATE SEQUENCE tally_calls;
CREATE FUNCTION tally(a int) RETURNS bigint LANGUAGE plpgsql AS
  $$BEGIN IF pg_trigger_depth() > 0 THEN PERFORM nextval('tally_calls'); END IF; RETURN a; END$$;
SQL
mkdir t
echo "ALTER TABLE accounts ALTER COLUMN amount TYPE bigint USING tally(amount);" >t/V1__tally.sql
run 0 migrate --db "$(url $db)" --dir t --online
has "migration 1: 3000 row(s) filled in batches" err
[ "$(qd $db -c "SELECT last_value * is_called::int FROM tally_calls")" = 0 ] ||
  fail "--online: the trigger converted the backfill's rows again"

# ... but a row one of the table's BEFORE UPDATE triggers changed in the
# backfill's UPDATE (a version counter) is converted from the row that
# trigger leaves: the column after the swap is what the rows held
new_db $db
qd $db <<'SQL'
CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN NEW.amount := OLD.amount + 1; RETURN NEW; END$$;
CREATE TRIGGER bump BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION bump();
SQL
mkdir bumped
echo "ALTER TABLE accounts ALTER COLUMN amount TYPE bigint;" >bumped/V1__bumped.sql
# without USING the sync function is one assignment and pins no
# search_path (the cheapest call: every client write and every row of the
# backfill pays for it); with USING it is pinned (checked above's plan)
bumped_fn=$(qd $db <<'SQL'
BEGIN;
SELECT dbmigrate_add('1', 'bumped', 'ALTER TABLE accounts ALTER COLUMN amount TYPE bigint;') \g /dev/null
SELECT statement FROM dbmigrate_online_plan('1') WHERE statement LIKE 'CREATE FUNCTION%';
ROLLBACK;
SQL
)
case "$bumped_fn" in
  *"LANGUAGE plpgsql AS 'BEGIN NEW.dbcare_online_new_amount := NEW.amount; RETURN NEW; END'") ;;
  *) fail "no plain assignment for the sync function without USING: $bumped_fn" ;;
esac
run 0 migrate --db "$(url $db)" --dir bumped --online
[ "$(qd $db -c "SELECT count(*) FROM accounts WHERE amount <> id % 100 + 1")" = 0 ] ||
  fail "--online: the shadow missed a change another BEFORE trigger made in the backfill"

# the primary key column, not the table's last: its keys (unique indexes
# built CONCURRENTLY, then PRIMARY KEY / UNIQUE USING INDEX), the sequence
# it owns, the foreign key to it
# (NOT VALID, then validated), the view, policy and trigger naming it, made
# again by their definitions (PostgreSQL's own ALTER refuses the last
# three); the column ends last
new_db $db
qd $db <<'SQL'
CREATE TABLE payments (account int REFERENCES accounts (id));
INSERT INTO payments SELECT g FROM generate_series(1, 3000, 7) g;
CREATE POLICY positive ON accounts FOR SELECT TO dbcare_online_type_reader USING (id > 0);
INSERT INTO accounts VALUES (0, 'hidden', 0); -- no policy lets the reader see it
CREATE TRIGGER accounts_id_check BEFORE UPDATE ON accounts FOR EACH ROW
  WHEN (NEW.id < 0) EXECUTE FUNCTION accounts_note();
GRANT SELECT ON account_notes TO dbcare_online_type_reader;
COMMENT ON VIEW account_notes IS 'notes';
CREATE SEQUENCE accounts_id_seq OWNED BY accounts.id;
ALTER TABLE accounts ALTER COLUMN id SET DEFAULT nextval('accounts_id_seq');
ALTER TABLE accounts ADD CONSTRAINT id_note UNIQUE (id, note) DEFERRABLE;
SQL
defs() {
  qd $db -c "SELECT string_agg(x, ' / ' ORDER BY x) FROM (
    SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'accounts'::regclass
    UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) || convalidated
      FROM pg_constraint WHERE conrelid IN ('accounts'::regclass, 'payments'::regclass)
    UNION ALL SELECT pg_get_triggerdef(oid) || tgenabled::text FROM pg_trigger
      WHERE tgrelid = 'accounts'::regclass AND NOT tgisinternal
    UNION ALL SELECT polname || polroles::text || pg_get_expr(polqual, polrelid) FROM pg_policy
    UNION ALL SELECT pg_get_serial_sequence('accounts', 'id')
    UNION ALL SELECT pg_get_viewdef(oid) || array_to_string(reloptions, ',') || relacl::text
      || obj_description(oid, 'pg_class') FROM pg_class WHERE relname = 'account_notes') s(x)"
}
want_defs=$(defs)
mkdir m3
echo "ALTER TABLE accounts ALTER COLUMN id TYPE bigint;" >m3/V1__id.sql
policies_hold $db 0 || fail "before: the reader sees $(reader_sees $db 0) (rows, hidden)"
run 0 migrate --db "$(url $db)" --dir m3 --online
[ "$(defs)" = "$want_defs" ] || fail "not made again as they were: $(defs) / $want_defs"
policies_hold $db 0 || fail "the policy on the column, made again: the reader sees $(reader_sees $db 0)"
[ "$(qd $db -c "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', '
    ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'accounts'::regclass AND attnum > 0
    AND NOT attisdropped")" = "note text, amount integer, id bigint" ] ||
  fail "the column is not bigint and last"
[ "$(leftovers $db)" = 0 ] || fail "the key column: leftovers"
[ "$(qd $db -c "SELECT count(*) FROM payments JOIN account_notes ON id = account")" = 429 ] ||
  fail "the view or the foreign key's rows lost"

# a column an expression index uses: refused up front, the index named,
# nothing changed
new_db $db
qd $db -c "CREATE INDEX accounts_amount_plus ON accounts ((amount + 1))"
before=$(fp $db)
run 1 migrate --db "$(url $db)" --dir m --online
has "dbcare: migrate --online cannot change the type of column amount of accounts through a shadow column: index accounts_amount_plus depend(s) on it" err
has "Drop them before the ALTER and create them again after it" err
run 0 rollback --db "$(url $db)"
[ "$(fp $db)" = "$before" ] && [ "$(leftovers $db)" = 0 ] || fail "the refused run changed the schema"

# killed before a statement it sends: each of the first four, then every
# other one (CI's budget), then the last ones again until a kill falls
# after the swap; point K returns 1 when the run was not killed (K is past
# its last statement)
killed=0 resumed=0 undone=0 finished=0
point() {
  local k=$1 rc swapped
  new_db $db
  set +e
  DBCARE_TEST_ONLINE_KILL_AT=$k "$cli" migrate --db "$(url $db)" --dir m --online >out 2>err
  rc=$?
  set -e
  [ $rc != 0 ] || return 1
  [ $rc = 137 ] || { cat out err; fail "kill point $k: exit $rc, not killed"; }
  killed=$((killed + 1))
  # a client under the policies sees what it saw before: not the hidden row
  policies_hold $db 3000 || fail "kill point $k: the reader sees $(reader_sees $db 3000) (rows, hidden)"
  # writes while it is stopped: the trigger (or the steps to come) convert them
  swapped=$(qd $db -c "SELECT atttypid = 'bigint'::regtype FROM pg_attribute
    WHERE attrelid = 'accounts'::regclass AND attname = 'amount'")
  if [ "$swapped" = f ]; then
    qd $db -c "UPDATE accounts SET amount = 5 WHERE id = 1" -c "INSERT INTO accounts VALUES (9001, NULL, 7)"
  else
    qd $db -c "UPDATE accounts SET amount = 50 WHERE id = 1" -c "INSERT INTO accounts VALUES (9001, NULL, 70)"
  fi
  if [ $((killed % 2)) = 0 ] && [ "$swapped" = f ]; then
    run 0 rollback --db "$(url $db)"
    undone=$((undone + 1))
    [ "$(fp $db)" = "$old" ] || fail "kill point $k: rolled back, the schema is not the old one"
    [ "$(leftovers $db)" = 0 ] || fail "kill point $k: leftovers after the rollback"
    policies_hold $db 3000 || fail "kill point $k: rolled back, the reader sees $(reader_sees $db 3000)"
    [ "$(qd $db -c "SELECT (SELECT state FROM dbmigrate_status() WHERE version = '1')
        || (SELECT count(*) FROM dbmigrate_history() WHERE version = '1')
        || (SELECT count(*) FROM accounts WHERE amount <> CASE id WHEN 1 THEN 5
             WHEN 9001 THEN 7 ELSE id % 100 END)")" = pending00 ] ||
      fail "kill point $k: rolled back, not pending without events, or rows changed"
    return 0
  fi
  if [ "$swapped" = t ]; then
    # past the swap there is nothing to undo: rollback says so, the run finishes
    run 1 rollback --db "$(url $db)"
    has "cannot be undone" err
    has "Finish it with dbcare migrate --online instead." err
    finished=$((finished + 1))
  fi
  run 0 migrate --db "$(url $db)" --dir m --online
  [ "$(fp $db)" = "$new" ] || fail "kill point $k: resumed, the schema is not the plain one's"
  ! grep -q "resumed, [0-9]* step(s) done by a run that stopped" err || resumed=$((resumed + 1))
  [ "$(leftovers $db)" = 0 ] || fail "kill point $k: leftovers after the resume"
  policies_hold $db 3000 || fail "kill point $k: resumed, the reader sees $(reader_sees $db 3000)"
  [ "$(wrong_rows $db)" = 0 ] || fail "kill point $k: rows not converted: $(qd $db -c "
    SELECT id, amount FROM accounts WHERE amount IS DISTINCT FROM
    CASE id WHEN 1 THEN 50 WHEN 9001 THEN 70 ELSE (id % 100) * 10 END LIMIT 5")"
  [ "$(qd $db -c "SELECT (SELECT state FROM dbmigrate_status() WHERE version = '1')
      || (SELECT count(*) FROM dbmigrate_history() WHERE version = '1')")" = applied1 ] ||
    fail "kill point $k: not applied once"
}
k=0
while :; do
  k=$((k + (k < 4 ? 1 : 2)))
  point $k || break
done
while [ $finished = 0 ] && [ $k -gt 1 ]; do
  k=$((k - 1))
  point $k || true
done
[ $killed -ge 20 ] || fail "only $killed kill points"
[ $resumed -ge 8 ] || fail "only $resumed runs resumed after recorded steps"
[ $undone -ge 8 ] || fail "only $undone runs undone"
[ $finished -ge 1 ] || fail "no kill point after the swap"
echo "ok: $killed kill points (the last at $k), $resumed resumed after recorded steps, $undone undone, $finished finished after the swap"
