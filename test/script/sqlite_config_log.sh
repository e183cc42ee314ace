#!/usr/bin/env bash
# An application that installs SQLITE_CONFIG_LOG hears nothing of dbcare's
# own work (issue 62): loading the module and a few dbcare calls, on a
# fresh database and on one with dbcare's bookkeeping, log no line; before,
# every connection that loaded the module logged two SQLITE_ERROR lines
# (its probes prepared statements against tables that did not exist yet).
# The program: test/script/lib/capi_config_log.c.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
src="$(cd "$(dirname "$0")" && pwd)/lib/capi_config_log.c"
cd "$work"
gcc -O1 -g -Wall -Wextra -Werror -o prog "$src" -lsqlite3 || fail "cannot build the test program"
./prog "$module" "$work" || fail "dbcare wrote into the application's SQLITE_CONFIG_LOG"
