#!/usr/bin/env bash
# The module's connection state lives until the connection closes, whatever
# the application does to the module's functions through the C API: it
# replaces or removes dbcare_internal_state, loads the module again under
# an authorizer that refuses the function the second load looks for, or
# removes every function and module the load registered (scenarios:
# test/script/lib/capi_state_lifetime.c). Run under valgrind here and with
# the sanitized module in the ASan suite. On main each of the four read
# freed memory: the state went with dbcare_internal_state while dbmonitor's
# trace callback and every other function still pointed at it.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
command -v valgrind >/dev/null || fail "valgrind is not installed (test/harness/packages.txt)"
src="$(cd "$(dirname "$0")" && pwd)/lib/capi_state_lifetime.c"
cd "$work"
gcc -O1 -g -Wall -Wextra -Werror -o prog "$src" -lsqlite3 || fail "cannot build the test program"
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--show-leak-kinds=definite ./prog "$module" \
	|| fail "invalid memory use or a definite leak (valgrind), or a wrong answer"
