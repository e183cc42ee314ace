# pitr.sh — waits on a `dbcare log` capture's state for the shell tests
# (sourced after sqlite.sh; needs cli). Each wait is bounded (120 s: a
# loaded machine starts a capture late and polls it late) and fails with
# what it saw; none stands in for the state with a fixed sleep.

# pitr_now: the wall clock as restore --to-time and log status write it
pitr_now() { date -u +'%Y-%m-%d %H:%M:%S.%3N'; }

# pitr_wait_started FILE N: until the capture whose stderr goes to FILE has
# started its Nth base or continued an epoch (its stop handler is set: a
# SIGTERM ends it with 0 from then on)
pitr_wait_started() {
  local n=0
  for _ in $(seq 1 2400); do
    n=$(grep -c -e '^log: base ' -e '^log: continuing epoch ' "$1" 2>/dev/null || true)
    [ "${n:-0}" -ge "$2" ] && return
    sleep 0.05
  done
  fail "capture start $2 not seen in 120 s: $(cat "$1" 2>/dev/null)"
}

# pitr_wait_vouched LOG T [STATUS OPTIONS]: until LOG vouches for the moment
# T (log status: every commit before T is logged, a restore to T is exact)
pitr_wait_vouched() {
  local log=$1 t=$2 last= out
  shift 2
  # the field read by a bash match, not a JSON parser started per poll:
  # log status writes "last_restorable" once, a string or null
  for _ in $(seq 1 2400); do
    out=$("$cli" log status "$log" --json "$@" 2>/dev/null || true)
    last=
    [[ $out =~ \"last_restorable\":\"([^\"]*)\" ]] && last=${BASH_REMATCH[1]}
    [ -n "$last" ] && ! [[ "$last" < "$t" ]] && return
    sleep 0.05
  done
  fail "the log $log vouches up to ${last:-nothing} after 120 s, not $t"
}
