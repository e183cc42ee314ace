# wait.sh — waiting in a test without guessing how long a loaded machine
# takes: poll_until, prints and running (sourced by built_cli.sh; a test
# that needs only these sources it alone).

# poll_until SECONDS PAUSE CMD...: CMD run until it succeeds (0), or until
# SECONDS have passed (1), PAUSE seconds between two runs (0: none, for a
# file that may live a few milliseconds). CMD decides what else ends the
# wait (a process that ended: it succeeds and its caller looks why). The
# deadline is read from the shell's own clock, no fork a look.
poll_until() {
  local seconds=$1 pause=$2 until
  shift 2
  until=$((${EPOCHREALTIME%.*} + seconds))
  until "$@"; do
    [ "${EPOCHREALTIME%.*}" -lt "$until" ] || return 1
    [ "$pause" = 0 ] || sleep "$pause"
  done
}

# prints VALUE CMD...: CMD's output is VALUE (a setting a new session
# shows once the server has reloaded its configuration, say).
prints() {
  [ "$("${@:2}")" = "$1" ]
}

# running PID: PID has not ended (a zombie has: a background job stays one
# until the shell waits for it, and kill -0 still finds it); its state read
# by the shell itself, no fork, for loops that look often.
running() {
  local state
  { read -r _ _ state _ <"/proc/$1/stat" && [ "$state" != Z ]; } 2>/dev/null
}
