#!/usr/bin/env bash
# Compressed and encrypted backups (docs/backups.md, "Compressed and
# encrypted backups"): on a 120,000-row database, full backups compressed,
# encrypted and both, and an incremental chain mixing them, made through
# SQL and through `dbcare backup`, verify and restore (through `dbcare
# restore`) to exactly the source at each backup's moment. A wrong or
# missing key is an error that leaves the catalog row as it was; a byte
# flipped in the header, a chunk's payload, a chunk's tag or the end
# record, and a file cut short, fail verification and restore with the
# database unchanged. A key in SQL text is refused; prune deletes sealed
# copies like plain ones.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
start=$(date +%s)

db="$work/app.db"
sqlite3 "$db" "PRAGMA journal_mode = wal;
  CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL, b BLOB);
  INSERT INTO t (v, b) SELECT 'customer ' || (value % 977) || ' ordered item ' || (value % 31),
                              CASE WHEN value % 10 = 0 THEN randomblob(64) END
    FROM generate_series(1, 120000);
  CREATE TABLE small (k TEXT);" >/dev/null
head -c 32 /dev/urandom >"$work/key"
chmod 600 "$work/key"
head -c 32 /dev/urandom >"$work/other.key"
chmod 600 "$work/other.key"
export DBCARE_BACKUP_KEY_FILE="$work/key"
fingerprint() { sqlite3 "$1" "SELECT hex(sha3_query('SELECT * FROM t ORDER BY id; SELECT * FROM small ORDER BY k'))"; }
copy_db() { sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null; cp "$db" "$1"; }
restore() { # FILE TARGET [options]: dbcare restore, output in $work/out
  local f=$1 t=$2; shift 2
  # the targets are copies of the source, other files: its origin named
  "$cli" restore "$f" --db "sqlite:$t" --module "$module" --allow-origin "$db" "$@" >"$work/out" 2>&1
}
size=$(stat -c %s "$db")

# full backups: each method, through SQL
for m in full+zstd full+encrypt full+zstd+encrypt; do
  out=$(q "SELECT dbbackup_create('$work/$m.db', '$m')")
  echo "$out" | grep -q '"verified":true' || fail "$m: $out"
  head -c 8 "$work/$m.db" | grep -q DBCSEAL1 || fail "$m: no sealed file"
  [ "$(q "SELECT method FROM dbcare_backups WHERE path = '$work/$m.db'")" = "$m" ] || fail "$m: method not recorded"
  [ "$(q "SELECT sha256 FROM dbcare_backups WHERE path = '$work/$m.db'")" = "$(sha256sum "$work/$m.db" | cut -d' ' -f1)" ] ||
    fail "$m: the catalog's SHA-256 is not the file's on disk"
done
want0=$(fingerprint "$db")
zb=$(stat -c %s "$work/full+zstd.db")
echo "zstd: $zb bytes of $size"
[ $(( zb * 3 )) -lt "$size" ] || fail "full+zstd is $zb bytes of $size"
grep -q "customer 1 ordered" "$work/full+encrypt.db" && fail "plain text in an encrypted backup"
grep -q "customer 1 ordered" "$work/full+zstd+encrypt.db" && fail "plain text in an encrypted backup"

# an incremental chain mixing methods, through the command
q "UPDATE t SET v = v || ' (changed)' WHERE id BETWEEN 5000 AND 5200" >/dev/null
"$cli" backup "$work/inc1.db" --incremental --compress zstd --encrypt-key-file "$work/key" \
  --db "sqlite:$db" --module "$module" --json >"$work/out" 2>&1 || fail "inc1: $(cat "$work/out")"
grep -q '"method":"incremental","compression":"zstd","encrypted":true' "$work/out" || fail "inc1: $(cat "$work/out")"
want1=$(fingerprint "$db")
q "INSERT INTO small VALUES ('after inc1'); DELETE FROM t WHERE id = 7" >/dev/null
q "SELECT dbbackup_create('$work/inc2.db', 'incremental')" >/dev/null
want2=$(fingerprint "$db")
q "INSERT INTO small VALUES ('after inc2')" >/dev/null
q "SELECT dbbackup_create('$work/inc3.db', 'incremental+encrypt')" >/dev/null
want3=$(fingerprint "$db")
for f in full+zstd full+encrypt full+zstd+encrypt inc1 inc2 inc3; do
  q "SELECT json_extract(dbbackup_verify('$work/$f.db'), '\$.verified')" | grep -qx 1 || fail "verify $f"
done

