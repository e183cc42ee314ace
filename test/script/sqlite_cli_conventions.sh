#!/usr/bin/env bash
# The command line's conventions (issue 38): every option value checked
# before anything is opened (exit 2, as the exit-code table says).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
export DBCARE_MODULE="$module"

# --- a bad value is a usage error (2) before connecting: the database named
# does not exist, so reaching it would be an error (1) instead; --include is
# read by the extension's own list, which still accepts any case and spaces
sqlite3 fresh.db 'CREATE TABLE x (a INTEGER PRIMARY KEY)'
run 0 maintain --include ' Locking, destructive' --dry-run --db sqlite:fresh.db --quiet
for c in "health --mode fast" "maintain --mode fast --dry-run" "health --fail-on bad" \
         "health --format yaml" "rollback --steps 0" "retain --budget soon" \
         "maintain --include safe,lockng"; do
  set -- $c
  run 2 "$@" --db sqlite:missing.db
  grep -q '^dbcare: ' err || fail "dbcare $c: no dbcare: error: $(cat err)"
  case $c in *--mode*) has '--mode is quick, standard or full, not "fast"' err ;; esac
  case $c in *--include*) has 'not "lockng"' err ;; esac
done
[ ! -e missing.db ] || fail "a bad option value created the database"

# --- --version and version; each command's own help, with examples; help
# TOPIC; no line of any help wider than 80 columns
run 0 --version; [ "$(cat out)" = "dbcare $("$py" -c "import json; print(json.load(open('$root/META.json'))['version'])")" ] ||
  fail "--version printed $(cat out)"
cp out version.out
run 0 version; cmp -s out version.out || fail "version differs from --version"
run 0 --help; cp out help.out
cmds=$(sed -n 's/^  \([a-z]*\) .*/\1/p' help.out | grep -v '^help$\|^version$\|^options$')
[ "$(echo "$cmds" | wc -l)" -ge 20 ] || fail "the command list is short: $cmds"
for c in $cmds; do
  run 0 "$c" --help; has "usage: dbcare $c" out; has "examples:" out
  ! cmp -s out help.out || fail "$c --help printed the global usage"
  awk -v c="$c" 'length > 80 { print "FAIL: " c " --help line wider than 80: " $0; bad=1 } END { exit bad }' out
  cp out "h_$c"; run 0 help "$c"; cmp -s out "h_$c" || fail "help $c differs from $c --help"
done
# options, which prints the options of a command (help.c), has its help too
run 0 options --help; has "usage: dbcare options" out; has "examples:" out
cp out h_options; run 0 help options; cmp -s out h_options || fail "help options differs from options --help"
run 0 status -h; has "usage: dbcare status" out; has "--exit-code" out
# --- the option table: a command's help lists every option its usage line
# names (retain's --archive-db was missing), the command takes all of them,
# and each option is refused, exit 2 before anything is opened, by a
# command whose help does not list it (-d, --dir: every command takes it)
# table: "COMMAND OPTION V" per option line of each command's help (V:
# whether it takes a value), read once
for c in $cmds; do
  sed -n '/^options:/,/^$/s/^  \(-d, \)\{0,1\}\(--[a-z-]*\)\( [^ ]\)\{0,1\}.*/\2\3/p' "h_$c" |
    awk -v c="$c" '{ print c, $1, (NF > 1) }'
done >opts.tsv
value_for() {
  case $1 in
  --mode) echo quick ;; --fail-on) echo warning ;; --blockers) echo wait ;; --type) echo full ;; --format) echo prometheus ;;
  --archive-codec | --compress) echo zstd ;; --include) echo locking ;; --attach) echo a=b ;;
  --timeout | --budget | --scrape-timeout | --min-interval | --report-interval) echo 1s ;;
  --segment-interval | --run-for | --keep-for | --base-interval | --lock-timeout) echo 1s ;;
  --segment-bytes | --base-bytes | --max-replica-lag) echo 4096 ;;
  --steps | --keep | --days | --canary | --sleep-ms | --keep-connections | --lock-retries) echo 1 ;; *) echo x ;;
  esac
}
with_values() { # the options of lines "COMMAND OPTION V" on stdin, a value each that needs one
  while read -r _ o v; do if [ "$v" = 1 ]; then echo "$o=$(value_for "$o")"; else echo "$o"; fi; done
}
for c in $cmds; do
  for o in $(sed -n '1,/^$/p' "h_$c" | grep -o -- '--[a-z-]*' | sort -u); do
    grep -q "^$c $o " opts.tsv || fail "$c's usage names $o, its help's options do not"
  done
  # too many arguments: a usage error once the options are taken
  run 2 "$c" $(grep "^$c " opts.tsv | with_values) a b c d e --db sqlite:missing.db
  has "usage: dbcare $c " err
