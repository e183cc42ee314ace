#!/usr/bin/env bash
# A desired schema's own code can spend time (a default computed once by a
# function that never returns: issue 49's review). dbmigrate_generate runs
# within the caller's statement_timeout, and dbcare generate takes one the
# way every libpq client does (PGOPTIONS, or options= in the connection
# string; docs/security.md): the call ends with the server's timeout
# error, writes no migration, leaves no one-time role, and the session
# that made the call stays usable.
set -eu
db=dbcare_generate_time_bound
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
fresh_db
q -c "CREATE TABLE z (a int)" >/dev/null
cat > "$work/loop.sql" <<'SQL'
CREATE FUNCTION spin() RETURNS int LANGUAGE plpgsql IMMUTABLE AS $f$BEGIN LOOP END LOOP; END$f$;
CREATE TABLE z (a int);
ALTER TABLE z ADD COLUMN b int DEFAULT spin();
SQL
mkdir "$work/mig"
gen_roles() { q -c "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'dbcare\_gen\_%'"; }

# the command, bounded by PGOPTIONS (the outer timeout only catches a hang)
started=$(date +%s)
set +e
PGOPTIONS='-c statement_timeout=2s' timeout 120 "$cli" --db "dbname=$db" \
  generate --to "$work/loop.sql" spin --dir "$work/mig" >"$work/out" 2>"$work/err"
rc=$?
set -e
took=$(($(date +%s) - started))
[ "$rc" != 124 ] || fail "dbcare generate ran past its statement_timeout for 120 s"
[ "$rc" != 0 ] || fail "dbcare generate succeeded on a default that never returns: $(cat "$work/out")"
grep -q 'statement timeout' "$work/err" || fail "not the timeout's error: $(cat "$work/err")"
[ -z "$(ls -A "$work/mig")" ] || fail "a migration was written: $(ls "$work/mig")"
[ "$(gen_roles)" = 0 ] || fail "a one-time role outlived the call"
echo "ok: dbcare generate ended at its statement_timeout in ${took}s (exit $rc), nothing written"

# the function in one session: the timeout's error, then the session usable
got=$("$B/psql" -X -q -At -d "$db" -v "desired=$(cat "$work/loop.sql")" 2>&1 <<'SQL'
SET statement_timeout = '2s';
SELECT count(*) FROM dbmigrate_generate(:'desired');
RESET statement_timeout;
SELECT 'usable:' || current_user || ':' || (SELECT count(*) FROM z);
SQL
) || true
grep -q 'canceling statement due to statement timeout' <<<"$got" || fail "no timeout error: $got"
grep -qx 'usable:postgres:0' <<<"$got" || fail "the session is not usable after the timeout: $got"
[ "$(gen_roles)" = 0 ] || fail "a one-time role outlived the call"
echo "ok: dbmigrate_generate ended at the session's statement_timeout; the session stays usable"

# without any statement_timeout the scratch place has its own deadline
# (issue 64): dbcare.generate_timeout, 1 min by default; before, a
# pg_sleep(600) in a default held the call for ten minutes. Set to 1 s
# here, the call ends with a dbcare: error naming the line, the session
# usable and no role left; a deadline long enough lets the file through
[ "$(q -c "LOAD 'dbcare'" -c "SHOW dbcare.generate_timeout")" = 1min ] || fail "the default deadline is not 1min"
cat > "$work/sleep.sql" <<'SQL'
CREATE TABLE z (a int);
CREATE FUNCTION nap() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 1 FROM pg_sleep(600)';

ALTER TABLE z ADD COLUMN b int DEFAULT nap();
SQL
started=$(date +%s)
got=$("$B/psql" -X -q -At -d "$db" -v "desired=$(cat "$work/sleep.sql")" 2>&1 <<'SQL'
SET statement_timeout = 0;
SET dbcare.generate_timeout = '1s';
SELECT count(*) FROM dbmigrate_generate(:'desired');
SELECT 'usable:' || current_user || ':' || (SELECT count(*) FROM z);
SQL
) || true
took=$(($(date +%s) - started))
[ "$took" -lt 30 ] || fail "the call ran ${took}s past its 1 s deadline: $got"
grep -q 'ERROR:  dbcare: the desired schema ran past dbcare.generate_timeout (1000 ms) at line 4' <<<"$got" ||
  fail "not the deadline's error naming line 4: $got"
grep -q 'HINT:  .*dbcare.generate_timeout' <<<"$got" || fail "no hint naming the setting: $got"
grep -qx 'usable:postgres:0' <<<"$got" || fail "the session is not usable after the deadline: $got"
[ "$(gen_roles)" = 0 ] || fail "a one-time role outlived the call"
# the command takes it the libpq way, and the error reaches its output
set +e
PGOPTIONS='-c dbcare.generate_timeout=1s' timeout 60 "$cli" --db "dbname=$db" \
  generate --to "$work/sleep.sql" nap --dir "$work/mig" >"$work/out" 2>"$work/err"
rc=$?
set -e
[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "dbcare generate did not end at its deadline (exit $rc)"
grep -q 'dbcare: the desired schema ran past dbcare.generate_timeout (1000 ms) at line 4' "$work/err" ||
  fail "the command does not say which line: $(cat "$work/err")"
[ -z "$(ls -A "$work/mig")" ] || fail "a migration was written: $(ls "$work/mig")"
# a short sleep within a longer deadline is planned
got=$(q -v "desired=CREATE TABLE z (a int);
CREATE FUNCTION nap() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 1 FROM pg_sleep(0.2)';
ALTER TABLE z ADD COLUMN b int DEFAULT nap();" <<'SQL'
SET dbcare.generate_timeout = '30s';
SELECT count(*) FROM dbmigrate_generate(:'desired');
SQL
)
[ "$got" -ge 2 ] || fail "a file within its deadline is not planned: $got"
echo "ok: the scratch place's own deadline ends the call, naming the line"
