#!/usr/bin/env bash
# The fleet's count of members per schema version has bounded cardinality:
# the 10 largest version groups are named, the others counted together as
# other versions, in the summary line and JSON's "other_versions" of a
# fleet run, and in serve's /metrics gauge
# dbcare_fleet_schema_version_databases (version="other"), so a fleet
# spread over many versions never gives one entry or series per member.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
export DBCARE_MODULE="$module"
mkdir -p m
for i in $(seq 1 13); do echo "CREATE TABLE t$i (id INTEGER PRIMARY KEY);" > "m/V${i}__t$i.sql"; done
# v01..v13 at versions 1..13, and three more at 13: 13 groups, 16 members
for i in $(seq 1 13); do
  f=$(printf 'v%02d.db' "$i")
  run 0 migrate --quiet --db "sqlite:$f" --dir m --to "$i"
done
for x in a b c; do run 0 migrate --quiet --db "sqlite:w$x.db" --dir m; done

run 0 status --json --db 'sqlite:*.db' --dir m
[ "$(json 'len(d["versions"])')" = 10 ] || fail "versions named: $(json 'd["versions"]')"
[ "$(json 'd["other_versions"]')" = "{'versions': 3, 'count': 3}" ] ||
  fail "other versions: $(json 'd["other_versions"]')"
# the largest group first in size, then the newest: 13 (4 members), 12..4
[ "$(json '[(g["version"], g["count"]) for g in d["versions"]]')" = \
  "[('13', 4), ('12', 1), ('11', 1), ('10', 1), ('9', 1), ('8', 1), ('7', 1), ('6', 1), ('5', 1), ('4', 1)]" ] ||
  fail "groups: $(json 'd["versions"]')"
[ "$(json 'sum(g["count"] for g in d["versions"]) + d["other_versions"]["count"]')" = 16 ] ||
  fail "members lost from the count"

run 0 status --db 'sqlite:*.db' --dir m
has "16 database(s): 4 at 13, 1 at 12 (pending), 1 at 11 (pending)" out
grep -q ', 1 at 4 (pending), 3 at 3 other versions$' out || { cat out; fail "summary line"; }
# no member is counted twice by state
! grep -q ' ok\| pending$' <(tail -1 out) || { tail -1 out; fail "the other versions counted again by state"; }

# ten groups or fewer: all named, none other
run 0 status --json --db 'sqlite:w*.db' --dir m
[ "$(json '(d["versions"], d["other_versions"])')" = \
  "([{'version': '13', 'pending': False, 'count': 3}], {'versions': 0, 'count': 0})" ] ||
  fail "small fleet: $(json 'd["versions"], d["other_versions"]')"

# serve's /metrics: the same bound, one series per version named and one
# for the others (13 versions: 13 with 4 members, 12..4, then 3 others)
start_serve serve.log --db 'sqlite:*.db'
for _ in $(seq 100); do
  get "$base/metrics"
  grep -q '^dbcare_fleet_schema_version_databases{version="other"} 3$' "$work/body" && break
  sleep 0.1
done
grep '^dbcare_fleet_schema_version_databases' "$work/body" > series || true
[ "$(wc -l < series)" = 11 ] || { cat series; fail "/metrics: $(wc -l < series) version series, want 11"; }
grep -qx 'dbcare_fleet_schema_version_databases{version="13"} 4' series || { cat series; fail "/metrics: version 13"; }
grep -qx 'dbcare_fleet_schema_version_databases{version="4"} 1' series || { cat series; fail "/metrics: version 4"; }
grep -qx 'dbcare_fleet_schema_version_databases{version="other"} 3' series || { cat series; fail "/metrics: other"; }
grep -q '^# TYPE dbcare_fleet_schema_version_databases gauge$' "$work/body" || fail "/metrics: no TYPE line"
stop_serve
