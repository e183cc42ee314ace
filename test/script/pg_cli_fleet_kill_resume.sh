#!/usr/bin/env bash
# The PostgreSQL half of script/sqlite_cli_fleet_kill_resume: a fleet
# migration over four databases of the suite's cluster gets kill -9 (its
# process group) at random moments, DBC_KILLS times (default 50), with and
# without --commit-each. After each kill every member is whole: each
# migration's effects are there exactly when the member's own history
# records it, once (a backend whose client died rolls back, or commits the
# transaction it was told to commit, whole). A final run brings every
# member to the target, each migration recorded exactly once.
# dbcare-test-timeout: 600
set -eu
db=dbcare_fleet_kill
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
command -v setsid > /dev/null || fail "setsid is missing (util-linux)"
kills=${DBC_KILLS:-50}
members="${db}_1 ${db}_2 ${db}_3 ${db}_4"
drop_members() {
  for m in $members; do "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $m WITH (FORCE)" 2> /dev/null || true; done
}
fresh_members() {
  drop_members
  for m in $members; do fresh_copy "$m"; done
}
pid=
trap '[ -z "$pid" ] || kill -9 -- "-$pid" 2> /dev/null || true; drop_members; cleanup' EXIT
fresh_members
mkdir -p m
cat > m/V1__t1.sql <<'SQL'
CREATE TABLE t1 (id int PRIMARY KEY, v text);
INSERT INTO t1 SELECT i, md5(i::text) FROM generate_series(1, 20000) i;
SQL
cat > m/V2__t2.sql <<'SQL'
CREATE TABLE t2 (id int PRIMARY KEY, t1_id int REFERENCES t1 (id));
INSERT INTO t2 SELECT id, id FROM t1;
SQL
cat > m/V3__c.sql <<'SQL'
ALTER TABLE t1 ADD COLUMN c int;
UPDATE t1 SET c = id * 2;
SQL
cat > m/V4__idx.sql <<'SQL'
CREATE INDEX t1_c ON t1 (c);
SQL
cat > m/V5__more.sql <<'SQL'
INSERT INTO t1 SELECT id + 20000, v, c + 1 FROM t1;
SQL
fleet=()
for m in $members; do fleet+=(--db "dbname=$m"); done

# one member's state: "VERSIONS" (its history, each once), or a failure.
# One psql session reads it all (history, which objects exist, and the
# counts of the tables that do): four members are read after every kill.
member_state() {
  local m=$1 out hist flags rows t2rows nullc
  out=$("$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$m" <<'SQL'
SELECT coalesce(max(n), 0) || ' ' || coalesce(string_agg(version, ',' ORDER BY version::int), '') AS hist
FROM (SELECT version, count(*) n FROM dbmigrate_history()
      WHERE direction = 'up' AND success GROUP BY version) h \gset
SELECT to_regclass('t1') IS NOT NULL AS has_t1, to_regclass('t2') IS NOT NULL AS has_t2,
       EXISTS (SELECT FROM information_schema.columns WHERE table_name = 't1' AND column_name = 'c') AS has_c,
       to_regclass('t1_c') IS NOT NULL AS has_idx,
       0 AS rows, 0 AS t2rows, 0 AS nullc \gset
\if :has_t1
SELECT count(*) AS rows FROM t1 \gset
\endif
\if :has_t2
SELECT count(*) AS t2rows FROM t2 \gset
\endif
\if :has_c
SELECT count(*) AS nullc FROM t1 WHERE c IS NULL \gset
\endif
SELECT concat(:'has_t1'::bool::int, :'has_t2'::bool::int, :'has_c'::bool::int, :'has_idx'::bool::int) AS flags \gset
\echo :hist|:flags|:rows|:t2rows|:nullc
SQL
) || return 1
  IFS="|" read -r hist flags rows t2rows nullc <<<"$out"
  case "$hist" in 0\ * | 1\ *) ;; *) echo "$m: a migration recorded more than once: $hist" >&2; return 1 ;; esac
  hist=${hist#* }
  local want
  want=$( (case $rows in 20000 | 40000) echo 1 ;; esac
           [ "$t2rows" = 20000 ] && echo 2
           [ "${flags:2:1}" = 1 ] && [ "$nullc" = 0 ] && echo 3
           [ "${flags:3:1}" = 1 ] && echo 4
           [ "$rows" = 40000 ] && echo 5) | paste -sd,)
  [ "$want" = "$hist" ] || { echo "$m: effects of migrations [$want], history [$hist]: half-applied" >&2; return 1; }
  echo "$hist"
}
all_states() {
  local m s out=
  for m in $members; do s=$(member_state "$m") || return 1; out="$out $s"; done
  echo "$out"
}

# the check can fail: a member with a migration's effects and no history of it
fresh_db
q -f m/V1__t1.sql
! member_state "$db" > /dev/null 2>&1 || fail "the check passed a half-applied member"

# fleet_wait EXIT-STATEMENT: until the statement exits the loop (at most
# 10 s), the fleet's sessions read every 5 ms by one session in the server
# (a psql and a sleep a poll were slower than what they watched)
fleet_wait() {
  "$B/psql" -X -q -d postgres -c "DO \$\$ BEGIN
    FOR n IN 1..2000 LOOP
      PERFORM pg_stat_clear_snapshot();
      $1;
      PERFORM pg_sleep(0.005);
    END LOOP; END \$\$"
}
completed=0 between=0
for round in $(seq 1 "$kills"); do
  flags=()
  [ $((round % 2)) = 0 ] && flags=(--commit-each)
  setsid "$cli" migrate --quiet --jobs 2 --canary 1 --max-failures 10 "${fleet[@]}" --dir m \
    "${flags[@]}" > out 2> err &
  pid=$!
  # the random delay counts from the fleet's first session, not from the
  # command's start: a loaded machine that starts it late moves no kill
  # out of the migrations
  fleet_wait "EXIT WHEN EXISTS (SELECT FROM pg_stat_activity WHERE datname LIKE '${db}\\_%')"
  sleep "0.$(printf '%03d' $((RANDOM % 600)))"
  kill -9 -- "-$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  # a backend whose client was killed ends its statement first: wait for none
  fleet_wait "EXIT WHEN NOT EXISTS (SELECT FROM pg_stat_activity
    WHERE datname LIKE '${db}\\_%' AND pid <> pg_backend_pid())"
  states=$(all_states) || fail "round $round: a member is not whole"
  for s in $states; do case "$s" in 1,2,3,4,5) ;; *) [ "$s" != "" ] && between=$((between + 1)) && break ;; esac; done
  if [ "$states" = " 1,2,3,4,5 1,2,3,4,5 1,2,3,4,5 1,2,3,4,5" ]; then
    completed=$((completed + 1))
    fresh_members
  fi
done
pid=
[ "$kills" -lt 50 ] || [ "$between" -gt 0 ] || fail "no kill of $kills left a member between versions"

run 0 migrate --quiet --jobs 2 --canary 1 --max-failures 10 "${fleet[@]}" --dir m
states=$(all_states) || fail "after the rerun: a member is not whole"
[ "$states" = " 1,2,3,4,5 1,2,3,4,5 1,2,3,4,5 1,2,3,4,5" ] || fail "after the rerun: $states"
echo "$kills kills ($completed after a whole run, $between leaving a member part-way); resumed to V5"
