#!/usr/bin/env bash
# Retention in the bucket (issue 69): `dbcare backups prune --keep N
# --copy-to s3://BUCKET/PREFIX` deletes in the bucket the copies of the
# backups the catalog's rule deletes, and only those, against s3rver (an
# S3 emulator installed from npm at test time, on loopback, checking each
# request's Signature V4). Five backups uploaded: f1, i1 (incremental on
# f1), f2, i2 (incremental on f2), f3. --keep 2 keeps f3 and i2, and f2,
# the base i2 needs; f1 and i1 go. The dry run lists the objects it would
# delete and deletes nothing, locally or in the bucket; --apply deletes
# them in the bucket first, then the local files and rows, the copies'
# rows with them (verify --all-backups then passes). With the
# database and the local files gone, i2 restores from the bucket alone
# (its chain intact), every row as it was. A store that refuses the
# deletes (stopped) leaves every local file and row, so the next run
# finds the same backups. The secret is printed nowhere. With backup.dir
# the bucket's URL, an incremental whose local base is gone or changed
# fetches it back, checked, and the chain restores from the bucket.
set -euo pipefail
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/s3.sh"
. "$(dirname "$0")/lib/cli.sh"

s3_start shop
secret=$s3_secret
cd "$work"
mkdir b
db="$work/app.db"
sqlite3 "$db" "PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
  INSERT INTO t (v) SELECT 'row ' || value FROM generate_series(1, 500)" >/dev/null
dest=s3://shop/app
n=0
for spec in f1 i1 f2 i2 f3; do
  n=$((n + 1))
  sqlite3 "$db" "INSERT INTO t (v) VALUES ('after $spec')"
  case $spec in i*) inc=--incremental ;; *) inc= ;; esac
  run 0 backup "b/$spec.db" $inc --copy-to "$dest" --db "sqlite:$db"
  [ "$spec" = i2 ] && want=$(sqlite3 "$db" "SELECT count(*), group_concat(v) FROM t")
done
objects() { s3_objects | grep -E '^app/[fi][0-9]\.db$' | tr '\n' ' '; }
[ "$(objects)" = "app/f1.db app/f2.db app/f3.db app/i1.db app/i2.db " ] ||
  fail "the bucket holds [$(objects)] before the prune"

# the dry run: what would go, nothing gone
run 0 backups prune --keep 2 --copy-to "$dest" --db "sqlite:$db"
has "would delete $dest/f1.db" out
has "would delete $dest/i1.db" out
grep -qE "would delete $dest/(f2|f3|i2)\.db" "$work/out" && fail "the dry run would delete a kept backup"
[ "$(objects)" = "app/f1.db app/f2.db app/f3.db app/i1.db app/i2.db " ] ||
  fail "the dry run deleted in the bucket: [$(objects)]"
[ -e b/f1.db ] || fail "the dry run deleted a local file"

# a store that does not answer: nothing deleted anywhere
s3_stop
run 1 backups prune --keep 2 --copy-to "$dest" --apply --db "sqlite:$db"
has "backups prune deleted nothing in this database" err
[ -e b/f1.db ] && [ -e b/i1.db ] || { ls -la b; cat "$work/out" "$work/err"; fail "a prune whose store failed deleted local files"; }
# (5 backups' rows, and their copies' in the bucket, kind file_copy)
[ "$(sqlite3 "$db" "SELECT group_concat(kind || ':' || n) FROM
  (SELECT kind, count(*) AS n FROM dbcare_backups GROUP BY kind ORDER BY kind)")" = "file:5,file_copy:5" ] ||
  fail "a prune whose store failed deleted catalog rows"
s3_start shop

# --apply: the bucket loses f1 and i1; f2 stays, the base i2 needs
run 0 backups prune --keep 2 --copy-to "$dest" --apply --db "sqlite:$db"
has "deleted $dest/i1.db" err
has "deleted $dest/f1.db" err
[ "$(objects)" = "app/f2.db app/f3.db app/i2.db " ] ||
  fail "the bucket holds [$(objects)] after --keep 2: want f2 (i2's base), f3, i2"
