# pg_disaster_pitr_store.sh — a journey's body, sourced with STORE set.
# The day the PostgreSQL host is gone, with pgBackRest's repository in an
# object store (STORE: s3 or azure, lib/store.sh, its emulator served over
# HTTPS as pgBackRest requires; an http:// endpoint is refused): the
# cluster's archive_command pushes its WAL into the bucket, with the secret
# in neither the setting nor the server's logs: on S3 from a pgBackRest
# configuration file of the server's user only (mode 0600, written by
# `dbcare backup pgbackrest-conf URL FILE`), the server's environment
# holding no secret; on Azure from the variable the server's environment
# keeps, named in the archive_command, the repository's options printed by
# `dbcare backup pgbackrest-conf URL`;
# `dbcare backup s3://...` (or azure://...) makes the stanza there, takes
# a full backup and records it; `dbcare verify` restores it into a scratch
# cluster from the bucket (its stanza-create meeting pgBackRest's lock
# held, whose error it prints once); three backups killed (kill -9 of
# dbcare and its pgBackRest, of pgBackRest, of its workers) in the middle
# of their uploads, and on S3 one whose store is killed in it (on Azure,
# one whose connections are reset), recorded nowhere;
# writes, a moment noted, more writes; then the
# cluster stopped, its data directory, its configuration and every local
# file of pgBackRest deleted; `dbcare restore --to-time --from URL` on a
# host whose pgBackRest configuration names no repository restores and
# recovers from the bucket alone; a plain `pg_ctl start` (no credentials in
# its environment) serves exactly the rows of that moment. The secret
# appears in no output of dbcare, not in the catalog, not in pgBackRest's
# or the server's logs, not in a `ps` line taken mid-upload. Run by pg_disaster_pitr_s3.sh and
# pg_disaster_pitr_azure.sh.
set -eu
db=dbcare_journey_pitr_$STORE
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/pg.sh"
. "$here/cli.sh"
py=/usr/bin/python3
S3_TLS=1 AZURE_TLS=1
. "$here/store.sh"
store_start pitr
secret=$store_secret # run() fails when an output holds it
dest=$store_scheme://pitr/app
port_of() { sed 's|^https://localhost:\([0-9]*\).*|\1|' <<<"$1"; }
# pgBackRest's own configuration of the repository, for the archiver,
# written by dbcare from the URL and the credentials it reads: printed,
# without a secret; with a FILE named, into it, mode 0600, with the secret
run 0 backup pgbackrest-conf "$dest"
has "the credentials are left out" err
if [ "$STORE" = s3 ]; then
  printf '[global]\nrepo1-path=/app\nrepo1-type=s3\nrepo1-s3-bucket=pitr\nrepo1-s3-region=%s
repo1-s3-endpoint=localhost\nrepo1-storage-port=%s\nrepo1-s3-uri-style=path\nrepo1-storage-ca-file=%s\n' \
    "$AWS_REGION" "$(port_of "$AWS_ENDPOINT_URL")" "$AWS_CA_BUNDLE" | diff - "$work/out" ||
    fail "the repository's options printed differ"
  # the whole repository, key pair included, in a file of the server's
  # user only (pgBackRest's include folder); the server started without
  # the key pair in its environment; the archive_command the plain one
  pgbr_repo_conf() {
    run 0 backup pgbackrest-conf "$dest" "$1/repo.conf"
    [ "$(stat -c %a "$1/repo.conf")" = 600 ] || fail "repo.conf has mode $(stat -c %a "$1/repo.conf")"
    grep -qxF "repo1-s3-key-secret=$AWS_SECRET_ACCESS_KEY" "$1/repo.conf" &&
      grep -qxF "repo1-s3-key=$AWS_ACCESS_KEY_ID" "$1/repo.conf" || fail "repo.conf holds no key pair"
  }
  # dbcare's own file (its first line says so) is replaced keeping its
  # group's read bit; a file not dbcare's (pgBackRest's own configuration)
  # or a link is never replaced
  run 0 backup pgbackrest-conf "$dest" "$work/ours.conf"
  chmod 640 "$work/ours.conf"
  run 0 backup pgbackrest-conf "$dest" "$work/ours.conf"
  [ "$(stat -c %a "$work/ours.conf")" = 640 ] || fail "the rewritten file lost its mode 640"
  head -n 1 "$work/ours.conf" | grep -q '^# written by dbcare backup pgbackrest-conf' ||
    fail "the file does not say it is dbcare's"
  printf '[app]\npg1-path=/x\n' >"$work/theirs.conf"
  run 1 backup pgbackrest-conf "$dest" "$work/theirs.conf"
  has "was not written by dbcare backup pgbackrest-conf" err
  grep -qx 'pg1-path=/x' "$work/theirs.conf" || fail "the user's own file was replaced"
  ln -s ours.conf "$work/link.conf"
  run 1 backup pgbackrest-conf "$dest" "$work/link.conf"
  has "is not a regular file" err
  pgbr_repo=repo1-bundle=y pgbr_include=pgbr_repo_conf
  pgbr_server_env="-u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY"
