#!/usr/bin/env bash
# The dbcare command on SQLite: every command and exit code (0 ok, 1 error,
# 2 usage, 3 threshold), --json parsed, a mistyped flag that must not
# migrate, a bad URL, a folder with bad file names (nothing registered),
# files registered with exactly dbmigrate_load's checksums, and progress as
# a bar under a pseudo-terminal and as plain lines otherwise.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
fix="$root/test/fixtures/migrations"
export DBCARE_MODULE="$module"

# --- usage: exit 2, before anything is opened
run 2
run 0 --help; has "migrate" out
run 2 frobnicate --db sqlite:x.db; has 'dbcare: unknown command "frobnicate"' err
run 2 migrate --db sqlite:typo.db --dry-rnu
has 'dbcare: unknown option "--dry-rnu"' err
[ ! -e typo.db ] || fail "a mistyped flag created the database"
run 2 status --to 3 --db sqlite:x.db; has 'status does not take --to' err
run 2 rollback --steps zero --db sqlite:x.db
run 2 status; has 'pass --db URL or set DATABASE_URL' err
run 2 status --db mysql://localhost/x; has 'dbcare: unsupported database URL scheme' err
run 1 status --db sqlite:absent.db; has 'dbcare: database file "absent.db" does not exist' err
run 1 status --db sqlite:x.db --module "$work/none.so" --dir nowhere
run 2 health --format yaml --db sqlite:x.db

# --- new: the next Flyway pair
run 0 new create_users --dir m
[ -f m/V1__create_users.sql ] && [ -f m/U1__create_users.sql ] || fail "new: files"
run 0 new add_posts --dir m --json
[ "$(json "d['version']")" = 2 ] || fail "new: second version"
run 2 new "bad name" --dir m
echo 'CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);' >m/V1__create_users.sql
echo 'DROP TABLE users;' >m/U1__create_users.sql
echo 'CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id));' >m/V2__add_posts.sql
echo 'DROP TABLE posts;' >m/U2__add_posts.sql

# --- status, dry run, migrate
db="$work/app.db"
run 0 migrate --db "sqlite:$db" --dir m --dry-run --json   # creates the file, applies nothing
run 1 status --db "sqlite:$db" --dir m --exit-code
run 0 status --db "sqlite:$db" --dir m --json
[ "$(json "d['pending'], [m['state'] for m in d['migrations']]")" = "2 ['pending', 'pending']" ] ||
  fail "status json: $(cat out)"
[ "$(q "SELECT count(*) FROM dbmigrate_status")" = 0 ] || fail "status registered files"
run 0 migrate --db "sqlite:$db" --dir m --dry-run --json
[ "$(json "[s['version'] for s in d['plan']]")" = "['1', '2']" ] || fail "dry run plan"
[ "$(q "SELECT count(*) FROM dbmigrate_status")" = 0 ] || fail "dry run changed something"
DATABASE_URL="sqlite:$db" run 0 migrate --dir m --json
[ "$(json "d['applied']")" = 2 ] || fail "migrate json"
[ "$(q "SELECT group_concat(version || state, ',') FROM dbmigrate_status")" = "1applied,2applied" ] ||
  fail "not applied"
run 0 status --db "$db" --dir m --exit-code
run 0 migrate --db "$db" --dir m --json
[ "$(json "d['applied']")" = 0 ] || fail "second migrate applied something"

# --- history, script, verify, validate, repair, rollback, baseline
run 0 history --db "$db" --json
[ "$(json "[(h['version'], h['direction']) for h in d['history']]")" = "[('1', 'up'), ('2', 'up')]" ] ||
  fail "history"
run 0 new add_tags --dir m
echo 'CREATE TABLE tags (id INTEGER PRIMARY KEY);' >m/V3__add_tags.sql
echo 'DROP TABLE tags;' >m/U3__add_tags.sql
run 0 script --db "$db" --dir m; has 'CREATE TABLE tags' out
run 0 verify --db "$db" --dir m --json
[ "$(json "[(v['version'], v['up_ok'], v['down_ok'], v['reversible']) for v in d['verified']]")" = \
  "[('3', True, True, True)]" ] || fail "verify: $(cat out)"
echo 'DROP TABLE users;' >m/U3__add_tags.sql
run 1 verify --db "$db" --dir m       # the down does not undo the up
run 0 validate --db "$db" --dir m --json
[ "$(json "len(d['problems'])")" = 0 ] || fail "validate clean"
echo 'CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT);' >m/V1__create_users.sql
run 1 validate --db "$db" --dir m --json
[ "$(json "[p['problem'] for p in d['problems']]")" = "['changed']" ] || fail "validate changed: $(cat out)"
run 0 repair --db "$db" --dir m --json
run 0 validate --db "$db" --dir m
run 0 rollback --db "$db" --steps 1 --json
[ "$(json "d['rolled_back']")" = 1 ] || fail "rollback --steps 1"
[ "$(q "SELECT group_concat(version || state, ',') FROM dbmigrate_status")" = "1applied,2pending,3pending" ] ||
  fail "after rollback: $(q 'SELECT * FROM dbmigrate_status')"
run 2 rollback --db "$db" --steps 1 --to 0
run 0 rollback --db "$db" --to 0
[ "$(q "SELECT count(*) FROM dbmigrate_status WHERE state = 'applied'")" = 0 ] || fail "rollback --to 0"
base="$work/base.db"
run 0 baseline 2 --db "sqlite:$base" --dir m --json
[ "$(q_base() { sqlite3 -cmd ".load $module" "$base" "$@"; }; q_base "SELECT group_concat(version || kind || state, ',') FROM dbmigrate_status")" = \
  "1baselineapplied,2baselineapplied,3versionedpending" ] || fail "baseline"

