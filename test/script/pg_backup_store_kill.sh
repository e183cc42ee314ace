#!/usr/bin/env bash
# PostgreSQL's kill test of backups that leave the machine, on both stores
# (sqlite_backup_s3_kill.sh and sqlite_backup_azure_kill.sh are SQLite's):
# 20 kill -9 of `dbcare backup --copy-to` of a pg_dump while it uploads, by
# turns to s3rver (a 9 MB dump in two parts of at most 5 MiB, a 1 MB one by
# one PUT) and to azurite (the 9 MB dump in two blocks (8 MiB and the rest)
# and a block list, the 1 MB one by one Put Blob), both from npm, on
# loopback. The dumps are the least that make every kind of request: each
# kill makes its dump again, so their size is the test's time.
#
# Each kill lands on a chosen request of its upload, not after a chosen
# time: the test waits until the store's log shows the upload's Nth request
# (N going round every request a whole upload of that kind makes: the first
# part, a middle one, the one that publishes), stops the store (SIGSTOP) with
# that request in flight, kills the command and lets the store go on. A
# loaded machine moves no kill. Every object under a dump's name is byte for
# byte the dump, every name killed before its publishing request is absent
# and restores nothing (HTTP 404), a published dump restores into a new
# database with every row, and every dump the catalog records verifies.
# No `ps` line taken while the store holds a request shows a credential.
# An object is a catalog row only once whole (a killed upload leaves
# none), and a dump for the store backup.dir names stopped by SIGTERM in
# its upload leaves no row and nothing in TMPDIR.
# dbcare-test-timeout: 600
set -eu
db=dbcare_backup_store_kill
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/s3.sh"
. "$(dirname "$0")/lib/azure.sh"
. "$(dirname "$0")/lib/cli.sh"
# dbcare runs pg_dump and pg_restore from PATH: the suite's own copies of
# them first, not Debian's pg_wrapper before them (a perl interpreter
# started for each run of either, 8 % of the test's CPU)
PATH="$B:$PATH"
small_db=${db}_small restored_db=${db}_restored
drop() { for d in "$@"; do "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1; done; }
trap 's3_stop; azure_stop; drop $small_db $restored_db; cleanup' EXIT
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
small="postgresql://$PGUSER@/$small_db?host=$PGHOST&port=$PGPORT"

fresh_db
s3_start dumps
azure_start dumps
# random text compresses little: a dump of about 9 MB (above one 8 MiB
# block, 611 bytes a row), and one of 1 MB
q -c "CREATE EXTENSION IF NOT EXISTS pgcrypto" -c "CREATE TABLE items (id bigint PRIMARY KEY, body text)" \
  -c "INSERT INTO items SELECT g, encode(gen_random_bytes(600), 'base64') FROM generate_series(1, 15000) g" \
  >/dev/null
drop "$small_db"
"$B/psql" -X -q -d postgres -c "CREATE DATABASE $small_db" >/dev/null
"$B/psql" -X -q -d "$small_db" -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare" >/dev/null
"$B/psql" -X -q -d "$db" -c "COPY (SELECT * FROM items WHERE id <= 1500) TO STDOUT" |
  "$B/psql" -X -q -d "$small_db" -c "CREATE TABLE items (id bigint PRIMARY KEY, body text)" \
    -c "COPY items FROM STDIN" >/dev/null
printf '[default]\ns3 =\n  multipart_chunksize = 5MB\n  multipart_threshold = 5MB\n' >parts.conf
# Azure's blocks above 8 MiB (a test-only bound; Azure's own for one Put
# Blob is 5000 MiB): the 9 MB dump in blocks, the 1 MB one by Put Blob
export DBCARE_TEST_AZURE_PUT_BLOB_MAX=$((8 << 20))
mkdir b

# The four kinds of upload: the store, the database, the S3 settings.
kinds=(s3-parts s3-put azure-blocks azure-put)
declare -A dest=([s3]=s3://dumps/kill [azure]=azure://dumps/kill) log=([s3]=$work/s3rver.log [azure]=$work/azurite.log)
store_of() { echo "${1%%-*}"; }
db_of() { case $1 in *-put) echo "$small" ;; *) echo "$url" ;; esac; }
conf_of() { [ "$1" = s3-parts ] && echo parts.conf || echo /dev/null; }
# the requests the store's log shows under a dump's name
request_re() { echo "^request [A-Z]+ (/$azure_account)?/dumps/kill/$1\\.dump([?]|\$)"; }
requests() { # store name
  grep -cE "$(request_re "$2")" "${log[$1]}" || true
}
# wait_request PID STORE NAME N: until the store's log shows the Nth request
# under the name, or PID is gone. A poll every 5 ms that forks nothing: the
# log is read on from an open descriptor (a partial last line kept for the
# next poll), the pause is a read timing out on a fifo nobody writes (a grep
# and a sleep per poll cost more CPU than the uploads they watch).
mkfifo "$work/never"
exec 8<>"$work/never"
wait_request() {
  local pid=$1 re seen=0 line part=
  re=$(request_re "$3")
  exec 7<"${log[$2]}"
  while kill -0 "$pid" 2>/dev/null; do
    while IFS= read -r line <&7; do
      line=$part$line part=
      if [[ $line =~ $re ]]; then seen=$((seen + 1)); fi
    done
    part+=$line
    [ "$seen" -lt "$4" ] || break
    read -r -t 0.005 -u 8 || true
  done
  exec 7<&-
}
# listed STORE NAME: the store holds the object. Read from each store's list,
# taken once the kills are over (list_stores): nothing writes to the stores
# after them.
list_stores() { s3_list=$(s3_objects); azure_list=$(azure_blobs); }
listed() { # store name
  case $1 in
  s3) grep -qx "kill/$2.dump" <<<"$s3_list" ;;
  azure) grep -qx "kill/$2.dump" <<<"$azure_list" ;;
  esac
}
fetch() { # store name file: the object's bytes
  case $1 in
  s3) cp "$work/s3/dumps/kill/$2.dump._S3rver_object" "$3" ;;
  azure) azure_blob "kill/$2.dump" >"$3" ;;
  esac
}
backup() { # kind name (in the background, the command is the job's own process: exec)
  AWS_CONFIG_FILE=$(conf_of "$1") exec "$cli" backup "b/$2.dump" --copy-to "${dest[$(store_of "$1")]}" \
    --db "$(db_of "$1")"
}

