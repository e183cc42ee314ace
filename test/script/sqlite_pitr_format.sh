#!/usr/bin/env bash
# The point-in-time log's format (sqlite/pitr/pitr_log.h): segments "DBCLOG03",
# each record closed by the CRC-32C of its bytes (checked here against a
# CRC-32C computed in Python, so the processor's instruction and the table
# agree with the standard). A log of the format before ("DBCLOG02", the
# same records without the mark of a poll that fell behind) restores; one
# written by an earlier dbcare still ("DBCLOG01",
# records closed by their SHA-256) still restores, row for row, and a
# capture continues it (its new segments in the new format, one restore,
# the status and the drill across both); a changed byte in a record of either format is damage
# (the restore fails naming the byte, nothing made); a segment of a later
# format is refused by name ("written by a newer dbcare").
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
"$py" - "$cli" "$module" "$work" <<'PY'
import glob, hashlib, json, os, re, shutil, sqlite3, struct, subprocess, sys, time
cli, module, work = sys.argv[1:4]
db, log = os.path.join(work, "app.db"), os.path.join(work, "log")
os.mkdir(log)
def fail(m): print("FAIL: " + m); sys.exit(1)
def now(): return int(time.time() * 1000)
def text(ms): return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000)) + ".%03d" % (ms % 1000)

TABLE = []
for i in range(256):
    c = i
    for _ in range(8): c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
    TABLE.append(c)
