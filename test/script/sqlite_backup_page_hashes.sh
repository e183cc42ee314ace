#!/usr/bin/env bash
# The page hashes incremental backups find changed pages by
# (docs/backups.md, "Incremental backups"; core/backup/backup_page_hashes.c): a
# full backup keeps them in version 3 (the tag DBCPH3, a random key of its
# own, then 16 bytes a page), an incremental built on it keeps that key;
# chains whose full backup kept version 2 (the tag DBCPH2: each page's
# SipHash alone) or version 1 (16 bytes of each page's SHA-256, what 0.3.6
# wrote) are continued in their form, writing only the pages that changed,
# and their images verify.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

db="$work/app.db"
sqlite3 "$db" "CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL);
  INSERT INTO t (b) SELECT randomblob(300) FROM generate_series(1, 2000);" >/dev/null
pages=$(q "PRAGMA page_count")

# version 3: tag, key, one hash a page; a key of each full backup's own
q "SELECT dbbackup_create('$work/full1.db')" >/dev/null
q "SELECT dbbackup_create('$work/full2.db')" >/dev/null
form() { q "SELECT hex(substr(page_hashes, 1, 8)), length(page_hashes) FROM dbcare_backups WHERE path LIKE '%/$1'"; }
f1=$(form full1.db)
[ "$f1" = "4442435048330000|$(( 24 + 16 * $(stat -c %s "$work/full1.db") / 4096 ))" ] ||
  fail "full1's page hashes: $f1 ($pages pages)"
key() { q "SELECT hex(substr(page_hashes, 9, 16)) FROM dbcare_backups WHERE path LIKE '%/$1'"; }
[ "$(key full1.db)" != "$(key full2.db)" ] || fail "two full backups with one key"

# an incremental keeps its base's form and key, writes the changed pages
# (the leaf, page 1, the catalog's and the stamp's pages: a handful of 180)
q "UPDATE t SET b = randomblob(300) WHERE id = 1000" >/dev/null
out=$(q "SELECT dbbackup_create('$work/inc1.db', 'incremental')")
[ "$(key inc1.db)" = "$(key full2.db)" ] || fail "the incremental changed the chain's key"
written=$(echo "$out" | sed 's/.*"pages_written":\([0-9]*\).*/\1/')
[ "$written" -ge 1 ] && [ "$written" -le 20 ] || fail "inc1 wrote $written pages: $out"
q "SELECT json_extract(dbbackup_verify('$work/inc1.db'), '$.verified')" | grep -qx 1 ||
  fail "inc1 does not verify"