done
for o in $(awk '$2 != "--dir" { print $2 }' opts.tsv | sort -u); do
  c=$(for c in $cmds; do grep -q "^$c $o " opts.tsv || echo "$c"; done | head -1)
  run 2 "$c" $(grep -m1 " $o " opts.tsv | with_values) --db sqlite:missing.db
  case $o in
  --format) has "unknown --format \"prometheus\" for this command" err ;;
  *) has "dbcare: $c does not take $o" err ;;
  esac
done
[ ! -e missing.db ] || fail "an option check opened the database"
run 0 lint --version 2 --help; has "usage: dbcare lint" out
for t in connecting output exit-codes environment; do run 0 help "$t"; [ -s out ] || fail "help $t is empty"; done
run 2 help no-such-topic; has 'no help on "no-such-topic"' err
awk 'length > 80 { print "FAIL: --help line wider than 80: " $0; bad=1 } END { exit bad }' help.out
# lint's own --version V still works after the command
run 2 lint --db sqlite:missing.db --version; has "needs a value" err
# --- dbmate / golang-migrate habits: --url beside --db, DATABASE_URL from a
# .env file (the environment wins), -d/--migrations-dir accepted by every
# command, up and down for migrate and rollback, --no-progress
mkdir mig
echo 'CREATE TABLE t (a INTEGER PRIMARY KEY);' >mig/V1__t.sql
echo 'DROP TABLE t;' >mig/U1__t.sql
printf '# the app database\nexport DATABASE_URL="sqlite:dot.db"   \nOTHER=1\n' >.env
run 0 up -d mig --no-progress; [ -f dot.db ] || fail "up did not migrate the .env database"
[ ! -s err ] || fail "--no-progress printed: $(cat err)"
run 0 status --migrations-dir mig --json; [ "$(json 'd["pending"], d["database"]')" = "0 sqlite:dot.db" ] ||
  fail "status after up: $(cat out)"
run 0 health -d mig --quiet --url sqlite:dot.db
DATABASE_URL=sqlite:env.db run 1 status; has 'database file "env.db" does not exist' err
run 0 down -dmig --url sqlite:dot.db
db=dot.db; [ "$(q "SELECT state FROM dbmigrate_status WHERE version = '1'")" = pending ] || fail "down did not roll back"
rm .env
# --- health judges the file, not dbcare's own connection: foreign_keys is
# off on every new connection, so through the command foreign_keys_enforced
# is skipped; status, score and exit code agree with the checks shown
sqlite3 fk.db "CREATE TABLE p (id INTEGER PRIMARY KEY);
  CREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER REFERENCES p(id)); CREATE INDEX c_p ON c(p);"
run 0 health --fail-on warning --db sqlite:fk.db --json
[ "$(json '[c["status"] for c in d["checks"] if c["name"] == "foreign_keys_enforced"][0], d["score"], d["status"]')" = "skipped 100 healthy" ] ||
  fail "foreign_keys_enforced judged dbcare's connection: $(cat out)"
run 0 health --fail-on warning --db sqlite:fk.db --format prometheus
grep -q 'dbcare_health_check_skipped{.*check="foreign_keys_enforced"} 1' out || fail "metrics: $(cat out)"
! grep -q 'dbcare_health_check_status{.*check="foreign_keys_enforced"}' out || fail "metrics: $(cat out)"
grep -q '^dbcare_health_score{.*} 100$' out || fail "metrics score: $(cat out)"
# a table without a primary key: a check at warning (score 95, report
# status healthy by the scoring rules) fails --fail-on warning in every format
sqlite3 fk.db "CREATE TABLE nopk (a)"
for f in table json prometheus; do
  run 3 health --fail-on warning --db sqlite:fk.db --format "$f"
  [ "$f" = json ] || has "reaches --fail-on warning" err