else
  printf '[global]\nrepo1-path=/app\nrepo1-type=azure\nrepo1-azure-container=pitr\nrepo1-azure-account=%s
repo1-azure-endpoint=localhost\nrepo1-storage-port=%s\nrepo1-azure-uri-style=path\nrepo1-azure-key-type=shared\n' \
    "$azure_account" "$(port_of "$azure_endpoint")" | diff - "$work/out" ||
    fail "the repository's options printed differ"
  pgbr_repo="$(sed 1d "$work/out")
repo1-bundle=y"
  pgbr_archive='PGBACKREST_REPO1_AZURE_KEY="$AZURE_STORAGE_KEY" pgbackrest --stanza=app archive-push %p'
  export AZURE_STORAGE_KEY=$azure_key # the server's environment, as the user keeps it
fi
# the cheapest repository: lz4, small files bundled, 1 MB WAL segments
pgbr_no_stanza=1 pgbr_on_exit=store_stop pgbr_compress=lz4 pgbr_initdb=--wal-segsize=1
. "$here/pgbackrest.sh"

# the secret is in neither the archive_command nor the server's
# configuration; on S3 not in the server's environment either
P -d app -c "SHOW archive_command" | grep -q "archive-push %p" || fail "archive_command: $(P -d app -c "SHOW archive_command")"
! grep -qF "$secret" "$r/data/postgresql.conf" "$r/data/postgresql.auto.conf" <(P -d app -c "SHOW archive_command") ||
  fail "the server's configuration holds the secret"
[ "$STORE" != s3 ] || ! tr '\0' '\n' <"/proc/$(head -1 "$r/data/postmaster.pid")/environ" | grep -qF "$secret" ||
  fail "the server's environment holds the secret"

# --- pgBackRest reaches a store over TLS only: an http:// endpoint is
# refused before anything runs, saying what to set
if [ "$STORE" = s3 ]; then
  AWS_ENDPOINT_URL=${AWS_ENDPOINT_URL/https:/http:} run 1 backup --type full "$dest" --db "$url"
