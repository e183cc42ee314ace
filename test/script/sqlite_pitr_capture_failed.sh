#!/usr/bin/env bash
# A capture that fails (here the application's own: its segment write
# refused with EFBIG by a file size limit, as a full disk refuses it with
# ENOSPC) is not silent (docs/backups.md, "What the log holds"): the
# application's commits still succeed, and the failure is written in
# place into log.progress, where the health check point_in_time_log reads
# it (critical, with the error's text) and the metric
# dbcare_log_capture_failed is 1. Once the capture copies again (the limit
# lifted, the next commit) the failure is over: the check and the metric
# say so. On main health said "log lag 0 s; no capture runs" and nothing
# of the failure.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
cd "$work"
mkdir lg
sqlite3 app.db "PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)" >/dev/null
"$py" - "$module" "$work" <<'PY'
import resource, signal, sqlite3, subprocess, sys
module, work = sys.argv[1:3]
c = sqlite3.connect(work + "/app.db", isolation_level=None)
c.enable_load_extension(True)
c.load_extension(module)
c.execute("SELECT dbcare_set('backup.log.dir', ?)", (work + "/lg",)).fetchall()
c.execute("PRAGMA wal_autocheckpoint = 50").fetchall()
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
def unlimited():
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
def health(name):  # the check's "status|message", then the metrics, without the limit
    out = subprocess.run(
        ["sqlite3", "-cmd", ".load " + module, "file:%s/app.db?dbcare_capture=0" % work,
         "SELECT status || '|' || message FROM dbhealth_checks() WHERE name = 'point_in_time_log';",
         "SELECT dbhealth_metrics();"], capture_output=True, text=True, preexec_fn=unlimited)
    open("%s/%s.health" % (work, name), "w").write(out.stdout + out.stderr)
def failed():
    try:
        with open(work + "/lg/log.progress", "rb") as f:
            return b"failed " in f.read()
    except FileNotFoundError:  # the capture starts at the first commit
        return False
resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, hard))
def at_limit():  # a segment reached the limit: its next write fails
    import glob, os
    return any(os.path.getsize(f) > (1 << 20) - 16384 for f in glob.glob(work + "/lg/log-*"))
n = 0
while not failed() and not at_limit():
    n += 1
    assert n < 2000, "the capture never failed under a 1 MB file size limit"
    c.execute("INSERT INTO t (v) VALUES (?)", ("x" * 2000,))
for i in range(5):  # commits succeed while the capture fails (and makes it fail)
    c.execute("INSERT INTO t (v) VALUES (?)", ("after failure",))
health("failed")
unlimited()
import time
time.sleep(1.1)  # a failed capture tries again at most once a second
c.execute("INSERT INTO t (v) VALUES ('the capture copies again')")
health("recovered")
c.close()
print("the capture failed after %d commits" % n)
PY
metric() { sed -n "s/^$1{[^}]*} //p" "$2"; }
grep -q "^critical|the capture into $work/lg failed at .* UTC and has copied no commit since: .*File too large" failed.health ||
  fail "health while the capture fails: $(cat failed.health)"
[ "$(metric dbcare_log_capture_failed failed.health)" = 1 ] || fail "metrics while the capture fails: $(cat failed.health)"
grep -q "failed at" recovered.health && fail "health after the capture copied again: $(cat recovered.health)"
[ "$(metric dbcare_log_capture_failed recovered.health)" = 0 ] || fail "metrics after the capture copied again: $(cat recovered.health)"
echo ok
