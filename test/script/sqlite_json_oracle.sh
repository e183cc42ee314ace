#!/usr/bin/env bash
# dbjson_valid agrees with Python's jsonschema (the oracle) on thousands of
# generated schema / document pairs (fixed seed).
set -euo pipefail
module=${DBCARE_SQLITE_MODULE:?}
/usr/bin/python3 "$(dirname "$0")/lib/json_oracle.py" "$module" 4000
