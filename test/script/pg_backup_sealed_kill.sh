#!/usr/bin/env bash
# Kill tier for sealed pg_dump backups (docs/testing.md, "Kill tier"):
# rounds SIGKILL a `dbcare backup --compress zstd --encrypt-key-file` and a
# `dbcare verify` of the last recorded sealed dump at a random 5-95 % of
# an uninterrupted run's time, until DBC_KILLS of each (default 2 in the
# suite; the long tier runs 20 or more) landed while the command ran. A
# kill that comes after the end shortens the next delay and the rounds go
# on, up to three times DBC_KILLS: a first run timed under a load that
# then passed cannot leave the test short of kills.
# After each kill: a recorded dump verifies (a sealed file is named only
# once read back, recorded only once named); a file under a name without
# its row is never recorded later by anything; a killed verify leaves the
# row verified or as it was (never failed), and the next verify passes;
# and no plain dump is left on disk by either: the plain dump and the
# opened copy live only in files without a name, so nothing is left in
# the command's TMPDIR, no ".plain-" file beside the dumps, and no
# temporary file at all (the sealed dump has no name until it is
# published).
set -eu
db=dbcare_backup_sealed_kill
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
rounds=${DBC_KILLS:-2}
fresh_db
q -c "CREATE TABLE big (id bigint PRIMARY KEY, note text);
      INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 100000) g"
head -c 32 /dev/urandom >key; chmod 600 key
tmpd="$work/cli-tmp"; mkdir "$tmpd"
export TMPDIR="$tmpd"
no_plain_beside() {
  for f in "$work"/*; do
    case "$f" in
      *.plain-*) fail "$1: a plain dump was left: $f" ;;
      *.tmp-*) fail "$1: a temporary file was left: $f" ;;
    esac
  done
}
# nothing at all in TMPDIR once a command has run after a kill (a killed
# verify's lists of the dump's table of contents, dbcare-toc-*, are
# deleted by the next verify), nor a plain dump beside the dumps
no_plain() {
  [ -z "$(ls -A "$tmpd")" ] || fail "$1: left in TMPDIR: $(ls -la "$tmpd")"
  no_plain_beside "$1"
}
# how long an uninterrupted backup and verify take here: each kill comes
# at a random 5-95 % of it (a fixed delay can land after the end)
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
delay() { local d=$(($1 * (RANDOM % 91 + 5) / 100)); echo "$((d / 1000)).$(printf '%03d' $((d % 1000)))"; }
s0=$(date +%s%N)
run 0 backup base.dump --compress zstd --encrypt-key-file key --db "$url"
backup_ms=$(ms_since "$s0")
s0=$(date +%s%N)
run 0 verify base.dump --encrypt-key-file key --db "$url"
verify_ms=$(ms_since "$s0")
last=base.dump backup_kills=0 verify_kills=0 recorded=1 i=0
while [ "$backup_kills" -lt "$rounds" ] || [ "$verify_kills" -lt "$rounds" ]; do
  i=$((i + 1))
  [ "$i" -le $((rounds * 3)) ] ||
    fail "only $backup_kills backup and $verify_kills verify kills of $rounds landed in $((i - 1)) rounds"
  q -c "UPDATE big SET note = 'round $i' WHERE id % 50 = $i" >/dev/null
  "$cli" backup "r$i.dump" --compress zstd --encrypt-key-file key --db "$url" >/dev/null 2>&1 &
  pid=$!
  sleep "$(delay "$backup_ms")"
  # a kill after the end: the machine got faster, the next comes sooner
  kill -9 "$pid" 2>/dev/null && backup_kills=$((backup_kills + 1)) || backup_ms=$((backup_ms * 2 / 3))
  wait "$pid" 2>/dev/null || true
  no_plain "round $i, a killed backup"
  rows=$(q -c "SELECT count(*) FROM dbcare.backups WHERE path = '$work/r$i.dump'")
  if [ "$rows" = 1 ]; then
    [ -f "r$i.dump" ] || fail "round $i: a row names r$i.dump, which is not there"
    run 0 verify "r$i.dump" --encrypt-key-file key --db "$url"
    last="r$i.dump" recorded=$((recorded + 1))
  fi
  # a verify killed: the row is verified or as it was, never failed
  "$cli" verify "$last" --encrypt-key-file key --db "$url" >/dev/null 2>&1 &
  pid=$!
  sleep "$(delay "$verify_ms")"
  kill -9 "$pid" 2>/dev/null && verify_kills=$((verify_kills + 1)) || verify_ms=$((verify_ms * 2 / 3))
  wait "$pid" 2>/dev/null || true
  no_plain_beside "round $i, a killed verify"
  [ "$(q -c "SELECT status FROM dbcare.backups WHERE path = '$work/$last'")" = verified ] ||
    fail "round $i: a killed verify changed the row of $last"
  run 0 verify "$last" --encrypt-key-file key --db "$url"
  no_plain "round $i, the verify after a killed one"
  # what a killed verify left: its scratch database and opened copy
  q -c "SELECT datname FROM pg_database WHERE datname LIKE 'dbcare_verify_%'" | while read -r d; do
    "$B/psql" -X -q -d postgres -c "DROP DATABASE \"$d\" WITH (FORCE)" >/dev/null; done
done
# a verify killed while pg_restore lists the dump's table of contents (a
# stand-in pg_restore that hangs there): its dbcare-toc-* directory is
# left, and the next verify deletes it
mkdir shim
printf '#!/bin/sh\ncase " $* " in *" --list "*) echo $$ >"%s/shim.pid"; exec sleep 60 ;; esac\nexec "%s/pg_restore" "$@"\n' \
  "$work" "$B" >shim/pg_restore
chmod +x shim/pg_restore
PATH="$work/shim:$PATH" "$cli" verify "$last" --encrypt-key-file key --db "$url" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 500); do [ -s shim.pid ] && break; sleep 0.02; done
[ -s shim.pid ] || fail "the stand-in pg_restore was not called"
kill -9 "$pid" "$(cat shim.pid)"
wait "$pid" 2>/dev/null || true
ls -A "$tmpd" | grep -q '^dbcare-toc-' || fail "the killed verify left no lists (the test shows nothing): $(ls -A "$tmpd")"
run 0 verify "$last" --encrypt-key-file key --db "$url"
no_plain "the verify after one killed in pg_restore --list"
q -c "SELECT datname FROM pg_database WHERE datname LIKE 'dbcare_verify_%'" | while read -r d; do
  "$B/psql" -X -q -d postgres -c "DROP DATABASE \"$d\" WITH (FORCE)" >/dev/null; done

echo "ok: $i rounds, $backup_kills backup and $verify_kills verify kills (backup $backup_ms ms, verify $verify_ms ms uninterrupted), $recorded sealed dumps recorded and verified"
