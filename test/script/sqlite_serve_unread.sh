#!/usr/bin/env bash
# Clients that ask for a large answer (/schema of 6,000 tables, 6 MB) and
# never read it (144 of them, from three addresses, each below its limit of
# 64, with a small receive buffer, so serve's send blocks past what the
# kernel's buffers hold) do not lock everyone else out of /metrics:
# a request leaves the ones that may wait on the databases (128 at most)
# once its answer is made. Before, each held its place until the answer was
# sent, and every /metrics from anyone was answered 503 "too many requests
# at once" for as long as they stayed. And every answer has a deadline: a
# client that never reads is cut after SEND_DEADLINE_S (20 s), its answer's
# memory with it (docs/security.md).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
export DBCARE_MODULE="$module"

# a database whose /schema is large
"$py" - <<'PY'
import sqlite3
c = sqlite3.connect("big.db")
c.execute("BEGIN")
cols = ", ".join("column_number_%d TEXT NOT NULL DEFAULT 'x'" % k for k in range(12))
for i in range(6000):
    c.execute("CREATE TABLE t%05d (id INTEGER PRIMARY KEY, %s)" % (i, cols))
c.execute("COMMIT")
PY
start_serve serve.log --db sqlite:big.db
get "$base/schema"; want_code 200 "the first /schema"
size=$(wc -c <"$work/body")
[ "$size" -gt 5000000 ] || fail "/schema is only $size bytes: too small to block a send"

"$py" - "$port" "$serve_pid" <<'PY' || fail "clients that never read locked /metrics out, or were never cut"
import os, socket, sys, time, urllib.request
port, pid = int(sys.argv[1]), int(sys.argv[2])
held = []
for n in range(144):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind(("127.0.0.%d" % (2 + n % 3), 0))
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /schema HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    held.append(s)
time.sleep(3)  # every answer made and stuck in its send
ok = 0
for _ in range(5):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=20) as r:
            ok += r.status == 200 and b"dbcare_up" in r.read()
    except Exception as e:
        print("a scrape beside them failed:", e)
print("%d of 5 scrapes beside 144 clients that never read" % ok)
if ok != 5:
    sys.exit(1)
# the deadline: serve lets each of them go (its socket closed) within
# SEND_DEADLINE_S (20 s) of its answer, though none has read a byte
def sockets():
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            n += os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:")
        except OSError:
            pass
    return n
start = time.monotonic()
at_start = sockets()
while sockets() > 8 and time.monotonic() - start < 40:
    time.sleep(0.5)
print("serve held %d sockets; %d %.0f s later" % (at_start, sockets(), time.monotonic() - start))
if at_start < 144 or sockets() > 8:
    sys.exit(1)
PY
get "$base/livez"; want_code 200 "livez after them"
stop_serve
echo ok