def crc32c(b):
    c = 0xFFFFFFFF
    for x in b: c = TABLE[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF
if crc32c(b"123456789") != 0xE3069283: fail("the test's own CRC-32C is wrong")

def app(n, moments, name):
    """An application connection capturing into log: n commits, then the
    moment (time, rows) recorded under name, while it still captures."""
    c = sqlite3.connect(db, isolation_level=None)
    c.enable_load_extension(True); c.load_extension(module)
    c.execute("PRAGMA journal_mode = wal").fetchall()
    c.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")
    c.execute("SELECT dbcare_set('backup.log.dir', ?)", (log,)).fetchall()
    for i in range(n):
        c.execute("INSERT INTO t (v) VALUES (hex(randomblob(60)))")
        if i == n // 2:
            time.sleep(0.05); moments[name + " (middle)"] = (now(), c.execute("SELECT * FROM t ORDER BY id").fetchall())
            time.sleep(0.05)
    time.sleep(0.05)
    moments[name] = (now(), c.execute("SELECT * FROM t ORDER BY id").fetchall())
    time.sleep(0.05)
    c.execute("INSERT INTO t (v) VALUES ('after')")  # a record after the moment
    c.close()

def records(path):
    data = open(path, "rb").read()
    out, off = [], 8
    while off < len(data):
        magic, kind, pl = struct.unpack_from("<III", data, off)
        ck = 4 if magic == 0x4B434244 else 32
        out.append((data[:8], magic, data[off:off + 20 + pl], data[off + 20 + pl:off + 20 + pl + ck], off))
        off += 20 + pl + ck
    if off != len(data): fail("%s does not end on a record" % path)
    return out

def restore(logdir, t, out):
    return subprocess.run([cli, "restore", "--to-time", text(t), logdir, "--db", "sqlite:" + out,
                           "--module", module], capture_output=True, text=True, timeout=120)

def rows(path): return sqlite3.connect(path).execute("SELECT * FROM t ORDER BY id").fetchall()

moments = {}
app(40, moments, "first run")
segs = sorted(glob.glob(os.path.join(log, "log-*.dbclog")))
if not segs: fail("no closed segment: %r" % os.listdir(log))
n = 0
for s in segs:
    for seg_magic, magic, body, check, off in records(s):
        if seg_magic != b"DBCLOG03" or magic != 0x4B434244:
            fail("%s: magic %r / record %#x, not DBCLOG03 / DBCK" % (s, seg_magic, magic))
        if struct.unpack("<I", check)[0] != crc32c(body):
            fail("%s at byte %d: the record's check is not its CRC-32C" % (s, off))
        n += 1
if n < 40: fail("only %d records for 40 commits" % n)

# the log as the dbcare before wrote it: DBCLOG02, the same records (none
# of a poll that fell behind here), still restores
def magic_to(path, magic):
    data = open(path, "rb").read()
    out = magic + data[8:]
    open(path, "wb").write(out)
    manifest = path[:-len(".dbclog")] + ".json"
    m = json.load(open(manifest))
    m["sha256"] = hashlib.sha256(out).hexdigest()
    open(manifest, "w").write(json.dumps(m, separators=(",", ":")) + "\n")
v2_only = os.path.join(work, "v2only"); shutil.copytree(log, v2_only)
for s in segs: magic_to(os.path.join(v2_only, os.path.basename(s)), b"DBCLOG02")
r = restore(v2_only, moments["first run"][0], os.path.join(work, "v2only.db"))
if r.returncode != 0 or rows(os.path.join(work, "v2only.db")) != moments["first run"][1]:
    fail("restore from a DBCLOG02 log: %s%s" % (r.stdout, r.stderr))

# the log as an earlier dbcare wrote it: DBCLOG01, records DBCR + SHA-256,
# each segment's log-<seq>.json naming its new SHA-256 and size
def to_v1(path):
    out = b"DBCLOG01"
    for _, magic, body, check, _ in records(path):
        body = b"DBCR" + body[4:]
        out += body + hashlib.sha256(body).digest()
    open(path, "wb").write(out)
    manifest = path[:-len(".dbclog")] + ".json"
    m = json.load(open(manifest))
    m["sha256"], m["bytes"] = hashlib.sha256(out).hexdigest(), len(out)
    open(manifest, "w").write(json.dumps(m, separators=(",", ":")) + "\n")
for s in segs: to_v1(s)
v1_copy = os.path.join(work, "v1log"); shutil.copytree(log, v1_copy)

# a capture continues the earlier log: its new segments are DBCLOG03
app(30, moments, "second run")
new = [s for s in sorted(glob.glob(os.path.join(log, "log-*.dbclog"))) if s not in segs]
if not new or any(open(s, "rb").read(8) != b"DBCLOG03" for s in new):
    fail("the continued log's new segments: %r" % [open(s, "rb").read(8) for s in new])
if any(open(s, "rb").read(8) != b"DBCLOG01" for s in segs): fail("the earlier segments were rewritten")
for i, (name, (t, want)) in enumerate(moments.items()):
    out = os.path.join(work, "r%d.db" % i)
    r = restore(log, t, out)
    if r.returncode != 0: fail("restore to %s across both formats: %s%s" % (name, r.stdout, r.stderr))
    if rows(out) != want: fail("restore to %s: %d rows, not the %d of that moment" % (name, len(rows(out)), len(want)))

# the log's other readers over both formats: its status (one stretch, to
# the last record) and the restore drill
r = subprocess.run([cli, "log", "status", log, "--json", "--db", "sqlite:" + db, "--module", module],
                   capture_output=True, text=True, timeout=60)
if r.returncode != 0 or len(json.loads(r.stdout)["stretches"]) != 1:
    fail("log status over both formats: rc %d, %s%s" % (r.returncode, r.stdout, r.stderr))
r = subprocess.run([cli, "backup", "drill", "--log", log, "--db", "sqlite:" + db, "--module", module],
                   capture_output=True, text=True, timeout=120)
if r.returncode != 0: fail("the drill over both formats: %s%s" % (r.stdout, r.stderr))

# damage in a record of either format, its segment's SHA-256 updated (so
# only the record's own check can see it): a restore to a moment after it
# (one that reads it) fails, nothing made
def damaged(logdir, seg, what, moment):
    recs = records(seg)
    _, _, body, _, off = recs[len(recs) // 2]
    data = bytearray(open(seg, "rb").read()); data[off + 60] ^= 0x01
    open(seg, "wb").write(data)
    manifest = seg[:-len(".dbclog")] + ".json"
    m = json.load(open(manifest)); m["sha256"] = hashlib.sha256(data).hexdigest()
    open(manifest, "w").write(json.dumps(m, separators=(",", ":")) + "\n")
    out = os.path.join(work, "bad-%s.db" % what)
    r = restore(logdir, moments[moment][0], out)
    if r.returncode == 0 or "dbcare:" not in r.stderr or "damaged at byte" not in r.stderr:
        fail("restore over a damaged %s record: rc %d, %s" % (what, r.returncode, r.stderr))
    if os.path.exists(out): fail("the refused restore made %s" % out)
    # log status reads the records' headers alone (a look, not a check):
    # it still lists the log; the drill, which checks, fails
    r = subprocess.run([cli, "log", "status", logdir, "--json"], capture_output=True, text=True, timeout=60)
    if r.returncode != 0 or not json.loads(r.stdout)["stretches"]:
        fail("log status over damage in a %s record's body: rc %d, %s%s" % (what, r.returncode, r.stdout, r.stderr))
    r = subprocess.run([cli, "backup", "drill", "--log", logdir, "--module", module], capture_output=True,
                       text=True, timeout=120)
    if r.returncode == 0 or "damaged at byte" not in r.stderr:
        fail("the drill over a damaged %s record: rc %d, %s%s" % (what, r.returncode, r.stdout, r.stderr))
damaged(v1_copy, sorted(glob.glob(os.path.join(v1_copy, "log-*.dbclog")))[0], "SHA-256", "first run")
v2_copy = os.path.join(work, "v2log"); shutil.copytree(log, v2_copy)
damaged(v2_copy, os.path.join(v2_copy, os.path.basename(new[0])), "CRC-32C", "second run")

# a segment of a later format: refused by name
later = os.path.join(work, "later"); shutil.copytree(log, later)
seg = os.path.join(later, os.path.basename(new[0]))
data = bytearray(open(seg, "rb").read()); data[:8] = b"DBCLOG04"; open(seg, "wb").write(data)
m = json.load(open(seg[:-7] + ".json")); m["sha256"] = hashlib.sha256(data).hexdigest()
open(seg[:-7] + ".json", "w").write(json.dumps(m, separators=(",", ":")) + "\n")
r = restore(later, moments["second run"][0], os.path.join(work, "later.db"))
if r.returncode == 0 or "written by a newer dbcare" not in r.stderr or "DBCLOG04" not in r.stderr:
    fail("a later format: rc %d, %s" % (r.returncode, r.stderr))
print("ok: CRC-32C records; an earlier log (SHA-256) restores and is continued; damage in either "
      "format fails; a later format is refused by name")
PY
