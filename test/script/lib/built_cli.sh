# built_cli.sh — the built dbcare command for a script test (sourced after
# lib/sqlite.sh or lib/pg.sh, which give fail): root (the tree) and cli
# (build/cli/dbcare); the test fails when the command is not built.
root="$(cd "$(dirname "$0")/../.." && pwd)"
cli="$root/build/cli/dbcare"
[ -x "$cli" ] || fail "build/cli/dbcare is missing (make cli)"
