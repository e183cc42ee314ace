# built_cli.sh — the built dbcare command for a script test (sourced after
# lib/sqlite.sh or lib/pg.sh, which give fail): root (the tree) and cli
# (build/cli/dbcare); the test fails when the command is not built;
# child_of, ended_or_running, hup_ignored_by, signal_when and stop_at_name,
# below; and lib/wait.sh's poll_until and running.
root="$(cd "$(dirname "$0")/../.." && pwd)"
cli="$root/build/cli/dbcare"
[ -x "$cli" ] || fail "build/cli/dbcare is missing (make cli)"
. "$root/test/script/lib/wait.sh"

# child_of PID: the pid of PID's dbcare child (the command under strace, a
# fleet worker) once it has one, polled for up to 30 s (a loaded machine runs
# a command under strace slowly); empty if none appeared or PID ended first.
# By name: strace forks short-lived children of its own at start-up (to
# probe what ptrace supports), and its tracee is strace until it execs.
child_of() {
  local child=
  for _ in $(seq 3000); do
    child=$(pgrep -x -P "$1" dbcare || true)
    [ -n "$child" ] && break
    [ "$(ended_or_running "$1")" = running ] || break
    sleep 0.01
  done
  echo "$child"
}

# ended_or_running PID: "ended" once PID has exited (running, below), else
# "running": for a failure's message.
ended_or_running() {
  if running "$1"; then echo running; else echo ended; fi
}

# hup_ignored_by PID: PID's SIGHUP set to be ignored (as nohup leaves it;
# a SIGHUP sent before then ends it), polled for up to 5 s.
hup_ignored_by() {
  local mask
  for _ in $(seq 500); do
    mask=$(awk '/^SigIgn:/ {print $2}' "/proc/$1/status" 2>/dev/null || true)
    [ -n "$mask" ] && (( 0x$mask & 1 )) && return 0
    sleep 0.01
  done
  return 1
}

# signal_when GLOB SIG PID: SIG sent to PID the moment a file matching
# GLOB appears (polled without sleeping: a staging file may live for a few
# milliseconds), none if PID ends first; polled for up to 60 s, then the
# test fails. Never sooner: a loaded machine starts a command slowly, and
# a signal sent before the command holds or handles its stop signals ends
# it before its work began, which tests nothing. signalled: 1 once sent.
signal_when() {
  local glob=$1 sig=$2 pid=$3
  signalled=0
  poll_until 60 0 appeared_or_ended "$glob" "$pid" ||
    fail "no $glob appeared in 60 s, the command still running"
  running "$pid" || return 0
  kill -"$sig" "$pid" 2>/dev/null && signalled=1
  return 0
}

# appeared_or_ended GLOB PID: a file matching GLOB is there, or PID ended.
appeared_or_ended() {
  compgen -G "$1" >/dev/null || ! running "$2"
}

# stop_at_name NAME SIG CMD...: CMD run under strace with each of its own
# fsyncs slowed (2 s: a loaded machine still signals it in time; not a
# child's, as the pg_dump a backup runs), and SIG sent to it (not to
# strace) the moment NAME appears: just after a rename or link into place,
# inside the directory's slowed sync. rc: its exit; out and err: its
# output; stop_late: 1 when the command had ended before the signal.
stop_at_name() {
  local name=$1 sig=$2 tracer command
  shift 2
  env --default-signal strace -qq -o /dev/null -e trace=fsync -e inject=fsync:delay_enter=2000000 \
    "$@" >out 2>err &
  tracer=$!
  command=$(child_of "$tracer")
  [ -n "$command" ] || fail "SIG$sig at $name: the command under strace never started"
  for _ in $(seq 6000); do
    [ -e "$name" ] && break
    kill -0 "$tracer" 2>/dev/null || break
    sleep 0.005
  done
  [ -e "$name" ] || fail "SIG$sig at $name: the command never made it ($(cat err))"
  # (a loaded machine may see the name only once the command has ended:
  # then no signal, stop_late=1, and the caller judges the command's own
  # end or tries again)
  stop_late=0
  kill -"$sig" "$command" 2>/dev/null || stop_late=1
  set +e; wait "$tracer"; rc=$?; set -e
}
