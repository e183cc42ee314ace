#!/usr/bin/env bash
# Two fleet members whose labels are one as the metrics and the JSON show
# them: a file whose name holds a byte that is not UTF-8 is shown with '?'
# in its place (the exposition and JSON hold UTF-8 only), so a tenant that
# names its file "half?.db" beside "half\303.db" took its neighbour's label:
# two dbcare_up{database="half?.db"} series, two reports of one name. Such
# labels are one label: the members take their paths, and two files that
# are still one as shown take their inode numbers too, so that no tenant's
# file name keeps the fleet from being served (docs/security.md).
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

# in one folder: still one label as shown: told apart by their inodes,
# beside another member the two cannot blind
mv d2/'half?.db' d1/
sqlite3 d1/other.db "$schema"
ia=$(stat -c %i "d1/$(printf 'half\303').db") ib=$(stat -c %i 'd1/half?.db')
start_serve serve.log --db 'sqlite:d1/*.db'
get "$base/metrics"; want_code 200 "metrics of one folder"
promtool check metrics <body || fail "promtool refused /metrics of one folder"
[ "$(grep -c '^dbcare_up{' body)" = 3 ] || fail "not three members: $(grep '^dbcare_up' body)"
grep -q "^dbcare_up{engine=\"sqlite\",database=\"d1/half?.db (inode $ia)\"} 1\$" body &&
  grep -q "^dbcare_up{engine=\"sqlite\",database=\"d1/half?.db (inode $ib)\"} 1\$" body &&
  grep -q '^dbcare_up{engine="sqlite",database="other.db"} 1$' body ||
  fail "not labelled apart: $(grep '^dbcare_up' body)"
stop_serve
echo ok
