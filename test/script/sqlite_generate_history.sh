#!/usr/bin/env bash
# dbmigrate_generate over real projects' SQLite schemas and histories
# (issue 52), fetched from their registries at test time
# (lib/histories.sh): state N is a fresh database after the project's
# files 1..N, run by the sqlite3 shell as the project runs them; for every
# consecutive pair, the plan generated in a copy of state N toward state
# N+1's schema, given as the shell's `.schema` writes it, is applied and
# the result compared with state N+1 (its statements and fingerprint). Per
# project it prints the pairs that are identical, fair refusals (a drop
# refused without allow_drop, identical when retried with it), errors and
# different (docs/schema-as-code.md), and fails below issue 52's target
# (the walk: lib/sqlite_history.py).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/histories.sh"
pdns=$(history_dir pdns-backend-sqlite3)/usr/share/pdns-backend-sqlite3/schema
rc=$(history_dir roundcube-core)/usr/share/roundcube/SQL
mw=$(history_dir mediawiki)/usr/share/mediawiki
fp=$(history_dir fiberplane-studio)/package/drizzle
ej=$(history_dir ejabberd)/usr/share/ejabberd/sql
drizzle=""
for f in $(drizzle_files "$fp"); do drizzle="$drizzle${drizzle:+, }\"$f\""; done
# project: files. pdns and roundcube ship their current schema only (their
# upgrade scripts start from versions whose schema they do not ship): one
# pair, a new database. MediaWiki: its core tables, then each bundled
# extension's, as an installation makes them. @fiberplane/studio 0.14.0
# (npm): a drizzle-kit history of 25 files, in its meta/_journal.json's
# order (issue 66), each run as drizzle runs it (its "-->
# statement-breakpoint" lines are comments; a table drizzle rebuilds is
# made as __new_<table> under PRAGMA foreign_keys=OFF). ejabberd 23.01
# (Debian): its two whole schemas, lite.sql and the multi-host
# lite.new.sql (a server_host column in most tables, their keys and
# indexes with it), whose upgrade ejabberd runs itself: each state a new
# database with its file alone. Each history is walked
# forward (state N to N+1) and back (N+1 to N, as a rollback generates:
# its drops are fair refusals). The target (issue 52): on every project at
# least 95 % of the pairs reach their state (identical, or a fair
# refusal), none differs; an unparsable plan fails its apply (an error).
"$py" "$(dirname "$0")/lib/sqlite_history.py" "$module" "$work" "[
  [\"pdns-backend-sqlite3\", [\"$pdns/schema.sqlite3.sql\"]],
  [\"roundcube-core\", [\"$rc/sqlite.initial.sql\"]],
  [\"mediawiki\", [\"$mw/maintenance/sqlite/tables-generated.sql\",
                 \"$mw/extensions-core/OATHAuth/sql/sqlite/tables-generated.sql\",
                 \"$mw/extensions-core/Math/sql/sqlite/mathoid.sql\",
                 \"$mw/extensions-core/Math/sql/sqlite/mathlatexml.sql\",
                 \"$mw/extensions-core/AbuseFilter/db_patches/sqlite/tables-generated.sql\"]],
  [\"fiberplane-studio\", [$drizzle]],
  [\"ejabberd\", [\"$ej/lite.sql\", \"$ej/lite.new.sql\"], \"whole\"]]"
echo ok
