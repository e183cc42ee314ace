#!/usr/bin/env bash
# A base backup whose recorded page hashes were edited: the next
# incremental leaves out a page that changed (its hash matches the forged
# one) and, re-reading only the windows of pages it found changed, records
# a content that matches its stale image. Verification must still fail: an
# incremental's image is checked page by page against the hashes of the
# pages it read (docs/backups.md, "Incremental backups"). The same steps
# without the edit verify.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
for forge in 0 1; do
mkdir -p "$work/$forge"
"$py" - "$mod" "$work/$forge" "$forge" <<'PY'
import json, os, sqlite3, sys
mod, work, forge = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
c = sqlite3.connect(f"{work}/app.db", isolation_level=None)
c.enable_load_extension(True)
c.load_extension(mod)
c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)")
c.execute("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 3000)"
          " INSERT INTO t SELECT i, 'old' FROM s")
c.execute("SELECT dbbackup_create(?)", (f"{work}/full.db",)).fetchone()
c.execute("UPDATE t SET a = 'NEW' WHERE id = 1500")
c.execute("SELECT dbbackup_create(?, 'incremental')", (f"{work}/i1.db",)).fetchone()
if forge:
    # the full backup's row now claims, for t's leaf pages, the hashes i1
    # recorded (the leaf holding row 1500 changed), and i1 is gone: the next
    # incremental builds on the full backup and takes that leaf for
    # unchanged
    h0 = bytearray(c.execute("SELECT page_hashes FROM dbcare_backups WHERE id = 1").fetchone()[0])
    h1 = c.execute("SELECT page_hashes FROM dbcare_backups WHERE id = 2").fetchone()[0]
    head = len(h0) % 16  # the form's tag and key
    forged = 0
    for (p,) in c.execute("SELECT pageno FROM dbstat WHERE name = 't' AND pagetype = 'leaf'"):
        at = head + 16 * (p - 1)
        if h0[at:at + 16] != h1[at:at + 16]:
            h0[at:at + 16] = h1[at:at + 16]
            forged += 1
    if forged != 1:
        print(f"FAIL: {forged} leaf pages of t changed, not 1")
        sys.exit(1)
    c.execute("UPDATE dbcare_backups SET page_hashes = ? WHERE id = 1", (bytes(h0),))
    c.execute("DELETE FROM dbcare_backups WHERE id = 2")
    os.remove(f"{work}/i1.db")
c.execute("UPDATE t SET a = 'other' WHERE id = 10")
c.execute("SELECT dbbackup_create(?, 'incremental')", (f"{work}/i2.db",)).fetchone()
try:
    out = json.loads(c.execute("SELECT dbbackup_verify(?)", (f"{work}/i2.db",)).fetchone()[0])
    verified, message = out.get("verified"), ""
except sqlite3.OperationalError as e:
    verified, message = False, str(e)
if forge and (verified or "is not the page that was backed up" not in message):
    print(f"FAIL: an incremental built on forged page hashes: verified {verified}, {message!r}")
    sys.exit(1)
if not forge and not verified:
    print(f"FAIL: the same steps without the edit did not verify: {message}")
    sys.exit(1)
print("forged:" if forge else "sound:", message or "verified")
PY
done
