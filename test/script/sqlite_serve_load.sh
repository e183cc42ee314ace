#!/usr/bin/env bash
# dbcare serve under load, the suite's size: 50 curl loops scraping a
# 200-file SQLite fleet for 10 s — no failed request, no file ever open
# twice at once, the resident memory flat (test/bench/serve_load.sh; `make
# bench` runs it with 1,000 files for 60 s).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
export DBCARE_MODULE="$module"
"$(dirname "$0")/../bench/serve_load.sh" 200 10 50
