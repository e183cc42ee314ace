#!/usr/bin/env bash
# An empty file (0 bytes) is no database and no backup, though SQLite opens
# it as an empty database: a backup cut short by a failed copy or upload
# is one, and so is a mistyped path someone touched. Restored, it replaced
# the database with an empty one and said "restored" (exit 0); verified,
# it was "verified"; monitored, it scored 100, healthy; backed up, dbcare
# wrote its bookkeeping into it. Each is refused now, naming the file, and
# nothing is written: the database keeps its rows, the file stays empty.
# A file that is not a database at all is refused by every command naming
# the file and the way out, as health does (SQLite's "file is not a
# database" names neither); so is a restore into a directory or into a
# folder that does not exist.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
cd "$work"
db=app.db
q "CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL);
   INSERT INTO orders (total) VALUES (10), (20), (30);" >/dev/null
: > cut.db
dbc() { "$cli" "$@" --module "$module"; }
refused() { # WHAT EXPECTED-TEXT CMD...: CMD fails saying EXPECTED-TEXT
  local what=$1 want=$2
  shift 2
  if out=$("$@" 2>&1); then fail "$what: exit 0: $out"; fi
  case "$out" in *"$want"*) ;; *) fail "$what: $out" ;; esac
}
want_backup='backup cut.db is empty (0 bytes): no database is in it'
refused "restore of an empty backup into a new file" "$want_backup" \
  dbc restore cut.db --db sqlite:new.db
[ ! -s new.db ] || fail "the refused restore wrote new.db"
refused "restore of an empty backup over the database" "$want_backup" \
  dbc restore cut.db --db sqlite:app.db
[ "$(q "SELECT count(*) FROM orders")" = 3 ] || fail "the database lost its rows"
refused "verify of an empty backup" "$want_backup" dbc verify cut.db --db sqlite:app.db
# the same file as a database to monitor or back up
: > empty.db
want_db='"empty.db" is empty (0 bytes): no database is in it'
refused "health of an empty file" "$want_db" dbc health --fail-on warning --db sqlite:empty.db
refused "backup of an empty file" "$want_db" dbc backup bk.db --db sqlite:empty.db
[ ! -s empty.db ] && [ ! -e bk.db ] || fail "the refused backup wrote: $(ls -l empty.db bk.db 2>&1)"
echo garbage > notes.db
want_notadb="\"$work/notes.db\" is not a SQLite database: file is not a database"
for cmd in status check "backup nb.db" "schema fingerprint"; do
  # shellcheck disable=SC2086 # the command's words
  refused "$cmd of a file that is not a database" "$want_notadb" dbc $cmd --db sqlite:notes.db
  case "$out" in *"HINT: Check the path"*) ;; *) fail "$cmd: no way out: $out" ;; esac
done
"$cli" backup good.db --db sqlite:app.db --module "$module" >/dev/null
mkdir folder
refused "restore into a directory" "the target folder is a directory: name the database file" \
  dbc restore good.db --db sqlite:folder
refused "restore into a missing folder" "(the target's folder does not exist: make it first)" \
  dbc restore good.db --db sqlite:nowhere/x.db
echo "ok: an empty file is refused as a backup and as a database; a foreign file and a target are named"