# restores: each full one, and each end of the chain, equal the source then
n=0
for pair in "full+zstd:$want0" "full+encrypt:$want0" "full+zstd+encrypt:$want0" "inc1:$want1" "inc2:$want2" "inc3:$want3"; do
  f=${pair%%:*} want=${pair#*:}; n=$((n + 1))
  copy_db "$work/r$n.db"
  restore "$work/$f.db" "$work/r$n.db" --encrypt-key-file "$work/key" || fail "restore $f: $(cat "$work/out")"
  [ "$(fingerprint "$work/r$n.db")" = "$want" ] || fail "restore of $f differs from the source at its moment"
done
ls "$work" | grep -q '\.restore-\|\.tmp-' && fail "scratch files left: $(ls "$work")"

# a wrong or missing key: an error, the row stays verified, nothing restored
for k in other none; do
  if [ $k = none ]; then
    out=$(DBCARE_BACKUP_KEY_FILE= q "SELECT dbbackup_verify('$work/inc3.db')" 2>&1) && fail "verify without a key"
    echo "$out" | grep -q "could not be verified: it is encrypted and no key is set" || fail "no key: $out"
  else
    out=$(DBCARE_BACKUP_KEY_FILE="$work/other.key" q "SELECT dbbackup_verify('$work/full+encrypt.db')" 2>&1) &&
      fail "verify with another key"
    echo "$out" | grep -q "could not be verified: it was encrypted with another key" || fail "wrong key: $out"
  fi
done
[ "$(q "SELECT count(*) FROM dbcare_backups WHERE status <> 'verified'")" = 0 ] || fail "a key problem marked a row"
copy_db "$work/rk.db"
before=$(fingerprint "$work/rk.db")
restore "$work/full+encrypt.db" "$work/rk.db" --encrypt-key-file "$work/other.key" && fail "restore with another key"
grep -q "another key" "$work/out" || fail "restore, wrong key: $(cat "$work/out")"
[ "$(fingerprint "$work/rk.db")" = "$before" ] || fail "a failed restore changed the database"

# a flipped byte in each part: verification and restore fail, the database stays
flip() { # FILE OFFSET
  "$py" - "$1" "$2" <<'PY'
import sys
p, off = sys.argv[1], int(sys.argv[2])
with open(p, "r+b") as f:
    f.seek(off); b = f.read(1); f.seek(off); f.write(bytes([b[0] ^ 0x10]))
PY
}
parts() { # FILE: offsets of header, chunk payload, chunk tag, end record
  "$py" - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
hlen = 52 + struct.unpack_from("<H", d, 48)[0] + 17  # format 2
stored = struct.unpack_from("<I", d, hlen)[0]
print(20, hlen + 9 + stored // 2, hlen + 9 + stored + 3, len(d) - 30)
PY
}
for f in full+zstd+encrypt inc1 full+zstd; do
  for off in $(parts "$work/$f.db"); do
    cp "$work/$f.db" "$work/saved"
    flip "$work/$f.db" "$off"
    out=$(q "SELECT dbbackup_verify('$work/$f.db')" 2>&1) && fail "$f with a byte flipped at $off verified"
    echo "$out" | grep -q "dbcare: backup $work/$f.db failed verification" || fail "$f, flip at $off: $out"
    [ "$(q "SELECT status FROM dbcare_backups WHERE path = '$work/$f.db'")" = failed ] || fail "$f: row not failed"
    # a restore runs the same verification first: tried on one flip a file
    if [ "$off" = 20 ]; then
      restore "$work/$f.db" "$work/rk.db" && fail "$f with a byte flipped at $off restored"
      [ "$(fingerprint "$work/rk.db")" = "$before" ] || fail "a failed restore changed the database"
    fi
    mv "$work/saved" "$work/$f.db"
  done
  q "SELECT json_extract(dbbackup_verify('$work/$f.db'), '\$.verified')" | grep -qx 1 || fail "$f restored byte"
done
# inc3 builds on inc2 on inc1: a flip in inc1 fails inc3 too, naming inc1
cp "$work/inc1.db" "$work/saved"
flip "$work/inc1.db" 100
out=$(q "SELECT dbbackup_verify('$work/inc3.db')" 2>&1) && fail "inc3 over a damaged inc1 verified"
echo "$out" | grep -q "inc1.db" || fail "inc3 over damaged inc1: $out"
mv "$work/saved" "$work/inc1.db"
# cut short
sz=$(stat -c %s "$work/full+encrypt.db")
cp "$work/full+encrypt.db" "$work/cut.db"
truncate -s $(( sz - 100 )) "$work/full+encrypt.db"
out=$(q "SELECT dbbackup_verify('$work/full+encrypt.db')" 2>&1) && fail "a cut file verified"
echo "$out" | grep -q "failed verification" || fail "cut: $out"
mv "$work/cut.db" "$work/full+encrypt.db"

# a key in SQL text is refused
for m in "full+key=00112233" "full+encrypt+00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"; do
  out=$(q "SELECT dbbackup_create('$work/k.db', '$m')" 2>&1) && fail "a key in SQL was taken: $m"
  echo "$out" | grep -q "dbcare: an encryption key is never taken from SQL text" || fail "key in SQL: $out"
done
out=$(DBCARE_BACKUP_KEY_FILE= q "SELECT dbbackup_create('$work/k.db', 'full+encrypt')" 2>&1) && fail "encrypt without a key"
echo "$out" | grep -q "dbcare: no encryption key" || fail "no key: $out"
[ -e "$work/k.db" ] && fail "a failed backup left its file"
# a key file another user may replace is refused, like one every user may read
cp "$work/key" "$work/loose.key"
chmod 620 "$work/loose.key"
out=$(DBCARE_BACKUP_KEY_FILE="$work/loose.key" q "SELECT dbbackup_create('$work/k.db', 'full+encrypt')" 2>&1) &&
  fail "a group-writable key file was taken"
echo "$out" | grep -q "can be replaced by another user" || fail "group-writable key: $out"
if [ "$(id -u)" = 0 ]; then
  chmod 600 "$work/loose.key"; chown nobody "$work/loose.key"
  out=$(DBCARE_BACKUP_KEY_FILE="$work/loose.key" q "SELECT dbbackup_create('$work/k.db', 'full+encrypt')" 2>&1) &&
    fail "another user's key file was taken"
  echo "$out" | grep -q "can be replaced by another user" || fail "another user's key: $out"
fi
[ -e "$work/k.db" ] && fail "a refused key left a file"

# prune deletes sealed backups like plain ones (the newest chain kept)
q "SELECT dbbackup_prune(1, NULL, false)" >/dev/null
for f in full+zstd full+encrypt; do [ -e "$work/$f.db" ] && fail "prune kept $f"; done
for f in full+zstd+encrypt inc1 inc2 inc3; do [ -e "$work/$f.db" ] || fail "prune deleted $f, a link"; done
echo "ok: sealed backups ($(( $(date +%s) - start ))s)"
