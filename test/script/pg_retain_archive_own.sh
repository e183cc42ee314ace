#!/usr/bin/env bash
# A retention archive made by dbretain_apply is dbcare's table: after a
# migrated schema gets its policies and their first run (an archive in the
# table's schema, one in another schema), health reports neither
# schema_drift nor tables_without_primary_key for them, and
# dbmigrate_validate finds no drift. A table the user adds outside a
# migration is still drift and, without a key, still graded.
set -eu
db=dbcare_retain_archive_own
. "$(dirname "$0")/lib/pg.sh"
fresh_db
q <<'SQL' >/dev/null
SELECT dbmigrate_add('1', 'sessions and events',
  'CREATE SCHEMA archive;
   CREATE TABLE sessions (id int PRIMARY KEY, started_at timestamptz NOT NULL);
   CREATE TABLE events (id int PRIMARY KEY, at timestamptz NOT NULL);',
  'DROP TABLE events; DROP TABLE sessions; DROP SCHEMA archive;');
SELECT dbmigrate_apply();
INSERT INTO sessions SELECT i, now() - i * interval '10 days' FROM generate_series(1, 9) i;
INSERT INTO events SELECT i, now() - i * interval '10 days' FROM generate_series(1, 9) i;
SELECT dbretain_add('old_sessions', 'sessions', 'started_at', '30 days', 'archive', 'sessions_archive');
SELECT dbretain_add('old_events', 'events', 'at', '30 days', 'archive', 'archive.events');
SELECT count(*) FROM dbretain_apply();
SQL
[ "$(q -c "SELECT (SELECT count(*) FROM sessions_archive) + (SELECT count(*) FROM archive.events)")" = 14 ] ||
  fail "the policies archived no rows"
status() { q -c "SELECT status || ': ' || message FROM dbhealth_checks('standard') WHERE name = '$1'"; }
for check in schema_drift tables_without_primary_key; do
  case "$(status $check)" in
    ok:*) ;;
    *) fail "$check grades dbcare's own archives: $(status $check)" ;;
  esac
done
[ -z "$(q -c "SELECT * FROM dbmigrate_validate()")" ] ||
  fail "dbmigrate_validate reports the archives: $(q -c "SELECT * FROM dbmigrate_validate()")"

# the user's own table without a key, outside a migration: still both
q -c "CREATE TABLE notes (body text)"
case "$(status schema_drift)" in
  warning:*notes*) ;;
  *) fail "a table added outside a migration is no longer drift: $(status schema_drift)" ;;
esac
case "$(status tables_without_primary_key)" in
  "warning: 1 table without a primary key: public.notes") ;;
  *) fail "tables_without_primary_key: $(status tables_without_primary_key)" ;;
esac
echo "a retention archive is dbcare's table: no drift, no missing key"