[ ! -e b/f1.db ] && [ ! -e b/i1.db ] && [ -e b/f2.db ] || fail "the local prune differs: $(ls b)"
# the pruned copies' rows went with their objects, the kept copies' stay,
# and every row left verifies (a copy's from the bucket)
rows=$(sqlite3 "$db" "SELECT group_concat(kind || ':' || replace(path, '$work/', ''), ' ') FROM
  (SELECT kind, path FROM dbcare_backups ORDER BY kind, path)")
[ "$rows" = "file:b/f2.db file:b/f3.db file:b/i2.db file_copy:$dest/f2.db file_copy:$dest/f3.db file_copy:$dest/i2.db" ] ||
  fail "the catalog after --keep 2 holds [$rows]"
run 0 verify --all-backups --db "sqlite:$db"
[ "$(grep -c '^verified ' out)" = 6 ] || { cat out err; fail "verify --all-backups after the prune"; }

# the host is gone: i2 restores from the bucket alone, its chain whole
rm -rf app.db app.db-wal app.db-shm b
run 0 restore "$dest/i2.db" --db "sqlite:$work/restored.db"
[ "$(sqlite3 "$work/restored.db" "SELECT count(*), group_concat(v) FROM t")" = "$want" ] ||
  fail "i2 restored from the pruned bucket differs"

# backup.dir a bucket's URL: `dbcare backup` without PATH makes the backup
# in the working directory and uploads it there, as --copy-to would, and
# `backups prune` prunes there without --copy-to. A credential in the
# value is refused, named by the setting, and never repeated or stored.
auto="$work/auto.db"
mkdir here
sqlite3 "$auto" "PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
  INSERT INTO t (v) VALUES ('a')" >/dev/null
for bad in "s3://AKIDEXAMPLE:$secret@shop/auto" "azure://shop/auto?sv=2021-08-06&sig=$secret"; do
  run 1 config set backup.dir "$bad" --db "sqlite:$auto"
  has 'setting "backup.dir" must not hold a credential' err
  has "AWS_ACCESS_KEY_ID" err
done
run 0 config get backup.dir --db "sqlite:$auto"
[ -z "$(cat out)" ] || fail "a URL with a credential was stored: $(cat out)"
run 0 config set backup.dir s3://shop/auto --db "sqlite:$auto"
cd here
for step in full1 full2 incremental; do
  sqlite3 "$auto" "INSERT INTO t (v) VALUES ('$step')"
  case $step in incremental) inc=--incremental ;; *) inc= ;; esac
  run 0 backup $inc --db "sqlite:$auto"
  has "uploaded $work/here/auto-" err
  sleep 0.01 # each its own millisecond in the name
done
cd "$work"
autos() { s3_objects | grep -E '^auto/auto-[0-9T]+Z\.db$' | tr '\n' ' '; }
first=$(ls here | head -1)
[ "$(autos | wc -w)" = 3 ] || fail "the bucket holds [$(autos)] under backup.dir's prefix: want 3"
want=$(sqlite3 "$auto" "SELECT count(*), group_concat(v) FROM t")
run 0 backups prune --keep 1 --apply --db "sqlite:$auto"
has "deleted s3://shop/auto/$first" err
[ "$(autos | wc -w)" = 2 ] || fail "backups prune with backup.dir a URL left [$(autos)]: want the chain"
# a fleet in one worker: the store is auto.db's alone, plain.db's backup
# stays in its own folder
mkdir plainb
sqlite3 plain.db "CREATE TABLE t (id INTEGER PRIMARY KEY)"
run 0 config set backup.dir "$work/plainb" --db sqlite:plain.db
(cd here && run 0 backup --jobs 1 --db "sqlite:$auto" --db "sqlite:$work/plain.db")
ls plainb | grep -q '^plain-' || fail "plain.db's backup is not in its backup.dir"
! s3_objects | grep -q 'plain-' || fail "plain.db's backup went to auto.db's store: $(s3_objects)"
# the chain goes on from the bucket: the local backups gone (the working
# folder removed), an incremental to backup.dir fetches its base back
# (the fleet's full backup), held to its row's SHA-256, into its path; a
# local base whose bytes changed is fetched again; a base the bucket has
# no copy of (made with a PATH: local only) is refused, nothing made
base=$(ls here | tail -1)
rm -rf here
mkdir elsewhere && cd elsewhere
sqlite3 "$auto" "INSERT INTO t (v) VALUES ('host gone')"
run 0 backup --incremental --db "sqlite:$auto"
has "fetched the base backup s3://shop/auto/$base into $work/here/$base (SHA-256 checked)" err
newest_is_incremental() { [ "$(sqlite3 "$auto" "SELECT base_id IS NOT NULL FROM dbcare_backups
  WHERE kind = 'file' ORDER BY id DESC LIMIT 1")" = 1 ]; }
