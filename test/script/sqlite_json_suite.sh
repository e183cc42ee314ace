#!/usr/bin/env bash
# The JSON-Schema-Test-Suite (drafts 4, 6, 7, 2019-09 and 2020-12) through SQLite's dbjson_valid:
# every required test passes; optional and format counts are printed.
set -euo pipefail
module=${DBCARE_SQLITE_MODULE:?}
. "$(dirname "$0")/lib/json_suites.sh"
/usr/bin/python3 "$(dirname "$0")/lib/json_suite.py" sqlite "$module"