# One whole upload of each kind: the requests it makes, and a dump that
# restores later.
declare -A steps
for kind in "${kinds[@]}"; do
  (backup "$kind" "whole-$kind") >whole.out 2>&1 || { cat whole.out; fail "the whole upload ($kind) failed"; }
  steps[$kind]=$(requests "$(store_of "$kind")" "whole-$kind")
  [ "${steps[$kind]}" -ge 1 ] || fail "the store logged no request of the whole upload ($kind)"
done
[ "$(stat -c %s b/whole-s3-parts.dump)" -gt $((8 << 20)) ] ||
  fail "the big dump has $(stat -c %s b/whole-s3-parts.dump) bytes: want more than one 8 MiB block"
[ "$(stat -c %s b/whole-s3-put.dump)" -lt $((5 << 20)) ] || fail "the small dump is not below 5 MiB (test premise)"
[ "${steps[s3-parts]}" -ge 4 ] && [ "${steps[azure-blocks]}" -ge 3 ] ||
  fail "the big uploads made ${steps[s3-parts]} (S3) and ${steps[azure-blocks]} (Azure) requests: want parts and blocks"
echo "requests of a whole upload: ${steps[*]} (${!steps[*]})"

killed=0 unpublished=0
declare -A kind_of was_killed
for i in $(seq 1 20); do
  kind=${kinds[$((i % 4))]} store=$(store_of "${kinds[$((i % 4))]}")
  kind_of[$i]=$kind
  nth=$(( (i / 4) % ${steps[$kind]} + 1 ))
  backup "$kind" "k$i" >"k$i.out" 2>&1 &
  pid=$!
  wait_request "$pid" "$store" "k$i" "$nth"
  "${store}_pause"
  ps -ww -eo args >>ps.txt # the upload's command line, for the secret's grep
  if kill -9 "$pid" 2>/dev/null; then
    killed=$((killed + 1)) was_killed[$i]=1
    set +e; wait "$pid" 2>/dev/null; set -e
    "${store}_resume"
  else
    "${store}_resume"
    wait "$pid" || { cat "k$i.out"; fail "upload k$i ($kind) failed without a kill"; }
  fi
done
sleep 0.3 # the store ends the request it held at the last kill
list_stores
for i in "${!was_killed[@]}"; do
  listed "$(store_of "${kind_of[$i]}")" "k$i" || unpublished=$((unpublished + 1))
done
echo "killed during the upload: $killed of 20, $unpublished of them before the store published it"
[ "$killed" -ge 15 ] || fail "only $killed of 20 kills landed in an upload (test premise)"
[ "$unpublished" -ge 5 ] || fail "only $unpublished kills landed before the store published (test premise)"

published=0
for i in $(seq 1 20); do
  store=$(store_of "${kind_of[$i]}")
  if listed "$store" "k$i"; then
    published=$((published + 1))
    fetch "$store" "k$i" got.dump
    cmp -s "b/k$i.dump" got.dump || fail "kill/k$i.dump in $store's store is not the whole dump b/k$i.dump"
  fi
done
for store in s3 azure; do
  case $store in s3) echo "$s3_list" ;; azure) echo "$azure_list" ;; esac |
    grep -v -x -E 'kill/(k[0-9]+|whole-(s3|azure)-(parts|put|blocks))\.dump' &&
    fail "$store's store holds an object that is no dump"