newest_is_incremental || fail "not an incremental on the fetched base: $(cat out)"
cmp -s "$work/here/$base" "$work/s3/shop/auto/$base._S3rver_object" || fail "the fetched base differs"
inc=$(ls)
printf x >>"$inc"
sqlite3 "$auto" "INSERT INTO t (v) VALUES ('base changed')"
run 0 backup --incremental --db "sqlite:$auto"
has "the base backup $work/elsewhere/$inc its content differs" err
has "fetched the base backup s3://shop/auto/$inc into $work/elsewhere/$inc (SHA-256 checked)" err
newest_is_incremental || fail "not an incremental on the fetched-again base"
want=$(sqlite3 "$auto" "SELECT count(*), group_concat(v) FROM t")
run 0 backup "$work/local-only.db" --db "sqlite:$auto"
rm "$work/local-only.db"
run 1 backup --incremental --db "sqlite:$auto"
has "the base of this incremental backup, $work/local-only.db, is gone, and s3://shop/auto holds no copy of it" err
cd "$work"
[ "$(ls elsewhere | wc -l)" = 2 ] || fail "a refused incremental left a file: $(ls elsewhere)"
rm -rf here elsewhere auto.db auto.db-wal auto.db-shm
run 0 restore "s3://shop/auto/$(s3_objects | grep -E '^auto/auto-' | tail -1 | cut -d/ -f2)" \
  --db "sqlite:$work/auto-restored.db"
[ "$(sqlite3 "$work/auto-restored.db" "SELECT count(*), group_concat(v) FROM t")" = "$want" ] ||
  fail "the incremental uploaded to backup.dir's bucket restored other rows"

# backup.stage_dir: the module does no network I/O, so the backups SQL
# makes with backup.dir a URL (dbbackup_create() without a path,
# dbbackup_mark(), migrate.backup_before) are refused without that folder, naming the remedy,
# and wait in it, verified and catalogued, with it; `dbcare backup
# --ship` uploads them oldest first (a chain's base before its increment),
# each recorded once whole in the store, and ships nothing twice; a
# store that fails leaves them waiting; `dbcare backup` without PATH makes
# its own there too (nothing in the working directory), the waiting ones
# shipped first; the chain restores from the bucket alone
# A database for staging, NAME.db with one row, backup.dir the bucket's
# prefix NAME and FOLDER made (empty) for its stage: st names the database
staging_db() { # NAME FOLDER
  st="$work/$1.db"
  mkdir "$2"
  sqlite3 "$st" "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('a')"
  run 0 config set backup.dir "s3://shop/$1" --db "sqlite:$st"
}
staging_db staged stage
# waiting NUMBER: the staged backups' metric of st is NUMBER, the oldest's
# age 0 when none waits and seconds of this run otherwise; absent: left out
waiting() {
  local m count age
  m=$(db=$st q "SELECT dbhealth_metrics()")
  count=$(echo "$m" | sed -n 's/^dbcare_backups_waiting{engine="sqlite",database="[^"]*"} //p')
  age=$(echo "$m" | sed -n 's/^dbcare_backups_waiting_oldest_seconds{[^}]*} //p')
  if [ "$1" = absent ]; then
    [ -z "$count$age" ] || fail "staging off, yet the metrics count waiting backups: $count $age"
    return
  fi
  [ "$count" = "$1" ] || fail "dbcare_backups_waiting is [$count], want $1"
  awk -v n="$1" -v a="$age" 'BEGIN { exit !(n == 0 ? a == 0 : a > 0 && a < 600) }' ||
    fail "dbcare_backups_waiting_oldest_seconds is [$age] with $1 waiting"
  command -v promtool >/dev/null || fail "no promtool to check the metrics with"
  ! echo "$m" | promtool check metrics 2>&1 | grep backups_waiting || fail "promtool on the waiting metrics"
}
waiting absent
refused=$(db=$st q "SELECT dbbackup_create()" 2>&1) && fail "dbbackup_create without backup.stage_dir: $refused"
echo "$refused" | grep -q "backup.stage_dir names no local folder to stage this backup in" ||
  fail "the refusal names no remedy: $refused"