# version 2: a full backup whose row keeps SipHash page hashes (tag, key,
# each page's SipHash-1-3-128 under the key), computed here by python3
q "SELECT dbbackup_create('$work/full5.db')" >/dev/null
v2=$(python3 - "$work/full5.db" <<'PY'
import sys
def rotl(x, b): return ((x << b) | (x >> (64 - b))) & (2**64 - 1)
def sipround(v):
    v[0] = (v[0] + v[1]) & (2**64 - 1); v[1] = rotl(v[1], 13) ^ v[0]; v[0] = rotl(v[0], 32)
    v[2] = (v[2] + v[3]) & (2**64 - 1); v[3] = rotl(v[3], 16) ^ v[2]
    v[0] = (v[0] + v[3]) & (2**64 - 1); v[3] = rotl(v[3], 21) ^ v[0]
    v[2] = (v[2] + v[1]) & (2**64 - 1); v[1] = rotl(v[1], 17) ^ v[2]; v[2] = rotl(v[2], 32)
def siphash13_128(key, m):
    k0, k1 = int.from_bytes(key[:8], "little"), int.from_bytes(key[8:], "little")
    v = [k0 ^ 0x736f6d6570736575, k1 ^ 0x646f72616e646f6d ^ 0xee,
         k0 ^ 0x6c7967656e657261, k1 ^ 0x7465646279746573]
    tail = len(m) % 8
    words = [int.from_bytes(m[i:i + 8], "little") for i in range(0, len(m) - tail, 8)]
    words.append(int.from_bytes(m[len(m) - tail:], "little") | (len(m) & 255) << 56)
    for w in words:
        v[3] ^= w; sipround(v); v[0] ^= w
    v[2] ^= 0xee
    for _ in range(3): sipround(v)
    a = v[0] ^ v[1] ^ v[2] ^ v[3]
    v[1] ^= 0xdd
    for _ in range(3): sipround(v)
    b = v[0] ^ v[1] ^ v[2] ^ v[3]
    return a.to_bytes(8, "little") + b.to_bytes(8, "little")
key = bytes(range(16))
data = open(sys.argv[1], "rb").read()
out = b"DBCPH2\0\0" + key + b"".join(siphash13_128(key, data[i:i + 4096]) for i in range(0, len(data), 4096))
print(out.hex())
PY
)
q "UPDATE dbcare_backups SET page_hashes = X'$v2' WHERE path LIKE '%/full5.db'" >/dev/null
q "UPDATE t SET b = randomblob(300) WHERE id = 20" >/dev/null
out=$(q "SELECT dbbackup_create('$work/inc5.db', 'incremental')")
written=$(echo "$out" | sed 's/.*"pages_written":\([0-9]*\).*/\1/')
n5=$(( $(stat -c %s "$work/full5.db") / 4096 ))
[ "$written" -ge 1 ] && [ "$written" -le $(( n5 / 4 )) ] || fail "inc5 wrote $written of $n5 pages: $out"
[ "$(form inc5.db | cut -d'|' -f1)" = 4442435048320000 ] && [ "$(key inc5.db)" = 000102030405060708090A0B0C0D0E0F ] ||
  fail "the incremental on a version 2 base left its chain's form or key: $(form inc5.db)"
q "SELECT json_extract(dbbackup_verify('$work/inc5.db'), '$.verified')" | grep -qx 1 ||
  fail "inc5 does not verify"

# version 1: a full backup whose row keeps 0.3.6's page hashes (each
# page's SHA-256, its first 16 bytes), computed here by sha256sum
q "SELECT dbbackup_create('$work/full3.db')" >/dev/null
n=$(( $(stat -c %s "$work/full3.db") / 4096 ))
v1=$(for ((i = 0; i < n; i++)); do
  dd if="$work/full3.db" bs=4096 skip=$i count=1 2>/dev/null | sha256sum | cut -c1-32
done | tr -d '\n')
q "UPDATE dbcare_backups SET page_hashes = X'$v1' WHERE path LIKE '%/full3.db'" >/dev/null
q "UPDATE t SET b = randomblob(300) WHERE id = 10" >/dev/null
out=$(q "SELECT dbbackup_create('$work/inc3.db', 'incremental')")
written=$(echo "$out" | sed 's/.*"pages_written":\([0-9]*\).*/\1/')
# page 1, the changed leaf, and the pages the catalog's rows moved: a
# version 1 base read as anything else would have every page written
[ "$written" -ge 1 ] && [ "$written" -le $(( n / 4 )) ] || fail "inc3 wrote $written of $n pages: $out"
[ $(( $(q "SELECT length(page_hashes) FROM dbcare_backups WHERE path LIKE '%/inc3.db'") % 16 )) = 0 ] ||
  fail "the incremental on a version 1 base left its chain's form"
q "SELECT json_extract(dbbackup_verify('$work/inc3.db'), '$.verified')" | grep -qx 1 ||
  fail "inc3 does not verify"

# a form no dbcare wrote: a clear error, no file
q "UPDATE dbcare_backups SET page_hashes = X'00112233' WHERE path LIKE '%/inc3.db'" >/dev/null
if out=$(q "SELECT dbbackup_create('$work/inc4.db', 'incremental')" 2>&1); then fail "a base with a foreign form"; fi
echo "$out" | grep -q "dbcare: the base backup's page hashes are in a form this dbcare does not read" ||
  fail "foreign form: $out"
[ ! -e "$work/inc4.db" ] || fail "inc4.db exists"
echo "ok: page hashes, versions 1, 2 and 3"
