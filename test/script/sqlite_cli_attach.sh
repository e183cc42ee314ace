#!/usr/bin/env bash
# dbcare retain --attach NAME=PATH on SQLite: an archive policy whose target
# is in an ATTACHed database runs through the command, the archive file
# attached on its connection (every batch commits in both files); without
# the attachment it fails as the policy's own call does; a bad --attach is
# a usage error before anything is opened.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
export DBCARE_MODULE="$module"

db="$work/app.db"
# a path with a space and a quote: bound as a value, never spliced into SQL
mkdir "it's archived"
archive="$work/it's archived/archive.db"
q "CREATE TABLE events (id INTEGER PRIMARY KEY, created_at TEXT NOT NULL);
CREATE INDEX events_created ON events (created_at);
INSERT INTO events SELECT value, datetime('now', '-10 days') FROM generate_series(1, 25);
INSERT INTO events VALUES (100, datetime('now'));
SELECT dbcare_set('retain.batch_size', '10');" >/dev/null
q "ATTACH '$(printf %s "$archive" | sed "s/'/''/g")' AS cold;
SELECT dbretain_add('old_events', 'events', 'created_at', '1 day', 'archive', 'cold.events');" >/dev/null

# without the archive attached the policy's call fails: nothing moves
run 1 retain --db "sqlite:$db"; has "dbcare: " err
[ "$(q "SELECT count(*) FROM events")" = 26 ] || fail "retain without the archive moved rows"

# attached: committed batches into the archive file
run 0 retain --db "sqlite:$db" --attach "cold=$archive" --json
[ "$(json "d['stopped'], [(p['policy'], p['archived'], p['remaining']) for p in d['policies']]")" = \
  "done [('old_events', 25, 0)]" ] || fail "retain --attach: $(cat out)"
[ "$(q "SELECT count(*) FROM events")" = 1 ] || fail "retain --attach left due rows"
[ "$(sqlite3 "$archive" "SELECT count(*) FROM events")" = 25 ] || fail "the archive file lacks the rows"
# the attachment lasts for the command's connection only
[ "$(q "SELECT count(*) FROM pragma_database_list WHERE name = 'cold'")" = 0 ] ||
  fail "the attachment outlived the command"

# usage errors, before any database is opened
run 2 retain --db "sqlite:$db" --attach cold; has "--attach needs NAME=PATH" err
run 2 retain --db "sqlite:$db" --attach "=x.db"; has "--attach needs NAME=PATH" err
run 2 status --db "sqlite:$db" --attach "cold=$archive"; has "status does not take --attach" err
# a missing archive file is refused, not made empty by ATTACH
run 1 retain --db "sqlite:$db" --attach "cold=$work/nosuch.db"; has "dbcare: " err; has "nosuch.db" err
[ ! -e "$work/nosuch.db" ] || fail "--attach created a missing file"
# a name SQLite refuses (main is taken) is the database's error
run 1 retain --db "sqlite:$db" --attach "main=$archive"; has "dbcare: " err
echo ok
