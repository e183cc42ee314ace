#!/usr/bin/env bash
# dbcheck_constraints() and the full health report over 10,000 tables with
# the default max_locks_per_transaction (64): the shared lock table holds
# about 64 x (max_connections + workers) ~ 7,800 locks, and a call that kept
# the locks of every checked table (the table and its primary key's index,
# which the planner opens: 20,000 here) failed with "out of shared memory"
# (about 6,800 tables in). Each
# table's checks now run in a subtransaction that is rolled back, so a call
# holds the locks of one table at a time.
set -eu
db=dbcare_many_tables
. "$(dirname "$0")/lib/pg.sh"
tables=10000

fresh_db
[ "$(q -c "SHOW max_locks_per_transaction")" = 64 ] || fail "the cluster does not run the default max_locks_per_transaction"
# Created in batches: one transaction creating them all would itself run out of locks.
q -c "DO \$\$ BEGIN
        FOR i IN 1..$tables LOOP
          EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY, v int CHECK (v > 0))', i);
          IF i % 1000 = 0 THEN COMMIT; END IF;
        END LOOP;
      END \$\$"
q -c "INSERT INTO t77 VALUES (1, 1), (2, -3)" 2>/dev/null && fail "the CHECK let a bad row in"
q -c "INSERT INTO t77 VALUES (1, 1)" -c "ALTER TABLE t77 ADD CONSTRAINT t77_negative CHECK (v < 0) NOT VALID"

out=$(q -c "SELECT count(*) || ' ' || sum(violations) || ' ' || count(*) FILTER (WHERE violations IS NULL)
              FROM dbcheck_constraints()" 2>&1) || fail "dbcheck_constraints over $tables tables: $out"
[ "$out" = "$((2 * tables + 1)) 1 0" ] || fail "dbcheck_constraints: want $((2 * tables + 1)) rows, 1 violation, none unchecked: $out"
echo "dbcheck_constraints: $tables tables checked, the one violation found"

# Locks are gone after the call too, not only between tables.
out=$(q -c "BEGIN" -c "SELECT count(*) FROM dbcheck_constraints()" \
        -c "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation'
              AND relation::regclass::text ~ '^t[0-9]+$'" -c "COMMIT")
[ "$(echo "$out" | tail -n 1)" = 0 ] || fail "the checked tables are still locked after the call: $out"
echo "no checked table stays locked"

out=$(q -c "SELECT c->>'status' || ' ' || (c->>'value') FROM jsonb_array_elements(dbhealth_report('full')->'checks') AS c
              WHERE c->>'name' = 'constraint_violations'" 2>&1) || fail "full report: $out"
[ "$out" = "critical 1" ] || fail "full report: constraint_violations should find the one violation: $out"
echo "dbhealth_report('full'): constraint_violations runs over $tables tables"
echo ok