else
  AZURE_STORAGE_CONNECTION_STRING=${AZURE_STORAGE_CONNECTION_STRING//https:/http:} run 1 backup --type full "$dest" --db "$url"
fi
has "over TLS only" err

# --- a full backup into the bucket, recorded, verified by a restore from it;
# its stanza-create meets pgBackRest's archive lock held (as the server's
# failing archive-push holds it, here until pgBackRest's log shows the
# stanza-create refused, not for a time a loaded machine may outlast) and
# tries again until it is free, pgBackRest's error of the lock printed once
P -d app -c "CREATE TABLE orders (id bigint PRIMARY KEY, note text, amount numeric)" \
  -c "INSERT INTO orders SELECT g, md5(g::text), g * 1.5 FROM generate_series(1, 3000) g"
# (the lock taken on the file the path names once locked: an archive-push
# ending unlinks the one it held. The server's archiver, its pushes
# refused meanwhile, sleeps 60 s after three: once the lock is let go it
# is woken by a reload, else the backup's archive check waits for it.)
{
  "${AS_PG[@]}" sh -c "L='$r/lock/app-archive.lock'
  while :; do exec 9>>\"\$L\"; flock 9; [ \"\$(stat -c %i \"\$L\" 2>/dev/null)\" != \"\$(stat -L -c %i /proc/self/fd/9)\" ] || break; done
  touch '$r/held'; i=0
  until grep -qs 'unable to acquire lock' '$r/log/app-stanza-create.log' || [ \$i -ge 600 ]; do sleep 0.05; i=\$((i + 1)); done"
  P -d app -c "SELECT pg_reload_conf()" >/dev/null
} &
holder=$!
while [ ! -e "$r/held" ]; do sleep 0.05; done
run 0 backup --type full "$dest" --db "$url" --json
wait "$holder"
[ "$(grep -c "unable to acquire lock" "$work/err")" = 1 ] || { cat "$work/err"; fail "the lock's error was not printed once"; }
label=$(json "d['backup']['label']")
[ "$(json "d['backup']['path']")" = "pgbackrest:app/$label@$dest" ] || fail "the path names no bucket: $(cat out)"
store_objects | grep -q "^app/backup/app/$label/backup.manifest$" ||
  fail "the backup is not in $store_words: $(store_objects | head)"
run 0 verify "$label" --db "$url"
[ "$(P -d app -c "SELECT status FROM dbcare.backups WHERE label = '$label'")" = verified ] ||
  fail "the backup did not verify from $store_words: $(cat out err)"
! P -d app -c "SELECT * FROM dbcare.backups" | grep -qF "$secret" || fail "the catalog holds the secret"

# --- kills -9 in the middle of backups' uploads, each on a chosen
# request of the upload, not after a chosen time: the store's log read on
# (without a fork per poll) until it shows the Nth upload request of the
# backup, the store stopped (SIGSTOP) with that request in flight, then
# dbcare and its pgBackRest together (their process group, as a lost
# host), pgBackRest's main process alone (dbcare then fails) or its
# workers killed; the store let go on. The killed backups skip
# pgBackRest's archive check (a wait for the WAL archived, before and
# after the copy they never finish). Then, on S3, one upload whose store
# is killed (its connections reset, then refused until pgBackRest gives
# up) and started again; on Azure one whose connections the store resets
# (a network error). After each: dbcare failed, no catalog row added, no
# backup `pgbackrest info` lists (the ones a restore picks from) added
# unless whole; the restore below, to a moment after them all, recovers
# from the newest whole backup.
upload_re="^request (PUT|POST) (/[^/ ]+)?/pitr/app/backup/app/([0-9]{8}-[0-9]{6}F(_[0-9]{8}-[0-9]{6}I)?)/"
steps=$(grep -cE "^request (PUT|POST) (/[^/ ]+)?/pitr/app/backup/app/$label/" "$store_log" || true)
[ "$steps" -ge 3 ] || fail "the whole backup's upload made $steps requests: want its files and manifest"
rows=$(P -d app -c "SELECT count(*) FROM dbcare.backups")
listed() { # the labels of the backups pgBackRest's info lists
  if [ "$STORE" = s3 ]; then "${AS_PG[@]}" pgbackrest --stanza=app --output=json info; else
    PGBACKREST_REPO1_AZURE_KEY=$azure_key "${AS_PG[@]}" pgbackrest --stanza=app --output=json info; fi |
    grep -o '"label":"[^"]*"' | tr '\n' ' '
}
labels=$(listed)
grep -qF "\"label\":\"$label\"" <<<"$labels" || fail "pgBackRest lists no $label: $labels"
mkfifo "$work/never"
exec 8<>"$work/never" 7<"$store_log"
log_part=
# log_drain: the store's log read to its end; wait_upload PID N: until it
# shows the Nth upload request since (0; its backup's label in
# upload_label), or PID is gone first (1). The requests of the backups
# killed before (in killed_labels) are not counted: workers of a killed
# pgBackRest may still finish the file they upload. (Each backup here a
# new label: pgBackRest's resume of a killed one is off, its partial
# backup deleted instead.) Both note in info_written a request writing
# pgBackRest's backup.info, the list its info shows.
info_re="^request (PUT|POST) (/[^/ ]+)?/pitr/app/backup/app/backup\.info"
info_written=
log_drain() {
  local line
  while IFS= read -r line <&7; do
    line=$log_part$line log_part=
    [[ ! $line =~ $info_re ]] || info_written=1
  done
  log_part+=$line
}
killed_labels=" $label "
wait_upload() {
  local seen=0 line rest
  while kill -0 "$1" 2>/dev/null; do
    while IFS= read -r line <&7; do
      line=$log_part$line log_part=
      [[ ! $line =~ $info_re ]] || info_written=1
      if [[ $line =~ $upload_re ]] && [[ $killed_labels != *" ${BASH_REMATCH[3]} "* ]]; then
        seen=$((seen + 1)) upload_label=${BASH_REMATCH[3]}
        rest=${line#*/"$upload_label"/} rest=${rest%%[? ]*}
        [ "$rest" != backup.manifest ] || seen=$2 # its last
      fi
    done
    log_part+=$line
    [ "$seen" -lt "$2" ] || return 0
    read -r -t 0.02 -u 8 || true
  done
  return 1
}
# nothing_kept WHAT [all]: no catalog row added, and no backup pgBackRest
# lists but the ones before and killed ones whose manifest, the last
# object pgBackRest writes, is in the store (whole: a kill at the
# manifest's request may land after it; pgBackRest adds such a backup to
# its info at its next backup, and a restore may pick it). Its info is
# run when the store's log shows backup.info written since it last ran
# (else the list is the one checked then), or with "all".
whole=
nothing_kept() {
  [ "$(P -d app -c "SELECT count(*) FROM dbcare.backups")" = "$rows" ] || fail "$1 was recorded"
  local l name now
  log_drain
  [ -n "$info_written" ] || [ -n "${2:-}" ] || return 0
  info_written= now=$(listed)
  grep -qF "\"label\":\"$label\"" <<<"$now" || fail "after $1 pgBackRest lists no $label: $now"
  for l in $now; do
    [[ "$labels $whole" != *"$l "* ]] || continue
    name=${l#*:\"} name=${name%\"}
    store_objects | grep -qx "app/backup/app/$name/backup.manifest" ||
      fail "after $1 pgBackRest lists $name, which has no manifest"
    whole+="$l "
  done
}
# Three kills a store, each way once (with pg_backup_store_kill.sh's 20
# of pg_dump's uploads and the store's case below, PostgreSQL's backups
# meet more than 20 kills): a full backup's process group in the middle
# of its upload, a full one's workers at its first request (there one of
# them uploads; an incremental's may all be idle, pgBackRest then
# finishing without them) and an incremental's pgBackRest alone at its
# second request (or its manifest).
kills=("full host $(((steps + 1) / 2))" "full worker 1" "incr pgbackrest 2")
i=0
for k in "${kills[@]}"; do
  read -r type mode n <<<"$k"
  i=$((i + 1))
  log_drain
  PGBACKREST_RESUME=n PGBACKREST_ARCHIVE_CHECK=n setsid "$cli" backup --type "$type" "$dest" --db "$url" >"$work/k$i.out" 2>&1 &
  pid=$!
  wait_upload "$pid" "$n" || { cat "$work/k$i.out"; fail "backup k$i ($type) ended before its upload's request $n"; }
  store_pause
  ps -ww -eo args >>"$work/ps.txt" # dbcare's and pgBackRest's command lines, for the grep below
  main=$(pgrep -P "$pid" -x pgbackrest || true)
  case $mode in
  host) kill -9 -- "-$pid" ;;
  pgbackrest) kill -9 "${main:?dbcare runs no pgbackrest}" ;;
  worker) kill -9 $(pgrep -P "${main:?dbcare runs no pgbackrest}" || echo "$main") ;;
  esac
  store_resume
  killed_labels+="$upload_label "
  set +e; wait "$pid" 2>/dev/null; rc=$?; set -e
  [ "$rc" != 0 ] || { cat "$work/k$i.out"; fail "backup k$i ($type, $mode killed at request $n) succeeded"; }
  # dbcare failed: what is left of its pgBackRest (workers orphaned by
  # their main's kill hold pgBackRest's backup lock until they notice)
  # killed as the host's end would, not waited for
  kill -9 -- "-$pid" 2>/dev/null || true
  while ps -o stat= -g "$pid" | grep -qv '^Z'; do sleep 0.02; done # (zombies: init's)
  nothing_kept "backup k$i ($type, $mode killed at request $n)"
