#!/usr/bin/env bash
# A sequence that ends at a MAXVALUE (or, descending, a MINVALUE) of its own
# (issue 67): widening columns to bigint cannot help it, as nextval stops at
# its own bound whatever the column. The plan raises the bound instead: to
# the range of the integer column it feeds (MAXVALUE 2147483647), or to its
# type's end (NO MAXVALUE / NO MINVALUE) when nothing narrower holds it; a
# name with a quote stays one name. After the run the check is ok and
# nextval goes past the old bound.
set -eu
db=dbcare_maintain_sequence_cap
. "$(dirname "$0")/lib/pg.sh"
fresh_db
t0=$(date +%s)

q -c "CREATE SEQUENCE capped MAXVALUE 1000" \
  -c "CREATE TABLE orders (id int PRIMARY KEY DEFAULT nextval('capped'), note text)" \
  -c "SELECT setval('capped', 960)" \
  -c "CREATE SEQUENCE \"tick'et\" MAXVALUE 100" \
  -c "SELECT setval('\"tick''et\"', 99)" \
  -c "CREATE SEQUENCE down INCREMENT -1 MINVALUE -100 MAXVALUE -1 START -1" \
  -c "SELECT setval('down', -97)" >/dev/null

status=$(q -c "SELECT status || ' ' || round(value) FROM dbhealth_checks('quick') WHERE name = 'sequence_exhaustion'")
echo "before: $status"
[ "$status" = "critical 99" ] || fail "sequence_exhaustion before the repair: $status"

plan=$(q -c "SELECT action || ' | ' || statement || ' | ' || safety FROM dbmaintain_plan('quick')
             WHERE action LIKE 'widen%' ORDER BY statement")
echo "$plan"
want="widen_sequence | ALTER SEQUENCE public.\"tick'et\" NO MAXVALUE | locking
widen_sequence | ALTER SEQUENCE public.capped MAXVALUE 2147483647 | locking
widen_sequence | ALTER SEQUENCE public.down NO MINVALUE | locking"
[ "$plan" = "$want" ] || fail "the plan does not raise the sequences' own bounds: $plan"
echo "ok: each capped sequence's own bound is raised, no column is widened"
hint=$(q -c "SELECT hint FROM dbhealth_checks('quick') WHERE name = 'sequence_exhaustion'")
case "$hint" in
  *"dbmaintain_plan(): widen_sequence "*) echo "ok: the hint points to the row: $hint" ;;
  *) fail "the hint does not point to the widen_sequence row: $hint" ;;
esac

ran=$(q -c "SELECT string_agg(status, ',') FROM dbmaintain_run('quick', 'locking') WHERE action = 'widen_sequence'")
[ "$ran" = "done,done,done" ] || fail "the run: $ran"
after=$(q -c "SELECT status FROM dbhealth_checks('quick') WHERE name = 'sequence_exhaustion'")
[ "$after" = ok ] || fail "sequence_exhaustion after the repair: $after"
for i in $(seq 1 50); do q -c "INSERT INTO orders (note) VALUES ('o$i')" >/dev/null; done
[ "$(q -c "SELECT max(id) FROM orders")" = 1010 ] || fail "orders did not pass 1000"
[ "$(q -c "SELECT nextval('\"tick''et\"')")" = 100 ] || fail "tick'et"
[ "$(q -c "SELECT nextval('\"tick''et\"')")" = 101 ] || fail "tick'et did not pass 100"
q -c "SELECT setval('down', -100)" >/dev/null
[ "$(q -c "SELECT nextval('down')")" = -101 ] || fail "down did not pass -100"
[ "$(q -c "SELECT data_type FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'id'")" = integer ] \
  || fail "the column was rewritten"
echo "ok: the check is ok and nextval passes the old bounds; the column is still integer"
echo "took $(( $(date +%s) - t0 )) s"
