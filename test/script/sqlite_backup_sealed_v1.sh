#!/usr/bin/env bash
# A backup sealed by dbcare 0.3.9 (format 1: AES-256-GCM, before the
# container moved to libsodium's secretstream) still verifies and restores:
# test/fixtures/container/orders-v1.db is `dbcare backup --compress zstd
# --encrypt-key-file` of a database of 200 orders, made by 0.3.9 with the
# key below. `dbcare restore` rebuilds it into a new file (the disaster:
# no catalog), every row there; another key is an error naming the file
# and leaves no file; and the same database backed up now is sealed in
# format 2 and restores too.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"

fixture="$root/test/fixtures/container/orders-v1.db"
printf '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n' >"$work/key"
chmod 600 "$work/key"
[ "$(head -c 9 "$fixture" | tail -c 1 | od -An -tu1 | tr -d ' ')" = 1 ] ||
  fail "the fixture is not of format 1 (test premise)"

orders() { sqlite3 "$1" "SELECT count(*), sum(total), max(item) FROM orders"; }
want='200|30150.0|item 99'

"$cli" restore "$fixture" --encrypt-key-file "$work/key" --db "sqlite:$work/new.db" \
  --module "$module" >"$work/out" 2>&1 || fail "restore of the 0.3.9 file: $(cat "$work/out")"
[ "$(orders "$work/new.db")" = "$want" ] || fail "restored rows: $(orders "$work/new.db")"
[ "$(sqlite3 "$work/new.db" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"
echo "the 0.3.9 sealed backup restored: $want"

head -c 32 /dev/urandom >"$work/other"
chmod 600 "$work/other"
if "$cli" restore "$fixture" --encrypt-key-file "$work/other" --db "sqlite:$work/no.db" \
  --module "$module" >"$work/out" 2>&1; then
  fail "another key restored: $(cat "$work/out")"
fi
grep -q "^dbcare: .*orders-v1.db.*another key" "$work/out" || fail "another key: $(cat "$work/out")"
[ ! -e "$work/no.db" ] || fail "a failed restore left $work/no.db"
echo "another key: $(head -n 1 "$work/out")"

# sealed now: format 2, and it restores
db="$work/new.db"
"$cli" backup "$work/orders-v2.db" --compress zstd --encrypt-key-file "$work/key" --db "sqlite:$db" \
  --module "$module" >"$work/out" 2>&1 || fail "backup: $(cat "$work/out")"
[ "$(head -c 9 "$work/orders-v2.db" | tail -c 1 | od -An -tu1 | tr -d ' ')" = 2 ] ||
  fail "a backup made now is not of format 2"
"$cli" restore "$work/orders-v2.db" --encrypt-key-file "$work/key" --db "sqlite:$work/again.db" \
  --module "$module" >"$work/out" 2>&1 || fail "restore of the format 2 file: $(cat "$work/out")"
[ "$(orders "$work/again.db")" = "$want" ] || fail "rows of the format 2 restore"
echo "sealed now in format 2, restored: $want"