done
nothing_kept "the ${#kills[@]} kills" all
echo "${#kills[@]} kills in uploads (a full one: $steps requests), recorded nowhere; whole after the kill: ${whole:-none}"
if [ "$STORE" = s3 ]; then
  # the store killed in the middle of an upload (its connections reset,
  # then refused until pgBackRest gives up: io-timeout 1 s, each of its
  # socket, TLS and HTTP layers retrying within it, about 4 s in all; its
  # failed job not retried, each retry as long again), then started again
  # on a new port (the archiver's configuration follows it)
  log_drain
  PGBACKREST_RESUME=n PGBACKREST_ARCHIVE_CHECK=n PGBACKREST_IO_TIMEOUT=1 PGBACKREST_JOB_RETRY=0 "$cli" backup --type full "$dest" --db "$url" >"$work/failed.out" 2>&1 &
  pid=$!
  wait_upload "$pid" 2 || { cat "$work/failed.out"; fail "the backup to kill the store in ended first"; }
  store_kill
  set +e; wait "$pid"; rc=$?; set -e
  [ "$rc" != 0 ] || { cat "$work/failed.out"; fail "the backup whose store was killed succeeded"; }
  store_start pitr
  # the archiver's file written again for the new port, root's replacing
  # the server's user's with its owner kept
  pgbr_repo_conf "$r/conf.d"
  [ "$(stat -c %U "$r/conf.d/repo.conf")" = "$(stat -c %U "$r/pgbackrest.conf")" ] ||
    fail "repo.conf written again changed its owner"
  nothing_kept "the backup whose store was killed" all
  echo "the store killed in an upload: $(grep -m1 -o 'ERROR: \[[0-9]*\][^:]*' "$work/failed.out" || tail -1 "$work/failed.out")"