done
run 0 health --fail-on critical --db sqlite:fk.db
has 'score 95, status healthy (standard mode), a check at warning' out
# --- one output on both engines: times in RFC 3339 UTC, and backup prints
# JSON only under --json (pg_cli_conventions.sh checks PostgreSQL's)
run 0 migrate -d mig --db sqlite:dot.db
run 0 status -d mig --db sqlite:dot.db --json
[[ $(json 'd["migrations"][0]["applied_at"]') =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$ ]] ||
  fail "applied_at: $(cat out)"
run 0 backup "$work/b1.db" --db sqlite:dot.db
[ "$(head -c 1 out)" != "{" ] || fail "backup printed JSON without --json: $(cat out)"
has "fingerprint" out
run 0 backup "$work/b2.db" --db sqlite:dot.db --json
[ "$(json 'd["backup"]["verified"]')" = True ] || fail "backup --json: $(cat out)"
run 0 backups prune --keep 5 --db sqlite:dot.db
! grep -q '^{' out || fail "backups prune printed JSON without --json: $(cat out)"
# --- settings from the shell: config list | get | set
run 0 config --db sqlite:dot.db --json
[ "$(json 'len(d["settings"]) > 10 and all("key" in s and "default_value" in s for s in d["settings"])')" = True ] ||
  fail "config list: $(cat out)"
[ "$(json '[s["value"] for s in d["settings"] if s["key"] == "retain.batch_size"][0]')" = "$(q "SELECT dbcare_get('retain.batch_size')")" ] ||
  fail "config list differs from dbcare_get"
run 0 config set retain.batch_size 250 --db sqlite:dot.db; has "250" out
db=dot.db; [ "$(q "SELECT dbcare_get('retain.batch_size')")" = 250 ] || fail "config set did not store 250"
run 0 config get retain.batch_size --db sqlite:dot.db; [ "$(cat out)" = 250 ] || fail "config get: $(cat out)"
run 1 config set retain.batch_size lots --db sqlite:dot.db; has 'invalid value "lots"' err
[ "$(q "SELECT dbcare_get('retain.batch_size')")" = 250 ] || fail "a refused value changed the setting"
run 1 config get no.such.key --db sqlite:dot.db; has 'unknown setting "no.such.key"' err
run 2 config set retain.batch_size --db sqlite:dot.db
# --- create and drop the database; dump the schema (db/schema.sql), also
# after migrate or rollback with --dump-schema
run 0 create --db sqlite:new.db; [ -s new.db ] || fail "create made no database file"
[ "$(sqlite3 new.db 'PRAGMA quick_check')" = ok ] || fail "create made no SQLite database"
run 0 create --db sqlite:new.db; has 'exists already' err
: >new.db-wal; : >new.db-shm
run 0 drop --db sqlite:new.db
[ ! -e new.db ] && [ ! -e new.db-wal ] && [ ! -e new.db-shm ] || fail "drop left files: $(ls new.db*)"
run 0 drop --db sqlite:new.db; has 'does not exist' err
run 0 migrate -d mig --dump-schema --db sqlite:dump.db
grep -q '^CREATE TABLE t (a INTEGER PRIMARY KEY);$' db/schema.sql || fail "schema.sql: $(cat db/schema.sql)"
grep -q '^--   1 t$' db/schema.sql || fail "schema.sql lacks the applied migration: $(cat db/schema.sql)"
! grep -qi 'dbcare_' db/schema.sql || fail "schema.sql holds dbcare's own tables: $(cat db/schema.sql)"
sqlite3 check.db <db/schema.sql || fail "schema.sql does not load into sqlite3"
run 0 rollback --dump-schema --schema-file other/schema.sql --db sqlite:dump.db
! grep -q 'CREATE TABLE t' other/schema.sql || fail "the dump after rollback still has t"
run 0 dump --db sqlite:dump.db mine.sql; [ -f mine.sql ] || fail "dump FILE wrote nothing"
run 0 migrate -d mig --dry-run --dump-schema --db sqlite:dump.db
grep -q 'CREATE TABLE t' db/schema.sql || fail "a dry run rewrote the dump"
run 2 migrate --dump-schema --db sqlite:dump.db --db sqlite:new.db; has 'not a fleet' err
echo ok
