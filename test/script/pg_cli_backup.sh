#!/usr/bin/env bash
# dbcare backup on PostgreSQL (docs/cli.md, docs/backups.md): pg_dump writes
# a temporary file beside the target, which gets its name only when the dump
# is complete and synced. A symlink at the target is never followed (the
# file it points to is never created or overwritten); a dump killed halfway
# -- the command and pg_dump both, as a crash does -- leaves nothing under
# the name; a failing pg_dump leaves no file at all. The recorded
# fingerprint is the schema in the dump: read in the snapshot pg_dump
# dumps, even when DDL commits between the two. A dump that pg_restore
# cannot read back whole is neither named nor recorded; one whose record
# failed is removed unless the record may have committed. A stand-in pg_dump on PATH
# (which then runs the real one) makes each case deterministic.
set -eu
db=dbcare_cli_backup
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"

fresh_db
q -c "CREATE TABLE accounts (id int PRIMARY KEY, email text);
      INSERT INTO accounts SELECT g, 'a' || g FROM generate_series(1, 50) g"
mkdir shim
# the stand-in: MODE says what it does around the real pg_dump; the file
# pg_dump is given is in $file
cat >shim/pg_dump <<SHIM
#!/usr/bin/env bash
file=
prev=
for a in "\$@"; do
  case "\$a" in --file=*) file=\${a#--file=} ;; esac
  [ "\$prev" = --file ] && file=\$a
  prev=\$a
done
case "\$(cat "$work/mode")" in
  crash) printf 'PGDMP half a dump' >"\$file"; kill -9 \$PPID; kill -9 \$\$ ;;
  fail) printf 'PGDMP half a dump' >"\$file"; exit 1 ;;
  slow) sleep 0.6 ;;
  hang) printf 'PGDMP half a dump' >"\$file"; echo \$\$ >"$work/shim.pid"; exec sleep 30 ;;
  corrupt) "$B/pg_dump" "\$@" || exit; truncate -s -200 "\$file"; exit 0 ;;
  ddl) "$B/psql" -X -q -At -c "SET lock_timeout = '2s'" \
         -c "ALTER TABLE accounts ADD COLUMN added_during_backup int" >/dev/null 2>&1 || true ;;
esac
exec "$B/pg_dump" "\$@"
SHIM
chmod +x shim/pg_dump
backup() { PATH="$work/shim:$B:$PATH" run "$@"; }
leftovers() { find "$work" -maxdepth 1 -name "$1*" | sort | tr '\n' ' '; }

# --- a symlink at the target: refused, whatever it points to
echo none >mode
ln -s "$work/victim" dangling.dump
backup 1 backup dangling.dump --db "$url"; has "exists already" err
[ ! -e victim ] || fail "backup followed a dangling symlink and created $(cat victim | head -c 20)"
[ -L dangling.dump ] || fail "the symlink was removed"
echo precious >precious
ln -s "$work/precious" link.dump
backup 1 backup link.dump --db "$url"; has "exists already" err
[ "$(cat precious)" = precious ] || fail "backup overwrote the file a symlink points to"

# --- --incremental: pgBackRest's incr with a stanza; without one an error,
# never silently a whole dump
echo none >mode
backup 2 backup incr.dump --incremental --db "$url"; has "--incremental on PostgreSQL" err
[ ! -e incr.dump ] || fail "--incremental without a stanza wrote a dump"
[ "$(q -c "SELECT count(*) FROM dbcare.backups")" = 0 ] || fail "--incremental without a stanza recorded a backup"
backup 2 backup --incremental --type full --stanza nosuch --db "$url"
has "--incremental and --type full" err
# each method refuses the options of another (cli/backup/backup_methods.c)
backup 2 backup typed.dump --type full --db "$url"; has "--type is pgBackRest's" err
backup 2 backup --compress zstd --stanza nosuch --db "$url"; has "pgBackRest compresses and encrypts" err
[ ! -e typed.dump ] || fail "a refused backup wrote a dump"

# --- a dump that does not read back (pg_dump said success): not recorded,
# not named; the command reads every archive back with pg_restore
echo corrupt >mode
before=$(q -c "SELECT count(*) FROM dbbackup_list()")
backup 1 backup damaged.dump --db "$url"; has "reading the dump back with pg_restore failed" err
[ ! -e damaged.dump ] || fail "a dump that does not read back was named"
[ -z "$(leftovers damaged.dump.tmp)" ] || fail "the damaged dump's temporary file stayed: $(leftovers damaged.dump.tmp)"
[ "$(q -c "SELECT count(*) FROM dbbackup_list()")" = "$before" ] || fail "a dump that does not read back was recorded"

