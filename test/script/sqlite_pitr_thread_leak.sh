#!/usr/bin/env bash
# A thread that loads the module, captures (reading an open segment of the
# log's first format, whose records are closed by their SHA-256) and ends
# leaves nothing allocated behind: the reader kept a SHA-256 context per
# thread that no thread's end freed (test/script/lib/capi_pitr_thread.c;
# valgrind here, LSan with the sanitized module in the ASan suite). Before
# the fix valgrind found one context definitely lost per thread.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
command -v valgrind >/dev/null || fail "valgrind is not installed (test/harness/packages.txt)"
src="$(cd "$(dirname "$0")" && pwd)/lib/capi_pitr_thread.c"
cd "$work"
gcc -D_DEFAULT_SOURCE -O1 -g -Wall -Wextra -Werror -o prog "$src" -lsqlite3 -lcrypto -pthread ||
  fail "cannot build the test program"
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--show-leak-kinds=definite ./prog "$module" \
	|| fail "invalid memory use or a definite leak (valgrind), or a wrong answer"