done

restored="postgresql://$PGUSER@/$restored_db?host=$PGHOST&port=$PGPORT"
for store in s3 azure; do
  drop "$restored_db"
  run 0 create --db "$restored"
  for i in $(seq 1 20); do
    if [ "$(store_of "${kind_of[$i]}")" = "$store" ] && ! listed "$store" "k$i"; then
      run 1 restore "${dest[$store]}/k$i.dump" --db "$restored"
      has "HTTP 404" err
      break
    fi
  done
  big=$([ "$store" = s3 ] && echo whole-s3-parts || echo whole-azure-blocks)
  run 0 restore "${dest[$store]}/$big.dump" --db "$restored"
  [ "$("$B/psql" -X -At -d "$restored_db" -c "SELECT count(*) FROM items")" = 15000 ] ||
    fail "the dump published to $store did not restore its 15000 rows"
done
# the catalog: an object is a row only once whole in its store (the kill
# of an upload leaves none), and each row of one names an object there
stored_rows() { "$B/psql" -X -q -At -d "$1" -c "SELECT path FROM dbcare.backups WHERE path LIKE '%://%' ORDER BY path"; }
rows=$( (stored_rows "$db"; stored_rows "$small_db") | sort)
for i in $(seq 1 20); do
  store=$(store_of "${kind_of[$i]}")
  if grep -qx "${dest[$store]}/k$i.dump" <<<"$rows"; then
    listed "$store" "k$i" || fail "the catalog records ${dest[$store]}/k$i.dump, which its store does not hold"
  elif [ -z "${was_killed[$i]:-}" ]; then
    fail "the upload k$i, not killed, left no row for its object"
  fi
done
[ "$(grep -c . <<<"$rows")" -ge 4 ] || fail "the whole uploads' objects are not rows: $rows"

# a dump for the store backup.dir names, stopped (SIGTERM) in its upload:
# no row, and nothing left of it in TMPDIR or here
run 0 config set backup.dir s3://dumps/kill --db "$url"
before=$("$B/psql" -X -q -At -d "$db" -c "SELECT count(*) FROM dbcare.backups")
mkdir "$work/tmp"
(TMPDIR="$work/tmp" AWS_CONFIG_FILE=parts.conf exec "$cli" backup --db "$url") >term.out 2>&1 &
pid=$!
wait_request "$pid" s3 "$db-[0-9]+T[0-9]+Z" 2
s3_pause
kill -TERM "$pid" 2>/dev/null || true
set +e; wait "$pid"; rc=$?; set -e
s3_resume
[ "$rc" = 143 ] || { cat term.out; fail "the staged upload stopped by SIGTERM: exit $rc, want 143"; }
grep -q "the backup was interrupted; nothing of it is left" term.out || { cat term.out; fail "the stop was not said"; }
[ -z "$(ls -A "$work/tmp")" ] || fail "the stopped upload left $(ls "$work/tmp") in TMPDIR"
! ls "$work"/"$db"-*.dump 2>/dev/null || fail "the stopped upload left its dump here"
[ "$("$B/psql" -X -q -At -d "$db" -c "SELECT count(*) FROM dbcare.backups")" = "$before" ] ||
  fail "the stopped upload was recorded"

# the objects' verification from the store is the journeys' (it restores
# each again): here the local dumps' rows alone
for d in "$db" "$small_db"; do
  "$B/psql" -X -q -d "$d" -c "DELETE FROM dbcare.backups WHERE path LIKE '%://%'" >/dev/null
done
run 0 verify --all-backups --db "$url"
run 0 verify --all-backups --db "$small"
: "${s3_secret:?}" "${azure_key:?}" "${AWS_ACCESS_KEY_ID:?}" # an empty one would match every line
! grep -qF -e "$s3_secret" -e "$azure_key" ./*.out out err || fail "a store's secret was printed"
grep -q "backup b/k[0-9]*\.dump --copy-to azure://" ps.txt && grep -q "backup b/k[0-9]*\.dump --copy-to s3://" ps.txt ||
  fail "ps showed no upload to each store (test premise)"
! grep -qF -e "$s3_secret" -e "$azure_key" -e "$AWS_ACCESS_KEY_ID" ps.txt || fail "ps shows a store's credential"
# a store's URL as a dump's PATH: the dump is made on this disk first, so
# the error says how to name both (nothing made, nothing uploaded)
run 2 backup s3://dumps/kill/direct.dump --db "$url"
has "dbcare backup direct.dump --copy-to s3://dumps/kill" err
! ls ./*direct* s3:* 2>/dev/null || fail "a dump to a URL as PATH left a file here"
echo "ok: $published of 20 published whole, the others absent"
