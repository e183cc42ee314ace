# cli.sh — what the dbcare command's script tests share (sourced after
# lib/sqlite.sh or lib/pg.sh, which give work, py and fail). Gives root, cli
# (the built command; the test fails without it) and, in the work directory:
#   run WANT ARGS...  runs the command, output in out/err; its exit code
#                     must be WANT, and when the test set secret (a
#                     password it uses), neither output may contain it
#   json EXPR         a Python expression over the parsed stdout (d)
#   has TEXT FILE     FILE (out or err) contains TEXT
. "$(dirname "$0")/lib/built_cli.sh"
unset DATABASE_URL
cd "$work"

run() {
  local want=$1; shift
  set +e; "$cli" "$@" >"$work/out" 2>"$work/err"; local got=$?; set -e
  [ "$got" = "$want" ] || { cat "$work/out" "$work/err"; fail "dbcare $*: exit $got, want $want"; }
  [ -z "${secret:-}" ] || ! grep -qF "$secret" "$work/out" "$work/err" ||
    fail "the password was printed by dbcare $*"
}
json() { "$py" -c "import json,sys; d=json.load(open('$work/out')); print($1)"; }
has() { grep -qF -- "$1" "$work/$2" || { cat "$work/out" "$work/err"; fail "missing in $2: $1"; }; }
