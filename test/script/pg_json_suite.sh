#!/usr/bin/env bash
# The JSON-Schema-Test-Suite (drafts 4, 6, 7) through PostgreSQL's
# dbjson_valid: every required test passes; optional and format counts are
# printed.
set -eu
db=dbcare_json_suite
. "$(dirname "$0")/lib/pg.sh"
fresh_db
/usr/bin/python3 "$(dirname "$0")/lib/json_suite.py" pg "$B/psql" "$db"
