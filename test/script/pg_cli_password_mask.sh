#!/usr/bin/env bash
# The dbcare command masks the whole password of a --db value, in the label
# it shows and in every message libpq returns, however the value is written:
# a quoted conninfo value with an escaped quote (libpq decodes \' ), a URL
# whose password holds an unencoded '@' (libpq then reads the rest of the
# password as part of the host name and names it in its error), a
# percent-encoded password, and ?password=. No server is needed: each
# connection fails in libpq, and its error is what is checked.
set -eu
root="$(cd "$(dirname "$0")/../.." && pwd)"
cli="$root/build/cli/dbcare"
[ -x "$cli" ] || { echo "FAIL: build/cli/dbcare is missing (make cli)"; exit 1; }
fail() { echo "FAIL: $*"; exit 1; }
unset DATABASE_URL PGPASSWORD PGSERVICE

# check DB WANT_LABEL SECRET...: dbcare status fails, its output names the
# database as WANT_LABEL and contains none of the SECRETs
check() {
  local spec=$1 label=$2 out; shift 2
  if out=$("$cli" status --db "$spec" 2>&1); then fail "connected with $spec: $out"; fi
  case $out in
  "dbcare: cannot connect to $label: "*) ;;
  *) fail "label of $spec is not $label: $out" ;;
  esac
  for s in "$@"; do
    case $out in *"$s"*) fail "\"$s\" of the password of $spec was printed: $out" ;; esac
  done
}

check "host=/nonexistent password='se\\'cret123' dbname=x" \
      "host=/nonexistent password=*** dbname=x" "cret123" "se'c" "se\\'c"
check "host=/nonexistent password = se\\ cret456 dbname=x" \
      "host=/nonexistent password = *** dbname=x" "cret456"
check "postgres://bob:pa@ss@localhost:1/x" "postgres://bob:***@localhost:1/x" "pa@ss" "ss@localhost"
check "postgres://bob:p%40ss%27wd@/x?host=/nonexistent" "postgres://bob:***@/x?host=/nonexistent" \
      "p%40ss" "p@ss" "ss'wd" "ss%27wd"
check "postgres:///x?host=/nonexistent&password=se%27cret789" \
      "postgres:///x?host=/nonexistent&password=***" "cret789"

# An '@' after the host, with a ':' before it, makes a URL ambiguous: a
# password holding '@', '/' or '?' unencoded reads like a database name
# holding '@', and libpq would take part of the password for the host, port
# or database name (and print it). The command refuses such a URL before
# libpq sees it, and says what to encode.
refuse() {
  local spec=$1 out rc=0; shift
  out=$("$cli" status --db "$spec" 2>&1) || rc=$?
  [ "$rc" = 2 ] || fail "exit $rc (want 2) for $spec: $out"
  case $out in *"percent-encode '@' as %40"*) ;; *) fail "no advice to percent-encode for $spec: $out" ;; esac
  for s in "$@"; do
    case $out in *"$s"*) fail "\"$s\" of the password of $spec was printed: $out" ;; esac
  done
}
refuse "postgres://bob:pa/ss@localhost:1/db" "pa/" "/ss"
refuse "postgres://bob:p/a?ss@localhost:1/db?sslmode=disable" "p/a" "a?ss"
refuse "postgres://bob:secret@part/two@localhost:1/db" "secret" "part/two"
refuse "postgres://bob:p@ss/word@localhost:1/db" "ss/word"
refuse "postgresql://localhost:5432/my@db"
# with no ':' before it there is no password to mistake: libpq reads it
check "postgres://user@/my@db?host=/nonexistent" "postgres://user@/my@db?host=/nonexistent"
# an '@' inside a query parameter's value is not a password's end
check "postgres:///x?host=/nonexistent&application_name=a@b&password=se%2Fcret" \
      "postgres:///x?host=/nonexistent&application_name=a@b&password=***" "se%2Fcret" "se/cret"
echo "ok: pg_cli_password_mask"
