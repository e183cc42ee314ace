#!/usr/bin/env bash
# A retention archive made by dbretain_apply is dbcare's table: after a
# migrated schema gets a policy and its first run, health reports neither
# schema_drift nor tables_without_primary_key for it, and
# dbmigrate_validate finds no drift. A table the user adds outside a
# migration is still drift and, without a key, still graded: only the
# archive is left out.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db=$work/app.db
q >/dev/null <<'SQL'
SELECT dbmigrate_add('1', 'sessions',
  'CREATE TABLE sessions (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL);
   CREATE INDEX sessions_started ON sessions (started_at);', 'DROP TABLE sessions;');
SELECT dbmigrate_apply();
INSERT INTO sessions SELECT value, datetime('now', '-' || (value * 10) || ' days')
  FROM generate_series(1, 9);
SELECT dbretain_add('old', 'sessions', 'started_at', '30 days', 'archive', 'sessions_archive');
SELECT * FROM dbretain_apply();
SQL
[ "$(q "SELECT count(*) FROM sessions_archive")" = 7 ] || fail "the policy archived no rows"
status() { q "SELECT status || ': ' || message FROM dbhealth_checks WHERE name = '$1'"; }
for check in schema_drift tables_without_primary_key; do
  case "$(status $check)" in
    ok:*) ;;
    *) fail "$check grades dbcare's own archive: $(status $check)" ;;
  esac
done
[ -z "$(q "SELECT * FROM dbmigrate_validate()")" ] ||
  fail "dbmigrate_validate reports the archive: $(q "SELECT * FROM dbmigrate_validate()")"

# the user's own table without a key, outside a migration: still both
q "CREATE TABLE notes (body TEXT)"
case "$(status schema_drift)" in
  warning:*notes*) ;;
  *) fail "a table added outside a migration is no longer drift: $(status schema_drift)" ;;
esac
case "$(status tables_without_primary_key)" in
  "warning: 1 table without a primary key: notes") ;;
  *) fail "tables_without_primary_key: $(status tables_without_primary_key)" ;;
esac
echo "a retention archive is dbcare's table: no drift, no missing key"