else
  # (azurite keeps its blob index in memory between saves: killed, it
  # forgets blobs it acknowledged, the archive's segments among them)
  # a network error in the middle of an upload, the store up: every
  # connection reset. pgBackRest fails (nothing kept) or retries to a whole
  # backup, then recorded and listed; the restore below picks it
  log_drain
  PGBACKREST_RESUME=n "$cli" backup --type full "$dest" --db "$url" --json >"$work/out" 2>"$work/failed.out" &
  pid=$!
  wait_upload "$pid" 2 || { cat "$work/failed.out"; fail "the backup to reset ended first"; }
  azure_reset
  set +e; wait "$pid"; rc=$?; set -e
  if [ "$rc" = 0 ]; then
    again=$(json "d['backup']['label']")
    store_objects | grep -q "^app/backup/app/$again/backup.manifest$" || fail "the retried backup $again is not whole"
    [ "$(P -d app -c "SELECT count(*) FROM dbcare.backups")" = $((rows + 1)) ] && grep -qF "\"label\":\"$again\"" <<<"$(listed)" ||
      fail "the retried backup $again is not recorded and listed"
    echo "connections reset in an upload: retried, whole, recorded: $again"
  else
    nothing_kept "the backup whose connections were reset" all
    echo "connections reset in an upload: failed, recorded nowhere"
  fi
