#!/usr/bin/env bash
# A sealed backup whose header was forged (its origin rewritten by someone
# without the key, so its tag no longer matches) is refused by its tag,
# checked before the origin is compared: neither dbbackup_verify nor the
# command's restore quotes the forged origin (here a distinctive marker
# and a terminal escape) in its error. Before the fix both compared the
# unauthenticated origin first and printed it ("... the sealed backup of
# database <forged text> ...").
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
head -c 32 /dev/urandom >"$work/key"
chmod 600 "$work/key"
export DBCARE_BACKUP_KEY_FILE="$work/key"

db="$work/a.db"
sqlite3 "$db" "CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT); INSERT INTO t (who) VALUES ('alice')"
q "SELECT dbbackup_create('$work/a1.db', 'full+encrypt')" >/dev/null
q "SELECT json_extract(dbbackup_verify('$work/a1.db'), '\$.verified')" | grep -qx 1 || fail "a1 does not verify"

# the forgery: the origin (a u16 length at byte 48, the text from byte 52)
# replaced, the old tag kept (without the key no valid one can be made)
"$py" - "$work/a1.db" <<'EOF'
import struct, sys
path = sys.argv[1]
b = open(path, 'rb').read()
olen = struct.unpack_from('<H', b, 48)[0]
forged = b'id:FORGED-ORIGIN-7f3a \x1b[31mEVIL\x1b[0m\n/FORGED-ORIGIN-7f3a/published'
out = b[:48] + struct.pack('<H', len(forged)) + b[50:52] + forged + b[52 + olen:]
open(path, 'wb').write(out)
EOF

out=$(q "SELECT dbbackup_verify('$work/a1.db')" 2>&1) && fail "a forged header verified: $out"
case "$out" in
  *FORGED-ORIGIN*|*EVIL*) fail "verify quotes the forged origin: $out" ;;
esac
echo "$out" | grep -qF "its header is damaged (its tag does not match)" || fail "verify: not refused by its tag: $out"

before=$(sqlite3 "$db" "SELECT group_concat(who) FROM t")
"$cli" restore "$work/a1.db" --db "sqlite:$db" --module "$module" >"$work/out" 2>&1 &&
  fail "a forged header restored: $(cat "$work/out")"
if grep -qF -e FORGED-ORIGIN -e EVIL "$work/out"; then fail "restore quotes the forged origin: $(cat "$work/out")"; fi
grep -qF "its tag does not match" "$work/out" || fail "restore: not refused by its tag: $(cat "$work/out")"
[ "$(sqlite3 "$db" "SELECT group_concat(who) FROM t")" = "$before" ] || fail "the database changed"
echo ok
