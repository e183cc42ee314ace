#!/usr/bin/env bash
# Two fleet members whose labels are one as the metrics and the JSON show
# them: a file whose name holds a byte that is not UTF-8 is shown with '?'
# in its place (the exposition and JSON hold UTF-8 only), so a tenant that
# names its file "half?.db" beside "half\303.db" took its neighbour's label:
# two dbcare_up{database="half?.db"} series, two reports of one name. Such
# labels are one label: the members take their paths, and two that are
# still one as shown are a usage error naming both (docs/security.md).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
export DBCARE_MODULE="$module"

schema='CREATE TABLE t (id INTEGER PRIMARY KEY)'
mkdir d1 d2
sqlite3 "d1/$(printf 'half\303').db" "$schema"
sqlite3 'd2/half?.db' "$schema"
# in two folders: told apart by their paths
start_serve serve.log --db "sqlite:d1/*.db" --db "sqlite:d2/*.db"
get "$base/metrics"; want_code 200 metrics
promtool check metrics <body || fail "promtool refused /metrics"
[ "$(grep -c '^dbcare_up{' body)" = 2 ] || fail "not two members: $(grep '^dbcare_up' body)"
[ "$(grep '^dbcare_up{' body | sort -u | wc -l)" = 2 ] || fail "one label twice: $(grep '^dbcare_up' body)"
grep -q '^dbcare_up{engine="sqlite",database="d1/half?.db"} 1$' body &&
  grep -q '^dbcare_up{engine="sqlite",database="d2/half?.db"} 1$' body ||
  fail "not labelled by their paths: $(grep '^dbcare_up' body)"
get "$base/health"; want_code 200 health
[ "$(body_json "' '.join(sorted(r['database'] for r in d))")" = "d1/half?.db d2/half?.db" ] ||
  fail "/health: $(head -c 300 body)"
stop_serve

# in one folder: still one label as shown: refused, naming both
mv d2/'half?.db' d1/
set +e
timeout 10 "$cli" serve --db 'sqlite:d1/*.db' --listen 127.0.0.1:0 >"$work/out" 2>"$work/err"
got=$?
set -e
[ "$got" = 2 ] || { cat "$work/err"; fail "two members of one shown label: exit $got, want 2"; }
has 'are two databases shown under one label "d1/half?.db"' err
has 'sqlite:d1/half?.db' err
has "$(printf 'sqlite:d1/half\303.db')" err
echo ok
