#!/usr/bin/env bash
# A monitor that reads nothing never says healthy (issue 62). Two files a
# user points dbcare at by mistake or by a service's own user: one that is
# not a database, and a database this user may not read (root reads
# everything, so that one runs as nobody). `dbcare health --fail-on warning`
# (table, --json, --format prometheus), `dbcare report --html` and `dbcare
# serve` (/readyz, the page, /metrics): none says healthy or scores 100, and
# every exit code fails. The messages name the file and say what to do.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
export DBCARE_MODULE="$module"
command -v runuser >/dev/null || fail "runuser is not installed (util-linux)"

# --- a file that is not a database: 8 KB of bytes that are no SQLite header
"$py" -c "import os; open('$work/notes.db', 'wb').write(bytes(range(256)) * 32)"
nodb="sqlite:$work/notes.db"

run 3 health --db "$nodb" --fail-on warning
grep -q "status healthy" "$work/out" && fail "health called a file that is not a database healthy"
has "status unknown" out
has "score 0," out
# the message names the file and the remedy
has "\"$work/notes.db\" is not a SQLite database" err
has "HINT: Check the path" err

run 3 health --db "$nodb" --fail-on critical --json
[ "$(json "d['status'], d['score']")" = "unknown 0" ] ||
  fail "--json: $(json "d['status'], d['score']"), want unknown with score 0"
[ "$(json "[c['hint'] for c in d['checks'] if c['name'] == 'integrity'][0] is not None")" = True ] ||
  fail "--json: the integrity row carries no remedy"

run 3 health --db "$nodb" --fail-on warning --format prometheus
has "dbcare_health_status{engine=\"sqlite\",database=\"notes.db\"} 3" out
has "dbcare_health_score{engine=\"sqlite\",database=\"notes.db\"} 0" out

run 1 report --html "$work/page.html" --db "$nodb"
has "could not read the database" err
grep -q 'class="status unknown"' "$work/page.html" || fail "the page does not say unknown"
grep -q 'class="status healthy"' "$work/page.html" && fail "the page says healthy"

start_serve serve.log --db "$nodb"
get "$base/readyz"; want_code 503 "/readyz of a file that is not a database"
get "$base/metrics"; want_code 200 "/metrics"
grep -q '^dbcare_health_status{[^}]*} 0$' "$work/body" && fail "/metrics says healthy"
grep -q '^dbcare_health_score{[^}]*} 100$' "$work/body" && fail "/metrics scores 100"
grep -q '^dbcare_up{engine="sqlite",database="notes.db"} 0$' "$work/body" ||
  grep -q '^dbcare_health_status{engine="sqlite",database="notes.db"} 3$' "$work/body" ||
  { cat "$work/body"; fail "/metrics says neither down nor unknown"; }
get "$base/"
grep -q 'class="status healthy"' "$work/body" && fail "serve's page says healthy"
stop_serve

# --- a database this user may not read: a service's user, not root
db="$work/app.db"
q "CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT)" >/dev/null
run 0 health --db "sqlite:$db" --fail-on warning # readable: healthy, the control
chmod 600 "$db"
chmod 755 "$work"
as_nobody() {
  set +e
  runuser -u nobody -- env DBCARE_MODULE="$module" "$cli" "$@" >"$work/out" 2>"$work/err"
  got=$?
  set -e
}
for fmt in table json prometheus; do
  as_nobody health --db "sqlite:$db" --fail-on warning --format "$fmt"
  [ "$got" != 0 ] || { cat "$work/out" "$work/err"; fail "health --format $fmt as nobody exited 0"; }
  grep -q "healthy\|} 100$" "$work/out" && fail "health --format $fmt as nobody says healthy"
done
has "\"$db\"" err
has "HINT: this user" err
as_nobody report --html "$work/nobody.html" --db "sqlite:$db"
[ "$got" != 0 ] || fail "report --html as nobody exited 0"

# serve as nobody: its listening and its log are its own
: >"$work/nobody-serve.log"
chmod 666 "$work/nobody-serve.log"
runuser -u nobody -- env DBCARE_MODULE="$module" "$cli" serve --listen 127.0.0.1:0 \
  --db "sqlite:$db" 2>"$work/nobody-serve.log" &
serve_pid=$!
serve_pids+=("$serve_pid")
port=
# until it serves or has ended, 60 s at most (a loaded machine starts it
# late; past that it is neither, and the journey fails)
served_or_ended() {
  port=$(sed -n 's|^dbcare: serving .* on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$work/nobody-serve.log")
  [ -n "$port" ] || ! running "$serve_pid"
}
poll_until 60 0.05 served_or_ended || fail "serve as nobody neither served nor ended in 60 s"
if [ -n "$port" ]; then
  base=http://127.0.0.1:$port
  get "$base/readyz"; want_code 503 "/readyz of a database nobody may read"
  get "$base/metrics"
  grep -q '^dbcare_health_status{[^}]*} 0$' "$work/body" && fail "/metrics as nobody says healthy"
  get "$base/"
  grep -q 'class="status healthy"' "$work/body" && fail "serve's page as nobody says healthy"
  kill -TERM "$serve_pid"
  wait "$serve_pid" || true
else
  # serve refused to start: that is failing too, as long as it said why
  wait "$serve_pid" && fail "serve as nobody ended with 0 without serving"
  grep -q "$db" "$work/nobody-serve.log" || { cat "$work/nobody-serve.log"; fail "serve did not name the file"; }
fi
echo "ok: a file that is not a database and one nobody may read are never healthy"
