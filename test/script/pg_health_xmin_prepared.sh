#!/usr/bin/env bash
# An orphaned prepared transaction holds the xmin horizon back (issue 67):
# VACUUM cannot remove the dead tuples deleted after it, and a plan that
# only proposes VACUUM cannot work. xmin_horizon names the prepared
# transaction (its gid, which holds a quote here, with the xid age it
# pins); the plan offers ROLLBACK PREPARED for it, destructive, and its
# fragmentation row (and the report's hint) has no VACUUM but names the
# holder. After the rollback,
# VACUUM removes the dead tuples and both findings clear.
# The setting this test studies: max_prepared_transactions (0 by default,
# and only a restart changes it), so it runs on a throwaway cluster of its
# own (stock settings otherwise, Unix socket only, stopped on every path).
set -eu
db=dbcare_health_xmin_prepared
. "$(dirname "$0")/lib/pg.sh"
t0=$(date +%s)

AS_PG=()
[ "$(id -u)" != 0 ] || AS_PG=(runuser -u postgres --)
chmod 755 "$work"
xc=$work/xc
mkdir -p "$xc/sock"
xc_port=$((20000 + RANDOM % 20000))
[ "$(id -u)" != 0 ] || chown -R postgres: "$xc"
"${AS_PG[@]}" "$B/initdb" -D "$xc/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C >"$xc/initdb.log" 2>&1 ||
  { cat "$xc/initdb.log"; fail "initdb failed"; }
cat >>"$xc/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $xc_port
unix_socket_directories = '$xc/sock'
max_prepared_transactions = 2
CONF
read -r -a xc_env <<<"${DBC_PG_SERVER_ENV:-}"
trap '"${AS_PG[@]}" "$B/pg_ctl" -D "$xc/data" -m immediate -w -t 120 stop >/dev/null 2>&1 || true; cleanup' EXIT
"${AS_PG[@]}" env "${xc_env[@]}" "$B/pg_ctl" -D "$xc/data" -l "$xc/server.log" -w -t 120 start >/dev/null ||
  { tail -n 30 "$xc/server.log"; fail "the cluster did not start"; }
X() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$xc/sock" -p "$xc_port" -U postgres -d app "$@"; }
"$B/psql" -X -q -h "$xc/sock" -p "$xc_port" -U postgres -d postgres -c "CREATE DATABASE app" >/dev/null
X -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare" \
  -c "CREATE TABLE orders (id int PRIMARY KEY, note text)" \
  -c "CREATE TABLE side (id int)" \
  -c "INSERT INTO orders SELECT i, 'order ' || i FROM generate_series(1, 4000) i" \
  -c "VACUUM ANALYZE orders" >/dev/null
# the orphan: a two-phase transaction prepared and never finished
X -c "BEGIN" -c "INSERT INTO side VALUES (1)" -c "PREPARE TRANSACTION 'pay''ment-42'" >/dev/null
X -c "DELETE FROM orders WHERE id > 1000" -c "SELECT txid_current()" >/dev/null
X -c "VACUUM orders" >/dev/null
# the pinned tuples stay: VACUUM could not remove them
dead=$(X -c "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'orders'")
[ "$dead" -ge 3000 ] || fail "the dead tuples are not kept by the prepared transaction ($dead)"
echo "ok: VACUUM leaves $dead dead tuples behind the prepared transaction"

# a prepared transaction a few xids old is past a warn line of 0 (the
# default warns at 1,000,000 xids, which a test cannot wait for)
X -c "SELECT dbcare_set('health.xmin_horizon.warn', '0')" >/dev/null
row=$(X -c "SELECT status || '|' || message FROM dbhealth_checks('quick') WHERE name = 'xmin_horizon'")
echo "$row"
case "$row" in
  "warning|"*"prepared transaction 'pay''ment-42'"*) echo "ok: the report names the prepared transaction" ;;
  *) fail "xmin_horizon does not name the prepared transaction: $row" ;;
esac

plan=$(X -c "SELECT action || ' | ' || coalesce(statement, '-') || ' | ' || safety || ' | ' || outside_transaction
             FROM dbmaintain_plan('quick') WHERE action IN ('end_holder', 'vacuum') ORDER BY action")
echo "$plan"
want="end_holder | ROLLBACK PREPARED 'pay''ment-42' | destructive | true"
[ "$(printf '%s\n' "$plan" | head -n 1)" = "$want" ] || fail "the plan does not offer ROLLBACK PREPARED: $plan"
vac=$(X -c "SELECT coalesce(statement, '-') || ' | ' || reason FROM dbmaintain_plan('quick') WHERE action = 'vacuum'")
case "$vac" in
  "- | fragmentation: "*"while prepared transaction 'pay''ment-42' holds the xmin horizon back"*) ;;
  *) fail "the fragmentation row does not name the holder instead of a VACUUM: $vac" ;;
esac
hint=$(X -c "SELECT hint FROM dbhealth_checks('quick') WHERE name = 'fragmentation'")
case "$hint" in
  "VACUUM cannot remove these dead tuples while prepared transaction 'pay''ment-42' holds the xmin horizon back"*) ;;
  *) fail "the fragmentation finding does not name the holder: $hint" ;;
esac
echo "ok: the plan ends the holder and proposes no VACUUM that cannot work; the report links the two"
# an unasked run touches none of it
[ "$(X -c "SELECT count(*) FROM dbmaintain_run('quick') WHERE action = 'end_holder' AND status = 'done'")" = 0 ] ||
  fail "an unasked run ended the holder"
[ "$(X -c "SELECT count(*) FROM pg_prepared_xacts")" = 1 ] || fail "the prepared transaction is gone"

