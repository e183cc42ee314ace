#!/usr/bin/env bash
# No statement dbcare plans for itself pays for JIT: a retention run's
# batches (and the catalog and bookkeeping queries around them) are planned
# with jit off, whatever the session's jit settings. The study setting:
# jit_above_cost = 0, so that every statement planned with jit on compiles
# (inlining and optimizing stay off to keep compiling cheap). Counted with
# pg_stat_statements (track = all sees the nested statements): the
# statements dbcare ran compile no function, while a plain query of the
# same session does (JIT works in this cluster: the count could fail).
set -eu
db=dbcare_retain_jit
. "$(dirname "$0")/lib/pg.sh"
fresh_db
q -c "CREATE EXTENSION pg_stat_statements" >/dev/null
q <<'SQL' >/dev/null
CREATE TABLE ev (id bigint PRIMARY KEY, at timestamptz NOT NULL, body text);
CREATE INDEX ev_at ON ev (at);
INSERT INTO ev SELECT i, now() - interval '30 days' - i * interval '1 second', 'x'
  FROM generate_series(1, 5000) i;
CREATE SCHEMA archive;
CREATE TABLE old (id bigint PRIMARY KEY, at timestamptz NOT NULL);
INSERT INTO old SELECT i, now() - interval '30 days' FROM generate_series(1, 3000) i;
SELECT dbretain_add('ev', 'ev', 'at', '7 days', 'archive', 'archive.ev');
SELECT dbretain_add('old', 'old', 'at', '7 days', 'delete');
SELECT dbcare_set('retain.batch_size', '500');
ANALYZE;
SQL
out=$(q <<'SQL'
SET jit = on;
SET jit_above_cost = 0;
SET jit_inline_above_cost = -1;
SET jit_optimize_above_cost = -1;
SET pg_stat_statements.track = 'all';
SELECT pg_stat_statements_reset();
CALL dbretain_run();
SELECT * FROM dbretain_plan();
SELECT 'dbcare ' || count(*) || ' ' || coalesce(sum(jit_functions), 0)
  FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND NOT toplevel;
SELECT count(*) AS control FROM ev, old WHERE ev.id = old.id;
SELECT 'control ' || coalesce(sum(jit_functions), 0) FROM pg_stat_statements
  WHERE query LIKE 'SELECT count(*) AS control%';
SELECT 'left ' || (SELECT count(*) FROM ev) || ' ' || (SELECT count(*) FROM archive.ev)
  || ' ' || (SELECT count(*) FROM old);
SQL
)
dbc=$(echo "$out" | sed -n 's/^dbcare //p')
control=$(echo "$out" | sed -n 's/^control //p')
left=$(echo "$out" | sed -n 's/^left //p')
[ "$left" = "0 5000 0" ] || fail "the run did not move every row (ev, archive.ev, old): $left"
[ "${control:-0}" -gt 0 ] || fail "JIT compiled nothing for a plain query: JIT is not available here ($out)"
set -- $dbc
[ "$1" -gt 10 ] || fail "pg_stat_statements saw only $1 statements of dbcare's"
[ "$2" = 0 ] || {
  q -c "SELECT jit_functions, left(query, 120) FROM pg_stat_statements WHERE NOT toplevel AND jit_functions > 0 ORDER BY 1 DESC LIMIT 5"
  fail "dbcare's statements compiled $2 JIT functions"
}
echo "ok: $1 statements of a retention run compiled no JIT function (a plain query compiled $control)"
