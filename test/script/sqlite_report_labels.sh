#!/usr/bin/env bash
# One label per database (issue 62): the page of `dbcare report --html` and
# of `dbcare serve` named a database as its --db value (`sqlite:shop.db`)
# while the metrics beside it said `shop.db`. The label is the report's
# `database`, decided by the module: the page's heading and title, the
# fleet summary, `dbcare health`'s exposition and serve's /metrics all
# carry it; health.database_label changes it in all of them at once.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
export DBCARE_MODULE="$module"

db=shop.db
q "CREATE TABLE orders (id INTEGER PRIMARY KEY)" >/dev/null

# heading of a page's one database section, and its title
heading() { sed -n 's|.*<h2 class="database">\([^<]*\).*|\1|p' "$1" | head -1; }
title() { sed -n 's|.*<title>dbcare · \([^<]*\)</title>.*|\1|p' "$1" | head -1; }
metric_label() { sed -n 's|^dbcare_health_score{engine="sqlite",database="\([^"]*\)"}.*|\1|p' "$1" | head -1; }

check_one_label() { # WANT
  run 0 health --db "sqlite:$db" --format prometheus
  [ "$(metric_label "$work/out")" = "$1" ] || fail "health's metrics: '$(metric_label "$work/out")', want '$1'"
  run 0 report --html "$work/page.html" --db "sqlite:$db"
  [ "$(heading "$work/page.html")" = "$1" ] || fail "report's heading: '$(heading "$work/page.html")', want '$1'"
  [ "$(title "$work/page.html")" = "$1" ] || fail "report's title: '$(title "$work/page.html")', want '$1'"
}
check_one_label shop.db

# serve: its member's label (the path as given) on the page and in /metrics
start_serve serve.log --db "sqlite:$db"
get "$base/metrics"; want_code 200 metrics
m=$(sed -n 's|^dbcare_health_score{engine="sqlite",database="\([^"]*\)"}.*|\1|p' "$work/body")
get "$base/"; want_code 200 page
[ -n "$m" ] && [ "$(heading "$work/body")" = "$m" ] ||
  fail "serve's page heading '$(heading "$work/body")' is not its metrics' label '$m'"
stop_serve

# a label set in the database: every output takes it
q "SELECT dbcare_set('health.database_label', 'shop-primary')" >/dev/null
check_one_label shop-primary

# a fleet's summary names each member as its metrics do
cp "$db" other.db
run 0 report --html "$work/fleet.html" --db "sqlite:$db" --db "sqlite:other.db"
grep -q '<a href="#db-1">shop-primary</a>' "$work/fleet.html" || fail "the fleet summary does not name shop-primary"
grep -q 'sqlite:' "$work/fleet.html" && fail "the fleet page still shows a --db value"
echo ok
