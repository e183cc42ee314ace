# built_cli.sh — the built dbcare command for a script test (sourced after
# lib/sqlite.sh or lib/pg.sh, which give fail): root (the tree) and cli
# (build/cli/dbcare); the test fails when the command is not built; and
# child_of, below.
root="$(cd "$(dirname "$0")/../.." && pwd)"
cli="$root/build/cli/dbcare"
[ -x "$cli" ] || fail "build/cli/dbcare is missing (make cli)"

# child_of PID: the pid of PID's child (the command under strace, a fleet
# worker) once it has one, polled for up to 5 s; empty if none appeared.
child_of() {
  local child=
  for _ in $(seq 500); do
    child=$(pgrep -P "$1" || true)
    [ -n "$child" ] && break
    sleep 0.01
  done
  echo "$child"
}