# --- the files are read with dbmigrate_load's rules and checksums
for layout in flyway golang; do
  ref="$work/ref_$layout.db"; cl="$work/cli_$layout.db"
  db=$ref; q "SELECT dbmigrate_load('$fix/$layout')" >/dev/null
  run 0 migrate --db "sqlite:$cl" --dir "$fix/$layout" --dry-run
  run 0 status --db "sqlite:$cl" --dir "$fix/$layout" --json
  want=$(q "SELECT group_concat(coalesce(version, '-') || '|' || name || '|' || checksum, ';') FROM dbmigrate_status")
  got=$(json "';'.join((m['version'] or '-') + '|' + m['name'] + '|' + m['checksum'] for m in d['migrations'])")
  [ "$got" = "$want" ] || fail "$layout: CLI registers '$got', dbmigrate_load '$want'"
done
db="$work/app.db"
# a folder with bad files: one error naming them, nothing registered
before=$(q "SELECT count(*) FROM dbmigrate_status")
run 1 migrate --db "$db" --dir "$fix/bad"
has 'notes.sql: matches none of the accepted layouts' err
has 'U2__orphan.sql: a down script without an up script' err
has 'nothing was registered' err
[ "$(q "SELECT count(*) FROM dbmigrate_status")" = "$before" ] || fail "bad folder registered something"
run 1 migrate --db "$db" --dir "$work/nowhere"; has 'could not open migration directory' err

# --- progress: plain lines without a terminal, a bar on one, none with --quiet
cp "$db" "$work/p1.db"; cp "$db" "$work/p2.db"
run 0 migrate --db "$work/p1.db" --dir m
has '[1/3] 1' err; has '[3/3] 3' err
"$py" - "$cli" "$work/p2.db" "$work/m" >"$work/pty.out" <<'PY' || fail "pty run"
import os, pty, sys
cli, db, mdir = sys.argv[1:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(cli, [cli, "migrate", "--db", db, "--dir", mdir])
out = b""
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(repr(out))
sys.exit(os.waitstatus_to_exitcode(status))
PY
grep -qF '\r' "$work/pty.out" && grep -qF '] 3/3 3' "$work/pty.out" && grep -qF '###' "$work/pty.out" ||
  fail "no progress bar on a terminal: $(cat "$work/pty.out")"
grep -qF '[1/3]' "$work/pty.out" && fail "plain progress lines on a terminal"
cp "$work/app.db" "$work/p3.db"
run 0 migrate --db "$work/p3.db" --dir m --quiet
[ ! -s "$work/err" ] && [ ! -s "$work/out" ] || fail "--quiet printed something"

# --- health, check, orphans: exit 3 at the threshold
run 0 migrate --db "$db" --dir m --quiet
run 0 health --db "$db" --mode quick --json
[ "$(json "d['status'], d['mode']")" = "healthy quick" ] || fail "health json: $(cat out)"
run 0 health --db "$db" --format prometheus; has 'dbcare_health_score' out
run 0 health --db "$db"; has 'status healthy' out
q "SELECT dbmigrate_add('1', 'create users', 'CREATE TABLE users (id INTEGER PRIMARY KEY, x TEXT);')" >/dev/null
run 3 health --db "$db" --mode quick --fail-on critical
has 'reaches --fail-on critical' err
run 3 health --db "$db" --mode quick --fail-on warning --format prometheus
run 0 health --db "$db" --mode quick          # no --fail-on: the report only
run 0 repair --db "$db" --dir m
run 0 check --db "$db" --json
q "CREATE TABLE prices (id INTEGER PRIMARY KEY, amount INTEGER CHECK (amount > 0));
   PRAGMA ignore_check_constraints = 1; INSERT INTO prices VALUES (1, -5);"
run 3 check --db "$db" --json
[ "$(json "[(c['table_name'], c['violations']) for c in d['constraints'] if c['violations']]")" = \
  "[('prices', 1)]" ] || fail "check json: $(cat out)"
q "INSERT INTO users (id) VALUES (1); INSERT INTO posts VALUES (10, 1), (11, 99);"
run 3 orphans --db "$db" --json
[ "$(json "[o['orphans'] for o in d['orphans']]")" = "[1]" ] || fail "orphans json"
run 0 orphans --db "$db" --delete --json
run 0 orphans --db "$db"
[ "$(q "SELECT count(*) FROM posts")" = 1 ] || fail "orphans --delete"

# --- schema snapshot, fingerprint, diff
run 0 schema snapshot --db "$db"; cp out a.json
run 0 schema fingerprint --db "$db" --json
[ "$(json "len(d['fingerprint'])")" = 64 ] || fail "fingerprint"
q "CREATE TABLE extra (id INTEGER PRIMARY KEY)"
run 0 schema snapshot --db "$db"; cp out b.json
run 0 schema diff a.json b.json --db "$db" --json
[ "$(json "[(c['object_name'], c['change']) for c in d['changes']]")" = "[('extra', 'added')]" ] ||
  fail "diff: $(cat out)"
run 2 schema diff a.json --db "$db"
run 2 schema shapshot --db "$db"

# --- wait
run 0 wait --db "$db" --timeout 1s --json
[ "$(json "d['ready']")" = True ] || fail "wait json"
run 1 wait --db "sqlite:$work/later.db" --timeout 300ms; has 'gave up waiting' err
echo ok