run 0 config set backup.stage_dir "$work/stage/" --db "sqlite:$st"
db=$st q "SELECT dbbackup_create()" >/dev/null
db=$st q "INSERT INTO t (v) VALUES ('b')" "SELECT dbbackup_mark('before b2')" >/dev/null
db=$st q "SELECT dbcare_set('migrate.backup_before', 'on')" \
  "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE one (a)', 'DROP TABLE one')" \
  "SELECT dbmigrate_apply()" >/dev/null
staged() { s3_objects | grep -cE '^staged/staged-[0-9T]+Z\.db$' || true; }
[ "$(staged)" = 0 ] || fail "a SQL call uploaded: $(s3_objects)"
[ "$(ls stage | wc -l)" = 3 ] || fail "stage holds [$(ls stage)]: want the full, the mark's, the migration's"
run 0 config set backup.dir s3://nobucket/staged --db "sqlite:$st"
run 1 backup --ship --db "sqlite:$st"
has "shipped 0 of the 3 backups waiting in $work/stage to s3://nobucket/staged" err
run 0 config set backup.dir s3://shop/staged --db "sqlite:$st"
run 0 backup --ship --db "sqlite:$st"
has "shipped 3 of the 3 backups waiting in $work/stage to s3://shop/staged" err
[ "$(staged)" = 3 ] || fail "--ship left the bucket with [$(s3_objects)]"
run 0 backup --ship --db "sqlite:$st"
has "no backup waits in $work/stage for s3://shop/staged" err
db=$st q "INSERT INTO t (v) VALUES ('c')" "SELECT dbbackup_create(NULL, 'incremental')" >/dev/null
mkdir cron && cd cron
db=$st q "INSERT INTO t (v) VALUES ('d')"
run 0 backup --incremental --db "sqlite:$st"
has "shipped 1 of the 1 backups waiting in $work/stage" err
has "the backup is made in backup.stage_dir as $work/stage/staged-" err
cd "$work"
[ -z "$(ls cron)" ] || fail "dbcare backup wrote into its working directory: $(ls cron)"
[ "$(staged)" = 5 ] || fail "the bucket holds [$(s3_objects)]: want 5 staged backups"
[ "$(sqlite3 "$st" "SELECT count(*) FROM dbcare_backups WHERE kind = 'file_copy'")" = 5 ] ||
  fail "the copies' rows: $(sqlite3 "$st" "SELECT kind, path FROM dbcare_backups")"
want=$(sqlite3 "$st" "SELECT count(*), group_concat(v) FROM t")
! grep -rqa -- "$secret" "$st" stage out err || fail "the secret is in the catalog, a file or the output"
newest=$(s3_objects | grep -E '^staged/staged-' | sort | tail -1 | cut -d/ -f2)
rm -rf stage cron staged.db staged.db-wal staged.db-shm
run 0 restore "s3://shop/staged/$newest" --db "sqlite:$work/staged-restored.db"
[ "$(sqlite3 "$work/staged-restored.db" "SELECT count(*), group_concat(v) FROM t")" = "$want" ] ||
  fail "the staged chain restored from the bucket differs"

