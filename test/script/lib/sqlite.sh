# sqlite.sh — the prelude SQLite script tests share (sourced, not run).
# Needs DBCARE_SQLITE_MODULE (set by the test runner). Gives module, a work
# directory removed on exit, fail() and q(), which runs sqlite3 with the module
# loaded on "$db" (set db after sourcing; q reads it at each call), and py,
# a Python whose sqlite3 module can load extensions (Debian's own).
module="${DBCARE_SQLITE_MODULE:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
py=/usr/bin/python3
[ -x "$py" ] || py=python3
mod=$module
# work_in_memory MB: the work directory moved to /dev/shm when it has MB
# free (kept on the disk otherwise), for a test that checks dbcare's
# answers, not what a disk keeps: no kill, no power cut, nothing timed
# against a sync (a kill test stays on the disk its kills are timed for).
# Hundreds of copied, rewritten and deleted database files cost a shared
# virtual disk seconds of metadata writes that a tmpfs does not.
work_in_memory() {
  [ -d /dev/shm ] && [ -w /dev/shm ] &&
    [ "$(df -Pm /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')" -gt "$1" ] 2>/dev/null || return 0
  rm -rf "$work"
  work=$(mktemp -d -p /dev/shm dbcare-script.XXXXXX)
}
fail() { echo "FAIL: $*"; exit 1; }
q() { sqlite3 -batch -cmd ".load $module" "${db:?set db before calling q}" "$@"; }
# load_sample NAME: builds a sample database (pagila, chinook, northwind:
# test/fixtures/sample/NAME.sqlite.sql, real table shapes, generated data of
# 100,000-row tables) in the file "$db", in a few seconds.
sample_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../fixtures/sample" && pwd)
load_sample() { sqlite3 -batch -bail "${db:?set db before calling load_sample}" < "$sample_dir/$1.sqlite.sql" >/dev/null; }
# pitr_python [ARG...]: runs the Python script on stdin with the built
# command, the module and the work folder as its first arguments (read by
# pitr_test.args()) and this folder on its path; fails when the command is
# not built.
pitr_python() {
  local lib cli
  lib="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  cli="$lib/../../../build/cli/dbcare"
  [ -x "$cli" ] || fail "build/cli/dbcare is not built"
  PYTHONPATH="$lib" "$py" - "$(cd "$(dirname "$cli")" && pwd)/dbcare" "$module" "$work" "$@"
}
