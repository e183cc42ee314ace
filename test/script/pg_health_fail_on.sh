#!/usr/bin/env bash
# One judge (issue 53): on a PostgreSQL database the module grades
# `healthy` with a check at `warning`, `dbcare health --fail-on` compares the
# module's status and worst_check, never a grade of its own
# (lib/fail_on.sh).
set -eu
db=dbcare_fail_on
py=/usr/bin/python3
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/fail_on.sh"
fresh_db
q -c "CREATE TABLE parent (id int PRIMARY KEY);
      CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent(id));
      CREATE INDEX child_parent ON child(parent_id);
      CREATE TABLE events (at timestamptz, what text);
      ANALYZE"
fail_on_world "postgresql:///$db?host=$PGHOST&port=$PGPORT" quick
echo "ok"
