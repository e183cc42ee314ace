#!/usr/bin/env bash
# A log directory someone else wrote (copied from elsewhere, or changed on
# purpose): records whose CRC-32C and segment record (SHA-256) were made to
# match what they hold, but which break the format. Each restore fails with
# a dbcare: error naming the damaged segment and byte, and makes nothing:
# a commit writing page 0 (before: written 16 TB past the image's start,
# then cut away by the final size: a restore that said "ok" without that
# page), a base named outside the log directory (before: read from there),
# a base of page size 3, row counts that are no "table<TAB>rows" lines
# (before: the restore failed without saying why). The fuzz target
# test/fuzz/fuzz_pitr_log.c holds the same inputs as regression seeds.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
pitr_python <<'PY'
import glob, hashlib, json, os, shutil, struct, subprocess, sys, time
from pitr_test import *
cli, module, work = args()
db, log, con = app_with_log(work, module)
con.execute("PRAGMA page_size = 512")  # before the first page: small pages
for i in range(3):
    con.execute("INSERT INTO t (v) VALUES (?)", ("row %d" % i,)); time.sleep(0.05)
con.close()
seg = sorted(glob.glob(os.path.join(log, "log-*.dbclog")))[0]
good = open(seg, "rb").read()

TABLE = []
for i in range(256):
    c = i
    for _ in range(8): c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
    TABLE.append(c)
def crc32c(b):
    c = 0xFFFFFFFF
    for x in b: c = TABLE[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF

def records(d):
    out, off = [], 8
    while off < len(d):
        _, typ, pl, _ = struct.unpack_from("<IIIq", d, off)
        out.append((chr(typ & 0xFF), off, pl)); off += 24 + pl
    return out

def forged(d):
    """Every record's CRC-32C made to match, as a forger would."""
    d = bytearray(d)
    for _, off, pl in records(d):
        struct.pack_into("<I", d, off + 20 + pl, crc32c(d[off:off + 20 + pl]))
    return bytes(d)

def restore_of(name, mutate):
    dir_ = os.path.join(work, name)
    shutil.copytree(log, dir_)
    s = os.path.join(dir_, os.path.basename(seg))
    d = forged(mutate(bytearray(good)))
    open(s, "wb").write(d)
    rec = s[:-len(".dbclog")] + ".json"
    doc = json.load(open(rec)); doc["sha256"] = hashlib.sha256(d).hexdigest()
    json.dump(doc, open(rec, "w"))
    target = os.path.join(work, name + ".db")
    r = run(cli, module, "restore", "--to-time", "latest", dir_, "--db", "sqlite:" + target)
    if r.returncode == 0:
        fail("%s: restored: %s" % (name, r.stdout))
    if not r.stderr.startswith("dbcare: ") or "is damaged at byte" not in r.stderr or s not in r.stderr:
        fail("%s: not a dbcare: error naming the damaged segment: %r" % (name, r.stderr))
    if os.path.exists(target) and os.path.getsize(target) > 0:
        fail("%s: the restore left %s" % (name, target))
    print("ok: %s refused: %s" % (name, r.stderr.strip()))

# the log as it is restores (the forged CRCs are the real ones)
r = run(cli, module, "restore", "--to-time", "latest", log, "--db", "sqlite:" + os.path.join(work, "good.db"))
if r.returncode != 0: fail("the log itself does not restore: " + r.stderr)
if forged(good) != good: fail("the test's CRC-32C is not the log's")
recs = records(good)
base = next(r for r in recs if r[0] == "B")
commit = next(r for r in recs if r[0] == "C")
if not commit: fail("no commit in the log")

def page_zero(d):
    struct.pack_into("<I", d, commit[1] + 20 + 36 + 4, 0); return d
def base_outside(d):
    p = base[1] + 20 + 36; n = struct.unpack_from("<I", d, p + 68)[0]
    name = bytes(d[p + 72:p + 72 + n])
    shutil.copy(os.path.join(log, name.decode()), os.path.join(work, name.decode()))
    new = b"../" + name
    d[p + 72:p + 72 + n] = new; struct.pack_into("<I", d, p + 68, len(new))
    struct.pack_into("<I", d, base[1] + 8, base[2] + 3); return d
def page_size_3(d):
    struct.pack_into("<I", d, base[1] + 20 + 36, 3); return d
def rows_bad(d):
    _, off, pl = commit
    common = bytes(d[off + 20:off + 20 + 36]); t = struct.unpack_from("<q", d, off + 12)[0]
    payload = common + b"t 3\n"
    rec = struct.pack("<IIIq", 0x4B434244, ord("R"), len(payload), t) + payload + b"\0\0\0\0"
    return d[:off + 24 + pl] + rec + d[off + 24 + pl:]

restore_of("page_zero", page_zero)
restore_of("base_outside", base_outside)
restore_of("page_size_3", page_size_3)
restore_of("rows_bad", rows_bad)
PY
