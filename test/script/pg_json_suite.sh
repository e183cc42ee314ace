#!/usr/bin/env bash
# The JSON-Schema-Test-Suite (drafts 4, 6, 7, 2019-09 and 2020-12) through PostgreSQL's
# dbjson_valid, once with text documents and schemas (parsed by jansson) and
# once with jsonb ones (the document walked as a tree): every required test
# passes both ways; optional and format counts are printed.
set -eu
db=dbcare_json_suite
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/json_suites.sh"
fresh_db
/usr/bin/python3 "$(dirname "$0")/lib/json_suite.py" pg "$B/psql" "$db" text
/usr/bin/python3 "$(dirname "$0")/lib/json_suite.py" pg "$B/psql" "$db" jsonb
