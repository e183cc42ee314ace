# checks.sh — counted checks for script tests that report every failure
# before they exit (sourced, not run): expect LABEL WANT GOT for each check,
# checks_done as the last command (prints the count, fails if any failed).
fails=0
checks=0
expect() { # label want got
  checks=$((checks + 1))
  if [ "$2" != "$3" ]; then
    echo "FAIL: $1: want '$2', got '$3'"
    fails=$((fails + 1))
  else
    echo "ok: $1"
  fi
}
checks_done() {
  echo "$checks checks, $fails failed"
  [ "$fails" = 0 ]
}