fi
exec 7<&- 8<&-
! grep -qF "$secret" "$work"/k*.out "$work/failed.out" || fail "a killed backup printed the secret"
grep -q "pgbackrest.* backup" "$work/ps.txt" || fail "ps showed no pgBackRest upload (test premise)"
! grep -qF "$secret" "$work/ps.txt" || fail "a ps line of an upload shows the secret"

# --- writes, the moment, more writes (pgBackRest's stop time is whole seconds)
sleep 1.1
P -d app -c "UPDATE orders SET note = 'changed' WHERE id % 7 = 0" \
  -c "INSERT INTO t (id, batch) SELECT g, 'B' FROM generate_series(1001, 2000) g"
sleep 0.3
target=$(P -d app -c "SELECT clock_timestamp()")
sleep 0.3
then=$(P -d app -c "SELECT (SELECT count(*) || md5(string_agg(o::text, ',' ORDER BY id)) FROM orders o) || ' ' || (SELECT count(*) || md5(string_agg(x::text, ',' ORDER BY id)) FROM t x)")
P -d app -c "DELETE FROM orders WHERE id % 11 = 0" \
  -c "INSERT INTO t (id, batch) SELECT g, 'C' FROM generate_series(2001, 2500) g"

# --- the host is gone: the WAL archived, the cluster, its data,
# pgBackRest's configuration and files
pgbr_ship_wal gone
# the archive_command shipped the WAL past the backup into the bucket
store_objects | grep -q "^app/archive/app/[^/]*/${pgbr_shipped:0:16}/$pgbr_shipped-" ||
  fail "the last WAL segment archived, $pgbr_shipped, is not in $store_words"
cp -r "$r/log" "$work/pgbackrest-log"
rm -rf "$r/repo" "$r/spool" "$r/log" "$r/pgbackrest.conf" "$r/conf.d"
unset AZURE_STORAGE_KEY PGBACKREST_CONFIG_INCLUDE_PATH
# the new host's pgBackRest configuration names no repository
mkdir -p "$r/log"
printf '[global]\nlog-path=%s\nlock-path=%s\nlog-level-console=warn\n' "$r/log" "$r/lock" >"$r/new.conf"
[ "$(id -u)" != 0 ] || chown -R postgres: "$r"
export PGBACKREST_CONFIG=$r/new.conf

# --- from the bucket alone, into a new directory, recovered there
run 0 restore --to-time "$target" "$r/restored" --stanza app --from "$dest" --json
[ "$(json "d['recovered']")" = True ] || fail "not recovered: $(cat out)"
[ ! -e "$r/restored/recovery.signal" ] || fail "the copy is still to recover"
[ -z "$(ls "$r/tmp")" ] || fail "the restore left $(ls "$r/tmp")"
"${AS_PG[@]}" env -u AWS_SECRET_ACCESS_KEY -u AZURE_STORAGE_CONNECTION_STRING "$B/pg_ctl" -D "$r/restored" \
  -l "$r/restored.log" -w start >/dev/null || { tail -20 "$r/restored.log"; fail "the restored cluster did not start"; }
[ "$(P -d app -c "SELECT pg_is_in_recovery()")" = f ] || fail "the copy is in recovery"
got=$(P -d app -c "SELECT (SELECT count(*) || md5(string_agg(o::text, ',' ORDER BY id)) FROM orders o) || ' ' || (SELECT count(*) || md5(string_agg(x::text, ',' ORDER BY id)) FROM t x)")
[ "$got" = "$then" ] || fail "as of $target: $then, the copy holds $got"
! grep -rqF "$secret" "$work/pgbackrest-log" "$r/log" "$r/restored/log" "$r/restored.log" "$r/server.log" 2>/dev/null ||
  fail "a log holds the secret"
echo "total: $((($(date +%s%N) - start_ns) / 1000000)) ms"
echo "ok: pgBackRest in $store_words: backed up, verified, restored to $target from it alone"
