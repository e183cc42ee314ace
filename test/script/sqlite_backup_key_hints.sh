#!/usr/bin/env bash
# A key missing where an encrypted backup is read: the hint names the
# command's option (--encrypt-key-file) and the environment variables the
# module reads, whatever reads it: an incremental backup over an encrypted
# base (which needs the base's key even to be written unencrypted: said),
# a restore, a verify, and the SQL function without a key.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
cd "$work"
mkdir n2
head -c 32 /dev/urandom >backup.key; chmod 600 backup.key
db="$work/shop.db"
sqlite3 "$db" "PRAGMA journal_mode = wal; CREATE TABLE t (x); INSERT INTO t VALUES (1)" >/dev/null
dbc() { "$cli" "$@" --db sqlite:shop.db --module "$module"; }
dbc backup n2/base.db --encrypt-key-file backup.key >"$work/out" 2>&1 || fail "sealed base: $(cat "$work/out")"
sqlite3 "$db" "INSERT INTO t VALUES (2)"
hint_ok() { # LABEL OUTPUT
  grep -q -- "--encrypt-key-file FILE with the dbcare command" <<<"$2" || fail "$1: no option in the hint: $2"
  grep -q "DBCARE_BACKUP_KEY_FILE" <<<"$2" && grep -q "DBCARE_BACKUP_KEY " <<<"$2" ||
    fail "$1: no environment variable in the hint: $2"
}
out=$(dbc backup n2/mon.db --incremental 2>&1) && fail "an incremental over an encrypted base without its key: $out"
grep -q "builds on .*base.db: it is encrypted and no key was given" <<<"$out" || fail "incremental: $out"
hint_ok incremental "$out"
grep -q "needs the base's key even when it is not encrypted itself" <<<"$out" || fail "incremental: $out"
[ ! -e n2/mon.db ] || fail "a refused incremental left a file"
out=$(dbc restore n2/base.db 2>&1) && fail "a restore of an encrypted backup without its key: $out"
hint_ok restore "$out"
out=$(dbc verify n2/base.db 2>&1) && fail "a verify of an encrypted backup without its key: $out"
hint_ok verify "$out"
out=$(q "SELECT dbbackup_create('$work/n2/sql.db', 'incremental')" 2>&1) && fail "SQL incremental without a key: $out"
hint_ok "SQL incremental" "$out"
out=$(q "SELECT dbbackup_create('$work/n2/enc.db', 'full+encrypt')" 2>&1) && fail "+encrypt without a key: $out"
hint_ok "SQL +encrypt" "$out"
# the hint's claims hold: the key in the environment alone gives a plain
# incremental; --encrypt-key-file gives an encrypted one
DBCARE_BACKUP_KEY_FILE="$work/backup.key" dbc backup n2/mon.db --incremental --format json >"$work/out" 2>&1 ||
  fail "incremental with the key in the environment: $(cat "$work/out")"
grep -q '"encrypted":true' "$work/out" && fail "the environment's key encrypted the incremental: $(cat "$work/out")"
sqlite3 "$db" "INSERT INTO t VALUES (3)"
dbc backup n2/tue.db --incremental --encrypt-key-file backup.key --format json >"$work/out" 2>&1 ||
  fail "incremental with --encrypt-key-file: $(cat "$work/out")"
grep -q '"encrypted":true' "$work/out" || fail "--encrypt-key-file did not encrypt the incremental: $(cat "$work/out")"
echo "ok"
