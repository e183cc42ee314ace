# fail_on.sh — what sqlite_health_fail_on.sh and pg_health_fail_on.sh
# assert on either engine (sourced after lib/cli.sh): a report the module
# grades `healthy` with a check at `warning` (a table without a primary
# key). --fail-on compares what the module wrote (docs/cli.md), its status
# and its worst_check, so `--fail-on warning` fails (3) in every format and
# `--fail-on critical` passes; the table's header says why.
# fail_on_world URL MODE
fail_on_world() {
  local url=$1 mode=$2 f
  run 0 health --db "$url" --mode "$mode" --json
  # the module's own verdict, and a check at warning in it
  [ "$(json "d['status'], d['worst_check']")" = "healthy warning" ] ||
    fail "the report is not healthy with a warning check: $(cat out)"
  [ "$(json "[c['status'] for c in d['checks'] if c['name'] == 'tables_without_primary_key'][0]")" = warning ] ||
    fail "tables_without_primary_key: $(cat out)"
  # worst_check is the worst grade of the checks the report lists
  [ "$(json "max([{'ok': 0, 'warning': 1, 'critical': 2}.get(c['status'], 0) for c in d['checks']])")" = 1 ] ||
    fail "a check worse than worst_check: $(cat out)"
  local score
  score=$(json "d['score']")
  for f in table json prometheus; do
    run 3 health --db "$url" --mode "$mode" --fail-on warning --format "$f"
    # (--json prints JSON only: no note)
    [ "$f" = json ] || has "status healthy, worst check warning: reaches --fail-on warning" err
  done
  run 0 health --db "$url" --mode "$mode" --fail-on critical
  has "score $score, status healthy ($mode mode), a check at warning" out
  [ ! -s err ] || fail "--fail-on critical said: $(cat err)"
  # the exposition says the same status the header shows
  run 0 health --db "$url" --mode "$mode" --format prometheus
  grep -q '^dbcare_health_status{.*} 0$' out || fail "exposition status: $(grep status out)"
}
