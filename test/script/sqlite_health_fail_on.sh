#!/usr/bin/env bash
# One judge (issue 53): on a SQLite file the module grades `healthy` with a
# check at `warning`, `dbcare health --fail-on` compares the module's status
# and worst_check, never a grade of its own (lib/fail_on.sh).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/fail_on.sh"
export DBCARE_MODULE="$module"
sqlite3 app.db "CREATE TABLE parent (id INTEGER PRIMARY KEY);
  CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id));
  CREATE INDEX child_parent ON child(parent_id);
  CREATE TABLE events (at TEXT, what TEXT)"
fail_on_world sqlite:app.db standard
echo "ok"
