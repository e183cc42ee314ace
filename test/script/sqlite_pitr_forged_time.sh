#!/usr/bin/env bash
# `log status` reads the records' headers alone, and a header's time is not
# checked there: a record whose time was forged (or damaged) to 2100 made
# status list the log as restorable up to 2100, a moment restore refuses
# (the record fails its CRC-32C, or its closed segment its SHA-256). The
# rule (cli/backup/log/pitr_read.c, docs/backups.md "What the log holds"): the
# log's times never go back, so the newest record bounds every time the
# headers give, and that record is checked as a restore checks it. Here:
# the newest record stamped 2100 (its CRC left, then recomputed so that
# only the segment's SHA-256 tells), and a record in the middle stamped
# 2100: status fails naming the damage and lists no 2100 (on main it
# listed the log as restorable up to 2100), `restore
# --to-time latest` fails too; the log as captured lists its real end.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
db="$work/app.db" log="$work/log"
mkdir "$log"
sqlite3 "$db" "PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)" >/dev/null
"$cli" log "$log" --sleep-ms 20 --segment-interval 300ms --db "sqlite:$db" --module "$module" \
  2>"$work/capture.err" &
pid=$!
for _ in $(seq 100); do [ -s "$log/log.progress" ] && break; sleep 0.05; done
for i in 1 2 3 4; do sqlite3 -cmd '.timeout 30000' "$db" "INSERT INTO t (v) VALUES ('row$i')"; sleep 0.2; done
kill -TERM "$pid"; wait "$pid" || fail "capture: $(cat "$work/capture.err")"

"$cli" log status "$log" --json >"$work/whole.json" 2>"$work/whole.err" || fail "status: $(cat "$work/whole.err")"
grep -q '"last_restorable":"20[0-9][0-9]-' "$work/whole.json" || fail "status: $(cat "$work/whole.json")"
grep -q '"last_restorable":"2100-' "$work/whole.json" && fail "the log as captured: $(cat "$work/whole.json")"

# forge WHICH (last | middle) CHECK (keep | crc | sha) DIR: the time of the
# newest record of the newest segment, or of the first record of the one
# before; its CRC kept, recomputed, or kept with the segment's SHA-256 in
# its record recomputed (only the CRC then tells)
forge() {
  "$py" - "$@" <<'PY'
import glob, os, struct, sys
import hashlib, json
which, check, d = sys.argv[1:4]
def crc32c(b):
    c = 0xffffffff
    for x in b:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ (0x82f63b78 & -(c & 1))
    return c ^ 0xffffffff
segs = sorted(glob.glob(os.path.join(d, "log-*.dbclog")))
seg = segs[-1] if which == "last" else segs[-2]
data = bytearray(open(seg, "rb").read())
off, recs = 8, []
while off < len(data):
    n = struct.unpack_from("<I", data, off + 8)[0]
    recs.append(off)
    off += 20 + n + 4
at = recs[-1] if which == "last" else recs[0]
n = struct.unpack_from("<I", data, at + 8)[0]
struct.pack_into("<q", data, at + 12, 4102444800000)  # 2100-01-01 00:00:00 UTC
if check == "crc":
    struct.pack_into("<I", data, at + 20 + n, crc32c(bytes(data[at:at + 20 + n])))
open(seg, "wb").write(data)
if check == "sha":
    rec = seg[:-len(".dbclog")] + ".json"
    doc = json.load(open(rec))
    doc["sha256"] = hashlib.sha256(data).hexdigest()
    json.dump(doc, open(rec, "w"))
PY
}
n=0
for case in "last keep" "last crc" "last sha" "middle crc"; do
  n=$((n + 1)); cp -r "$log" "$work/f$n"; forge $case "$work/f$n"
  out=$("$cli" log status "$work/f$n" 2>&1) && fail "status of a log forged ($case) exited 0: $out"
  echo "$out" | grep -q "restorable.*2100-" && fail "status of a log forged ($case) lists 2100: $out"
  echo "$out" | grep -q "^dbcare: .*log-[0-9]*\.dbclog" || fail "status ($case) named no segment: $out"
  "$cli" restore --to-time latest "$work/f$n" --db "sqlite:$work/r$n.db" --module "$module" \
    >"$work/r$n.out" 2>&1 && fail "latest of a log forged ($case) restored: $(cat "$work/r$n.out")"
  grep -q "^restored.*2100-" "$work/r$n.out" && fail "latest ($case) went to 2100: $(cat "$work/r$n.out")"
  echo "ok: forged ($case): $(echo "$out" | tail -n 1)"
done
