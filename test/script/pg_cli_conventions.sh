#!/usr/bin/env bash
# The command line's conventions on PostgreSQL (issue 38): JSON output the
# same as SQLite's — times in RFC 3339 UTC with milliseconds whatever the
# session's time zone, backup's answer as JSON only under --json (compact,
# as on SQLite) — and option values checked before connecting.
set -eu
db=dbcare_cli_conv
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
fresh_db
rfc3339='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'

# --- a bad value: usage (2) before connecting, even to a server that is not there
run 2 health --mode fast --db "postgresql://nobody@/none?host=/nonexistent"
has '--mode is quick, standard or full' err

# --- times: RFC 3339 UTC, the instant the database stored, in any time zone
mkdir mig
echo 'CREATE TABLE t (a int PRIMARY KEY);' >mig/V1__t.sql
run 0 migrate --dir mig --db "$url"
want=$(q -c "SELECT to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')
             FROM dbmigrate_status() WHERE version = '1'")
for tz in UTC Asia/Kolkata America/St_Johns; do
  PGTZ=$tz run 0 status --dir mig --json --db "$url"
  got=$(json '[m["applied_at"] for m in d["migrations"]][0]')
  [[ $got =~ $rfc3339 ]] || fail "applied_at is not RFC 3339 UTC under $tz: $got"
  [ "$got" = "$want" ] || fail "applied_at under $tz: $got, the database has $want"
  PGTZ=$tz run 0 history --json --db "$url"
  [ "$(json 'd["history"][0]["applied_at"]')" = "$want" ] || fail "history under $tz: $(cat out)"
done

# --- backup: a table unless --json; under --json compact, as on SQLite
PATH="$B:$PATH" run 0 backup "$work/one.dump" --db "$url"
[ "$(head -c 1 out)" != "{" ] || fail "backup printed JSON without --json: $(cat out)"
has "path" out
PATH="$B:$PATH" run 0 backup "$work/two.dump" --db "$url" --json
json 'd["backup"]["path"]' | grep -q two.dump || fail "backup --json: $(cat out)"
! grep -q '": ' out || fail "backup --json is not compact: $(cat out)"
# --- settings from the shell: config list | get | set
run 0 config set retain.batch_size 250 --db "$url"
[ "$(q -c "SELECT dbcare_get('retain.batch_size')")" = 250 ] || fail "config set did not store 250"
[ "$(json 'd["settings"][0]["value"]' 2>/dev/null || true)" = "" ] # table output, not JSON
has "250" out
run 0 config get retain.batch_size --db "$url"; [ "$(cat out)" = 250 ] || fail "config get: $(cat out)"
run 0 config list --db "$url" --json
[ "$(json '[s["value"] for s in d["settings"] if s["key"] == "retain.batch_size"][0]')" = 250 ] ||
  fail "config list: $(cat out)"
run 1 config set retain.batch_size lots --db "$url"; has 'invalid value "lots"' err
# --- create and drop a database of the server; dump the schema
other=dbcare_cli_conv_new
purl="postgresql://$PGUSER@/$other?host=$PGHOST&port=$PGPORT"
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $other"
run 0 create --install --db "$purl"
[ "$("$B/psql" -X -At -d "$other" -c "SELECT extname FROM pg_extension WHERE extname = 'dbcare'")" = dbcare ] ||
  fail "create --install did not install the extension"
run 0 create --db "$purl"; has 'exists already' err
PATH="$B:$PATH" run 0 migrate --dir mig --dump-schema --db "$purl"
grep -q 'CREATE TABLE public.t' db/schema.sql || fail "schema.sql: $(cat db/schema.sql)"
grep -q '^--   1 t$' db/schema.sql || fail "schema.sql lacks the applied migration"
run 0 drop --db "$purl"
[ -z "$("$B/psql" -X -At -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$other'")" ] ||
  fail "drop left the database"
run 0 drop --db "$purl"; has 'does not exist' err
echo ok