# the repair, as the plan gives it, then VACUUM
stmt=$(X -c "SELECT statement FROM dbmaintain_plan('quick') WHERE action = 'end_holder'")
X -c "$stmt" >/dev/null
X -c "VACUUM orders" >/dev/null
dead=$(X -c "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'orders'")
[ "$dead" = 0 ] || fail "VACUUM after the rollback left $dead dead tuples"
for c in xmin_horizon fragmentation; do
  st=$(X -c "SELECT status FROM dbhealth_checks('quick') WHERE name = '$c'")
  [ "$st" = ok ] || fail "$c after the repair: $st"
done
echo "ok: after ROLLBACK PREPARED, VACUUM removes the dead tuples and both findings clear"

# the audit's bookkeeping of a prepared transaction (this cluster is the
# suite's one with max_prepared_transactions): written at PREPARE
# TRANSACTION, so COMMIT PREPARED keeps its entries, its chain head and its
# count, and ROLLBACK PREPARED leaves none of them
X -c "SELECT dbcare_set('audit.hash_chain', 'on')" -c "CREATE TABLE paid (id int PRIMARY KEY)" \
  -c "SELECT dbaudit_enable('paid')" >/dev/null
# (one after the other: until it is finished, a prepared transaction keeps
# the chain's head locked, and its backend slot's row of audit_written,
# which the next backend given that slot writes at its commit)
got=$(X -c "BEGIN" -c "INSERT INTO paid VALUES (4)" -c "PREPARE TRANSACTION 'audit-undone'" \
  -c "ROLLBACK PREPARED 'audit-undone'" \
  -c "BEGIN" -c "INSERT INTO paid VALUES (1)" -c "SAVEPOINT s" -c "INSERT INTO paid VALUES (2)" \
  -c "ROLLBACK TO s" -c "INSERT INTO paid VALUES (3)" -c "PREPARE TRANSACTION 'audit-kept'" \
  -c "SELECT count(*) FROM dbcare.audit_log" -c "COMMIT PREPARED 'audit-kept'" \
  -c "SELECT string_agg(key->>'id', ',' ORDER BY id) FROM dbcare.audit_log" \
  -c "SELECT coalesce(broken_id::text, '-') || ' ' || coalesce(problem, '-') FROM dbaudit_verify()" \
  -c "SELECT last_id = (SELECT max(id) FROM dbcare.audit_log) FROM dbcare.audit_chain" \
  -c "SELECT sum(entries) FROM dbcare.audit_written")
[ "$got" = "0
1,3
- -
t
2" ] || fail "the prepared audited transactions (while prepared; entries, verify, head, count): $got"
echo "ok: COMMIT PREPARED keeps the audit's entries, head and count; ROLLBACK PREPARED none"

# an audited transaction left prepared holds no row its backend's next
# transactions write: this session's audited commits go on (before, each
# waited for the prepared one at its commit), also after a reader made a
# transaction write its count early and then prepare it; once both are
# finished, the count is every entry, and the rows of ended prepared
# transactions are folded into one
X -c "CREATE TABLE tips (id int PRIMARY KEY)" \
  -c "SELECT dbaudit_enable('tips', '{\"hash_chain\": false}')" >/dev/null
got=$(X -c "SET lock_timeout = '3s'" \
  -c "BEGIN" -c "INSERT INTO tips VALUES (1)" -c "PREPARE TRANSACTION 'tip-open'" \
  -c "INSERT INTO tips VALUES (2)" \
  -c "BEGIN" -c "INSERT INTO tips VALUES (3)" -c "SELECT count(*) >= 0 FROM dbaudit_verify()" \
  -c "PREPARE TRANSACTION 'tip-read'" -c "INSERT INTO tips VALUES (4)" \
  -c "COMMIT PREPARED 'tip-open'" -c "COMMIT PREPARED 'tip-read'" \
  -c "BEGIN" -c "INSERT INTO tips VALUES (5)" -c "PREPARE TRANSACTION 'tip-last'" \
  -c "COMMIT PREPARED 'tip-last'" \
  -c "SELECT (SELECT sum(entries) FROM dbcare.audit_written) = (SELECT count(*) FROM dbcare.audit_log)" \
  -c "SELECT count(*) FROM dbcare.audit_written WHERE slot < 0" 2>&1 | grep -v '^$')
[ "$got" = "t
t
1" ] || fail "an unfinished prepared audited transaction held up its backend's next commit, or the count is wrong: $got"
echo "ok: a prepared audited transaction never holds up its backend's next commits"

# a REPEATABLE READ transaction prepared after another folded the rows its
# snapshot still shows (before, its PREPARE failed with 40001: it folded
# them too)
printf '%s\n' "BEGIN;" "INSERT INTO tips VALUES (7);" "PREPARE TRANSACTION 'tip-b';" \
  "COMMIT PREPARED 'tip-b';" >"$xc/b.sql"
chmod 644 "$xc/b.sql"
got=$(X -c "BEGIN ISOLATION LEVEL REPEATABLE READ" -c "INSERT INTO tips VALUES (6)" \
  -c "\\! $B/psql -X -q -h $xc/sock -p $xc_port -U postgres -d app -v ON_ERROR_STOP=1 -f $xc/b.sql" \
  -c "PREPARE TRANSACTION 'tip-a'" -c "COMMIT PREPARED 'tip-a'" \
  -c "SELECT (SELECT sum(entries) FROM dbcare.audit_written) = (SELECT count(*) FROM dbcare.audit_log)" \
  -c "SELECT count(*) FROM dbcare.audit_log WHERE key->>'id' IN ('6', '7')" 2>&1 || true)
[ "$got" = "t
2" ] || fail "a prepared REPEATABLE READ transaction after another's fold: $got"
echo "ok: a REPEATABLE READ transaction prepares after another folded the ended rows"
echo "took $(( $(date +%s) - t0 )) s"
