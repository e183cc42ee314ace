#!/usr/bin/env bash
# The popx-layout folder (test/fixtures/popx_layout) through the command on
# SQLite: the .sqlite3. files chosen, the empty files registered as no-op
# migrations (as dbmigrate_load registers them: same checksums),
# .cockroach.autocommit. left to its engine, and the .sqlite3.autocommit.
# migration run outside a transaction by migrate, with no flag.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
export DBCARE_MODULE="$module"
fix="$root/test/fixtures/popx_layout"
sqlite3 a.db 'PRAGMA user_version = 0'
run 0 status --db sqlite:a.db --dir "$fix" --json
[ "$(json 'd["pending"], len(set(m["version"] for m in d["migrations"]))')" = "6 6" ] || fail "status: $(cat out err)"
# the .autocommit. migration runs on its own, the others in transactions
run 0 migrate --db sqlite:a.db --dir "$fix"
has '6 migration(s) applied' out
db=a.db
[ "$(q "SELECT count(*) FROM dbmigrate_status() WHERE state = 'applied'")" = 6 ] || fail "not all applied"
[ "$(q "SELECT state FROM accounts")" = disabled ] || fail "rows"
[ "$(q "SELECT count(*) FROM sqlite_master WHERE name = 'accounts_email_idx'")" = 1 ] || fail "no index"
run 0 status --db sqlite:a.db --dir "$fix" --exit-code
# dbmigrate_load registers the same scripts
db=b.db
[ "$(q "SELECT dbmigrate_load('$fix')")" = 6 ] || fail "dbmigrate_load"
run 0 status --db sqlite:b.db --dir "$fix" --json
[ "$(json 'sorted(set(m["state"] for m in d["migrations"]))')" = "['pending']" ] || fail "changed: $(cat out)"
echo ok
