#!/usr/bin/env bash
# dbcare verify of pgBackRest backups (docs/backups.md), on a cluster of
# its own with a real stanza (lib/pgbackrest.sh): pgbackrest verify and a
# restore test (a scratch copy restored, started on a free port, every
# table read, stopped and removed) mark a good incremental backup
# verified; after a byte of the repository changes, verify fails, the row
# becomes failed, and no scratch copy is left behind. Reading the restored
# copy runs no code of a table's owner: a non-superuser owner's cast of its
# row type to text, which writes a server file when a superuser runs it,
# does not run.
set -eu
db=dbcare_pgbackrest_verify
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3
. "$root/test/script/lib/pgbackrest.sh"

mkdir "$work/marks"
chmod 777 "$work/marks"
P -d app -c "CREATE ROLE planter" -c "GRANT CREATE ON SCHEMA public TO planter" \
  -c "SET ROLE planter" -c "CREATE TABLE planted (k int)" -c "INSERT INTO planted VALUES (1)" -c "
CREATE FUNCTION planted_text(planted) RETURNS text LANGUAGE plpgsql AS \$\$
BEGIN
  BEGIN COPY (SELECT 1) TO '$work/marks/cast'; EXCEPTION WHEN OTHERS THEN NULL; END;
  RETURN 'x';
END \$\$" -c "CREATE CAST (planted AS text) WITH FUNCTION planted_text(planted)"
run 0 backup --type full --db "$url" --json
full=$(json "d['backup']['label']")
P -d app -c "INSERT INTO t (id, batch) SELECT g, 'B' FROM generate_series(1001, 2000) g"
run 0 backup --db "$url" --json
incr=$(json "d['backup']['label']")
[ "$(json "d['backup']['type']")" = incr ] || fail "the default type is not incr: $(cat out)"

# --- verify: pgbackrest verify and a restore test, the scratch copy gone after
t0=$(date +%s%N)
run 0 verify "$incr" --db "$url"
echo "verify: $((($(date +%s%N) - t0) / 1000000)) ms"
[ "$(P -d app -c "SELECT status FROM dbcare.backups WHERE label = '$incr'")" = verified ] ||
  fail "the incremental backup did not verify: $(cat out err)"
grep -qE "tables.*[1-9]" out || fail "the restore test read no table: $(cat out)"
# read by a role made in the copy for it, with no right but reading
has "reading the restored copy as the role dbcare_reader_" err
[ -z "$(ls "$r/tmp")" ] || fail "verify left $(ls "$r/tmp")"
# (this test's scratch clusters only: other tests may verify meanwhile)
! pgrep -f "$r/tmp/dbcare-verify-" >/dev/null || fail "a scratch cluster still runs"
[ -z "$(ls "$work/marks")" ] || fail "reading the restored copy ran the owner's cast as a superuser"
# a restore drill of the newest backup (issue 50.3): the same restore test,
# timed and recorded in dbcare.backup_drills
run 0 backup drill --db "$url" --json
[ "$(json "d['drill']['ok'], d['drill']['method'], d['drill']['tables'] > 0")" = "True pgbackrest True" ] ||
  fail "the pgBackRest drill: $(cat out)"
[ "$(P -d app -c "SELECT status, duration_ms > 0 FROM dbcare.backup_drills")" = "ok|t" ] ||
  fail "the pgBackRest drill was not recorded"
[ -z "$(ls "$r/tmp")" ] || fail "the drill left $(ls "$r/tmp")"
# a damaged repository fails verification, and the row says so
# (a relation file of the full backup, which the incremental one uses)
f=$(find "$r/repo/backup/app/$full/pg_data/base" -type f -size +8k | head -n 1)
[ -n "$f" ] || fail "no relation file in the full backup"
printf 'XXXX' | dd of="$f" bs=1 seek=100 conv=notrunc status=none
run 1 verify "$incr" --db "$url"
has "failed verification" err
[ "$(P -d app -c "SELECT status FROM dbcare.backups WHERE label = '$incr'")" = failed ] ||
  fail "the row of a backup that fails verification is not failed"
[ -z "$(ls "$r/tmp")" ] || fail "a failed verify left $(ls "$r/tmp")"
echo "total: $((($(date +%s%N) - start_ns) / 1000000)) ms"
echo "ok: pgBackRest backups verified by pgbackrest verify and a restore test"