# --- a crash in the middle of the dump: nothing under the name
echo crash >mode
set +e; PATH="$work/shim:$B:$PATH" "$cli" backup crashed.dump --db "$url" >out 2>err; set -e
[ ! -e crashed.dump ] || fail "a killed dump left a partial file under its name"
[ "$(q -c "SELECT count(*) FROM dbcare.backups")" = 0 ] || fail "a killed dump was recorded"

# --- the command stopped (SIGTERM to it alone, as a supervisor does; a
# script's background job ignores SIGINT) while pg_dump runs: pg_dump is
# stopped too, nothing is left
for sig in TERM HUP; do
  echo hang >mode; rm -f shim.pid
  PATH="$work/shim:$B:$PATH" "$cli" backup stopped.dump --db "$url" >out 2>err &
  pid=$!
  for _ in $(seq 100); do [ -s shim.pid ] && break; sleep 0.05; done
  [ -s shim.pid ] || fail "the stand-in pg_dump did not start"
  kill -$sig $pid
  set +e; wait $pid; rc=$?; set -e
  shim=$(cat shim.pid)
  if kill -0 "$shim" 2>/dev/null; then kill "$shim"; fail "SIG$sig: pg_dump runs on after the command"; fi
  [ "$rc" != 0 ] || fail "SIG$sig: the command exited 0"
  [ -z "$(leftovers stopped.dump)" ] || fail "SIG$sig: a stopped backup left $(leftovers stopped.dump)"
done
[ "$(q -c "SELECT count(*) FROM dbcare.backups")" = 0 ] || fail "a stopped dump was recorded"

# --- a stop signal just after the dump is published (renamed into place,
# its directory's sync slowed by strace) and before its record commits:
# the backup is recorded with its file (exit 0) or neither is left (ended
# by the signal, saying so); never a file the catalog does not name. A
# sealed one (--compress) is published by the container's own link
echo none >mode
for case in TERM INT TERM:sealed; do
  sig=${case%%:*} sealed=()
  [ "$case" = TERM:sealed ] && sealed=(--compress zstd)
  stop_at_name published.dump "$sig" env PATH="$work/shim:$B:$PATH" "$cli" backup published.dump --db "$url" "${sealed[@]}"
  rows=$(q -c "SELECT count(*) FROM dbcare.backups WHERE path = '$work/published.dump'")
  if [ "$rc" = 0 ]; then
    [ -e published.dump ] && [ "$rows" = 1 ] || fail "SIG$sig after the publish: exit 0, rows $rows, file $(leftovers published.dump)"
  else
    [ -z "$(leftovers published.dump)" ] && [ "$rows" = 0 ] ||
      fail "SIG$sig after the publish: exit $rc left $(leftovers published.dump)with $rows row(s) ($(cat err))"
    grep -q "the backup was interrupted; nothing of it is left" err || fail "SIG$sig after the publish: the stop was not said ($(cat err))"
  fi
  rm -f published.dump
  q -c "DELETE FROM dbcare.backups"
done

# --- pg_dump fails: no file under the name, no temporary file either
echo fail >mode
backup 1 backup failed.dump --db "$url"; has "pg_dump failed" err
[ -z "$(leftovers failed.dump)" ] || fail "a failed dump left $(leftovers failed.dump)"
[ "$(q -c "SELECT count(*) FROM dbcare.backups")" = 0 ] || fail "a failed dump was recorded"

# --- the record fails after the dump was published. Known not committed
# (the server refused the row, or the session ended before the record's
# COMMIT): the file goes too, so a retry to the same name works. Maybe
# committed (the session ended at the COMMIT, as a lost connection): the
# file stays and the error says so, naming it.
echo none >mode
q -c "CREATE FUNCTION public.refuse_record() RETURNS trigger LANGUAGE plpgsql AS
      \$\$BEGIN RAISE EXCEPTION 'no room for records'; END\$\$;
      CREATE TRIGGER refuse BEFORE INSERT ON dbcare.backups
      FOR EACH ROW EXECUTE FUNCTION public.refuse_record()"
backup 1 backup unrecorded.dump --db "$url"; has "no room for records" err
[ -z "$(leftovers unrecorded.dump)" ] || fail "an unrecorded dump stayed: $(leftovers unrecorded.dump)"
q -c "CREATE OR REPLACE FUNCTION public.refuse_record() RETURNS trigger LANGUAGE plpgsql AS
      \$\$BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END\$\$"
