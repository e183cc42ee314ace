#!/usr/bin/env bash
# dbcare serve answers only a Host that names it (DNS rebinding): a
# request whose Host is another site's name is refused (421) on every
# route, the page too, naming --allow-host; its address, localhost (on
# loopback) and a name of --allow-host are answered, with any other port
# refused; the HTML answers may not be framed by another site
# (X-Frame-Options DENY, CSP frame-ancestors 'none') and no answer is
# sniffed (nosniff).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
export DBCARE_MODULE="$module"
py=/usr/bin/python3
sqlite3 app.db "CREATE TABLE t (id INTEGER PRIMARY KEY);"
run 0 health --db "sqlite:app.db"

start_serve serve.log --db "sqlite:app.db" --min-interval 0 --allow-host dbcare.internal,Other.Example
for path in / /live /metrics /readyz /livez /health; do
  get "$base$path" -H "Host: evil.example:$port"
  want_code 421 "GET $path with Host evil.example"
  grep -q '^dbcare: Host "evil.example:[0-9]*" does not name this server: .*--allow-host NAME' "$work/body" ||
    fail "the refusal does not say why: $(cat "$work/body")"
done
get "$base/metrics" -H "Host: evil.example"
want_code 421 "Host evil.example without a port"
get "$base/metrics" -H "Host: dbcare.internal.evil.example:$port"
want_code 421 "a name that only starts with an allowed one"
get "$base/metrics" -H "Host: 127.0.0.1:$((port + 1))"
want_code 421 "the address with another port"

get "$base/metrics"
want_code 200 "Host 127.0.0.1:PORT (curl's own)"
for host in "localhost:$port" "LOCALHOST:$port" "dbcare.internal:$port" "other.example:$port" "[::1]:$port"; do
  get "$base/readyz" -H "Host: $host"
  want_code 200 "Host $host"
done

get "$base/"
want_code 200 "the page"
[ "$(header X-Frame-Options)" = DENY ] || fail "the page has no X-Frame-Options DENY: $(cat "$work/headers")"
[ "$(header Content-Security-Policy)" = "frame-ancestors 'none'" ] ||
  fail "the page has no CSP frame-ancestors 'none': $(cat "$work/headers")"
[ "$(header X-Content-Type-Options)" = nosniff ] || fail "the page has no nosniff: $(cat "$work/headers")"
get "$base/live"
want_code 200 "the live page"
[ "$(header X-Frame-Options)" = DENY ] || fail "/live has no X-Frame-Options DENY: $(cat "$work/headers")"
[ "$(header Content-Security-Policy)" = "frame-ancestors 'none'" ] ||
  fail "/live has no CSP frame-ancestors 'none': $(cat "$work/headers")"
get "$base/metrics"
[ "$(header X-Content-Type-Options)" = nosniff ] || fail "/metrics has no nosniff: $(cat "$work/headers")"
stop_serve

# without --allow-host, only addresses and localhost
start_serve serve2.log --db "sqlite:app.db" --min-interval 0
get "$base/readyz" -H "Host: dbcare.internal:$port"
want_code 421 "a name not allowed"
get "$base/readyz" -H "Host: localhost:$port"
want_code 200 "localhost on loopback"
stop_serve
echo "ok: serve refuses a Host not its own, and its pages are not framed"