# backup.stage_dir is a local folder of its own: '/' and a store's URL
# are refused, naming the setting and the remedy (--ship once compared a
# prefix '//' there and found nothing); spelt with trailing slashes it is
# the same folder. A staged backup not yet shipped is the only copy: the
# prune keeps it and says so, the backups check names it once it has
# waited past max_ship_wait, with the remedy, and the metrics count it
# (dbcare_backups_waiting, absent while staging is off); --ship then
# uploads it, its row with the backup's own duration
staging_db slashes slashes
for bad in / s3://shop/stage; do
  run 1 config set backup.stage_dir "$bad" --db "sqlite:$st"
  has "invalid value \"$bad\" for setting \"backup.stage_dir\"" err
  has "Give backup.stage_dir a local folder of its own" err
done
run 0 config set backup.stage_dir "$work/slashes//" --db "sqlite:$st"
run 0 config set health.backups.max_ship_wait 0 --db "sqlite:$st"
db=$st q "SELECT dbbackup_create()" "SELECT dbbackup_create('$work/slashes-local.db')" >/dev/null
run 0 health --format json --db "sqlite:$st"
has "1 backup waits in backup.stage_dir for the store, the oldest $work/slashes/slashes-" out
has "run dbcare backup --ship" out
waiting 1
run 0 backups prune --keep 1 --apply --db "sqlite:$st"
has "kept $work/slashes/slashes-" err
has "waits in backup.stage_dir for its upload (dbcare backup --ship)" err
[ "$(ls slashes | wc -l)" = 1 ] || fail "the prune deleted a backup not yet shipped: [$(ls slashes)]"
run 0 backup --ship --db "sqlite:$st"
has "shipped 1 of the 1 backups waiting in $work/slashes" err
[ "$(s3_objects | grep -c '^slashes/slashes-')" = 1 ] || fail "--ship left the bucket with [$(s3_objects)]"
[ "$(sqlite3 "$st" "SELECT count(*) FROM dbcare_backups c JOIN dbcare_backups b
  ON b.kind = 'file' AND c.path LIKE '%/' || substr(b.path, length('$work/slashes/') + 1)
  WHERE c.kind = 'file_copy' AND c.duration_ms = round(b.duration_ms) AND c.duration_ms > 0")" = 1 ] ||
  fail "the shipped copy's row lacks its backup's duration: $(sqlite3 "$st" "SELECT kind, path, duration_ms FROM dbcare_backups")"
run 0 health --format json --db "sqlite:$st"
grep -qF "waits in backup.stage_dir" out && fail "a shipped backup is still named as waiting"
waiting 0
# a waiting incremental keeps its base through the prune, the base shipped
# or not: without the base it restores nothing
db=$st q "SELECT dbbackup_create(NULL, 'incremental')" "SELECT dbbackup_create('$work/slashes-local2.db')" >/dev/null
base=$(sqlite3 "$st" "SELECT b.path FROM dbcare_backups i JOIN dbcare_backups b ON b.id = i.base_id
  WHERE i.path LIKE '$work/slashes/%' AND i.kind = 'file' ORDER BY i.id DESC LIMIT 1")
[ -n "$base" ] || fail "no staged incremental: $(sqlite3 "$st" "SELECT id, kind, path, base_id FROM dbcare_backups")"
run 0 backups prune --keep 1 --apply --db "sqlite:$st"
[ -e "$base" ] && [ "$(sqlite3 "$st" "SELECT count(*) FROM dbcare_backups WHERE path = '$base'")" = 1 ] ||
  fail "the prune deleted $base, the base of a waiting incremental"
echo "backups prune --copy-to: f1 and i1 deleted in the bucket, f2 kept for i2, which restores;"
echo "backup.dir s3://...: backups uploaded and pruned there, a gone base fetched back, the chain restores;"
echo "backup.stage_dir: SQL's backups wait there, shipped once whole by --ship or the next backup;"
echo "a waiting backup is kept by the prune, named by health and counted by the metrics until shipped"