backup 1 backup ended.dump --db "$url"
[ -z "$(leftovers ended.dump)" ] || fail "a dump whose session ended before its COMMIT stayed: $(leftovers ended.dump)"
q -c "DROP TRIGGER refuse ON dbcare.backups;
      CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON dbcare.backups
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.refuse_record()"
backup 1 backup unknown.dump --db "$url"
has "the backup file $work/unknown.dump is kept: its record may have been committed" err
[ -e unknown.dump ] || fail "a dump whose record may have committed was removed"
q -c "DROP TRIGGER refuse ON dbcare.backups; DROP FUNCTION public.refuse_record()"
backup 0 backup unrecorded.dump --db "$url"
[ "$(q -c "SELECT count(*) FROM dbcare.backups WHERE path = '$work/unrecorded.dump'")" = 1 ] ||
  fail "the retry to the name of an unrecorded dump was not recorded"
q -c "DELETE FROM dbcare.backups"

# --- DDL commits between the fingerprint and the dump: they still agree
before=$(q -c "SELECT dbschema_fingerprint()")
echo ddl >mode
backup 0 backup raced.dump --db "$url" --json
! grep -q "WARNING" err || fail "a backup that worked warned: $(cat err)"
recorded=$(json "d['backup']['fingerprint']")
if "$B/pg_restore" -s -f - raced.dump | grep -q added_during_backup; then
  [ "$recorded" = "$(q -c "SELECT dbschema_fingerprint()")" ] ||
    fail "the dump has the new column, the recorded fingerprint is the schema before it"
else
  [ "$recorded" = "$before" ] || fail "the dump has the old schema, the fingerprint another one"
fi
[ "$(q -c "SELECT count(*) FROM pg_attribute WHERE attname = 'added_during_backup'")" = 1 ] ||
  echo "note: the DDL waited for the backup's snapshot and timed out"
[ -z "$(leftovers raced.dump.tmp)" ] || fail "a backup left $(leftovers raced.dump.tmp)"
[ "$(stat -c %a raced.dump)" = 600 ] || fail "the dump is readable by others: $(stat -c %a raced.dump)"
# the dump holds every row
[ "$("$B/pg_restore" --data-only --table=accounts -f - raced.dump |
     sed -n '/^COPY /,/^\\\./p' | grep -c '^[0-9]')" = 50 ] || fail "the dump lacks rows"
# --- a dump that outlasts idle_in_transaction_session_timeout: the
# snapshot's transaction waits for pg_dump without being ended by it
q -c "ALTER DATABASE $db SET idle_in_transaction_session_timeout = '200ms'"
echo slow >mode
backup 0 backup slow.dump --db "$url"
q -c "ALTER DATABASE $db RESET idle_in_transaction_session_timeout"
[ "$(q -c "SELECT count(*) FROM dbcare.backups WHERE path LIKE '%/slow.dump'")" = 1 ] ||
  fail "the slow dump was not recorded"

# --- the default name comes from the database's name, which may hold a
# slash: still one file in the current directory, never a path elsewhere
odd='dbcare_cli/backup'
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$odd\"" -c "CREATE DATABASE \"$odd\"" 2>/dev/null
"$B/psql" -X -q -d "$odd" -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare"
mkdir -p dbcare_cli
echo none >mode
set +e; PATH="$work/shim:$B:$PATH" "$cli" backup --db "postgresql://$PGUSER@/dbcare_cli%2Fbackup?host=$PGHOST&port=$PGPORT" >out 2>err; set -e
"$B/psql" -X -q -d postgres -c "DROP DATABASE \"$odd\""
[ -z "$(ls dbcare_cli)" ] || fail "the default name wrote into a directory: $(ls dbcare_cli)"
ls | grep -Eq '^dbcare_cli_backup-[0-9]{8}T[0-9]{6}Z\.dump$' || fail "no plain default name: $(ls; cat err)"
# --- backup.dir, a folder: a dump without PATH goes there (cron's
# working directory is not where backups live)
mkdir nightly
echo none >mode
q -c "SELECT dbcare_set('backup.dir', '$work/nightly')" >/dev/null
backup 0 backup --db "$url"
ls nightly | grep -Eq "^$db-[0-9]{8}T[0-9]{6}Z\.dump\$" || fail "no dump in backup.dir: $(ls nightly)"
q -c "SELECT dbcare_set('backup.dir', '')" >/dev/null
echo "ok: pg_dump published whole, never through a symlink, fingerprint in its snapshot"
