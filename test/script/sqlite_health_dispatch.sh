#!/usr/bin/env bash
# Every health check of the catalogue that applies to SQLite is answered by
# a gatherer: dbhealth_checks('full') has one row per check dbcare_settings
# lists (health.<check>.enabled, the catalogue's view of what applies here),
# in the same order, and none of them is a check nobody gathered (a name the
# glue does not know, once silently "does not apply", now a build error or
# the row "no gatherer").
set -euo pipefail
. "$(dirname "$0")/lib/sqlite.sh"

db="$work/dispatch.db"
q "CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT UNIQUE);
   CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id));
   INSERT INTO parent VALUES (1, 'a');
   INSERT INTO child VALUES (1, 1);
   SELECT dbcheck_add_relation('child_parent', 'child', 'parent_id', 'parent', 'id');" > /dev/null

catalogue=$(q "SELECT substr(key, 8, length(key) - 15) FROM dbcare_settings
                WHERE key LIKE 'health.%.enabled' ORDER BY key")
answered=$(q "SELECT name FROM dbhealth_checks('full') ORDER BY name")
[ -n "$catalogue" ] || fail "dbcare_settings lists no health check"
[ "$catalogue" = "$answered" ] ||
  fail "the report's checks differ from the catalogue's: $(diff <(echo "$catalogue") <(echo "$answered") | tr '\n' ' ')"
echo "ok: one row per catalogue check ($(wc -l <<<"$catalogue"))"

unanswered=$(q "SELECT name || ': ' || status || ', ' || message FROM dbhealth_checks('full')
                 WHERE message LIKE 'does not apply%' OR message LIKE '%no gatherer%'")
[ -z "$unanswered" ] || fail "checks nobody gathered: $unanswered"
echo "ok: every check is gathered"
