#!/usr/bin/env bash
# dbcare serve under a flood it must survive (docs/security.md), on
# loopback only, bounded in count and time, ending by itself:
# 1,000 idle connections from one address and 40 slow ones (a request
# head dribbled a byte at a time) from another; meanwhile /livez answers
# within a second every time and /readyz answers too; the slow heads are
# cut at their deadline (5 s). A probe sharing its address with 64
# reconnecting slow clients, or with 64 requests in progress, or with 72
# connections dribbling a request body, is answered too; so is one from
# another address while 18 addresses keep 1,080 idle connections. Then a page
# request on a member another process keeps locked ends by its deadline
# (--scrape-timeout), not after minutes of busy waits.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
export DBCARE_MODULE="$module"

mkdir fleet
for f in a b; do
  sqlite3 "fleet/$f.db" "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('x')"
done
start_serve serve.log --db 'sqlite:fleet/*.db' --scrape-timeout 1s
get "$base/livez"; want_code 200 livez

# --- the flood: the attackers on 127.0.0.2 and 127.0.0.3, the probe on 127.0.0.1
"$py" - "$port" <<'PY' || fail "the flood locked the probes out"
import socket, sys, time, urllib.request
port = int(sys.argv[1])
started = time.monotonic()
def conn(src):
    # each connected before the next (the kernel completes the handshake
    # whether serve keeps the connection or closes it at once)
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
    except OSError:
        pass
    return s
idle = [conn("127.0.0.2") for _ in range(1000)]
slow = [conn("127.0.0.3") for _ in range(40)]
slow_at = time.monotonic()
for s in slow:
    s.setblocking(False)
time.sleep(0.3)
head = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200
lat, bad, ready = [], [], 0
i = 0
while time.monotonic() - slow_at < 6.5:  # past the heads' deadline (5 s)
    for s in slow:  # one more byte of the head each round
        try:
            s.send(head[i:i + 1] if i < len(head) else b"a")
        except OSError:
            pass
    i += 1
    t = time.monotonic()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=1) as r:
            ok = r.status == 200 and r.read() == b"ok\n"
    except Exception as e:
        ok = False
        bad.append(repr(e))
    lat.append(time.monotonic() - t)
    if not ok and not bad:
        bad.append("not ok")
    if i % 8 == 0:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=3) as r:
                ready += r.status == 200
        except Exception as e:
            bad.append("readyz " + repr(e))
    time.sleep(0.25)
# the slow heads are past their deadline: the server closed them
closed = 0
for s in slow:
    try:
        s.settimeout(0.05)
        closed += s.recv(1) == b""
    except socket.timeout:
        pass
    except OSError:
        closed += 1
for s in idle + slow:
    s.close()
print(f"livez: {len(lat)} probes, max {max(lat) * 1000:.0f} ms, failures {len(bad)}; "
      f"readyz 200: {ready}; slow heads closed: {closed}/40; {time.monotonic() - started:.1f} s")
if bad:
    print(bad[:5])
sys.exit(0 if not bad and max(lat) < 1.0 and ready >= 2 and closed == 40 else 1)
PY
get "$base/livez"; want_code 200 "livez after the flood"

# --- one address holds 64 open connections, and the probes' reserve of 8
# while the newest of them are under 500 ms old (one of those may be a
# probe that has not sent its head yet), no more: 72 of 100 kept when
# serve takes them all within 500 ms, and down to 64 (never fewer) when a
# loaded machine spreads them wider, its oldest then cut for the newest;
# but clients making one request at a time (a Prometheus and its probes on
# one host) are never refused, however fast they reconnect (a connection
# its client closed counted until the server's thread noticed: 1 request
# in 50 reset)
"$py" - "$port" <<'PY' || fail "the per-address limit"
import http.client, socket, sys, threading, time
port = int(sys.argv[1])
held = []
started = time.monotonic()
for _ in range(100):
    s = socket.socket()
    s.bind(("127.0.0.4", 0))
    s.settimeout(2)
    s.connect(("127.0.0.1", port))
    held.append(s)
span = time.monotonic() - started
time.sleep(0.5)
closed = 0
for s in held:
    s.settimeout(0.05)
    try:
        closed += s.recv(1) == b""
    except socket.timeout:
        pass
    except OSError:
        closed += 1
for s in held:
    s.close()
ok, errors, end = [0], [], time.monotonic() + 3
def scraper():
    while time.monotonic() < end:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("GET", "/livez")
            ok[0] += c.getresponse().read() == b"ok\n"
            c.close()
        except Exception as e:
            errors.append(repr(e))
threads = [threading.Thread(target=scraper) for _ in range(50)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"one address: {100 - closed} of 100 idle connections kept (connected in {span * 1000:.0f} ms); "
      f"50 one-at-a-time clients: {ok[0]} answered, {len(errors)} failed {errors[:3]}")
sys.exit(0 if 28 <= closed <= 36 and not errors and ok[0] > 0 else 1)
PY

# --- a probe from the address of a hostile client: 64 slow connections
# from 127.0.0.1 (each sends half a request head and reconnects as soon as
# it is cut); a probe from 127.0.0.1 (all local clients share the default
# --listen's address) is answered every time: a new connection evicts the
# address's oldest one that has not sent its head (before, all 12 probes
# were refused)
"$py" - "$port" "$root/test/script/lib" <<'PY' || fail "a slowloris on the probe's own address locked it out"
import sys
sys.path.insert(0, sys.argv[2])
import slowloris
made = slowloris.probe_under(int(sys.argv[1]), threads=64, seconds=4.5, head=b"GET /metr", probes=12)
bad = [why for _, why in made if why]
print(f"slowloris on the probe's address: {len(made)} probes, "
      f"max {max(t for t, _ in made) * 1000:.0f} ms, failures {len(bad)} {bad[:3]}")
sys.exit(0 if len(made) >= 8 and not bad else 1)
PY

# --- slow bodies: 72 connections from 127.0.0.5 send a whole head that
# announces a body, then dribble the body a byte at a time; a probe from
# 127.0.0.5 is still answered (the body is part of the head's deadline and
# its connection may be evicted: before, every probe was refused for as
# long as the bodies lasted), and the slow bodies are cut at the deadline
"$py" - "$port" <<'PY' || fail "slow bodies on the probe's own address locked it out"
import socket, sys, time
port = int(sys.argv[1])
started = time.monotonic()
slow = []
for _ in range(72):
    s = socket.socket()
    s.bind(("127.0.0.5", 0))
    s.settimeout(1)
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(b"POST /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n")
        s.setblocking(False)
        slow.append(s)
    except OSError:
        s.close()
def probe():
    # answered in milliseconds when serve is not locked out (a locked-out
    # probe waits for the 5 s deadline); 2 s leaves room for a loaded CI
    p = socket.socket()
    p.bind(("127.0.0.5", 0))
    p.settimeout(2)
    try:
        p.connect(("127.0.0.1", port))
        p.sendall(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return p.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False
    finally:
        p.close()
answered, closed = [], 0
while time.monotonic() - started < 6.5:  # past the deadline (5 s)
    for s in slow:
        try:
            s.send(b"x")
        except OSError:
            pass
    if len(answered) < 6:
        answered.append(probe())
    time.sleep(0.4)
for s in slow:
    try:
        s.settimeout(0.05)
        closed += s.recv(1) == b""
    except socket.timeout:
        pass
    except OSError:
        closed += 1
    s.close()
print(f"slow bodies: probes answered {sum(answered)}/{len(answered)}; closed {closed}/{len(slow)}")
sys.exit(0 if all(answered) and len(answered) == 6 and closed == len(slow) else 1)
PY

# --- idle connections from many addresses (an IPv6 network has more than
# the limit of all connections together): 18 addresses keep 60 each open,
# reconnecting as serve cuts them (1,080, over the 1,000 in all); a probe
# from another address is answered every time: a new connection evicts the
# oldest one of any address without a head (before, about half the probes
# were refused)
"$py" - "$port" <<'PY' || fail "idle connections from many addresses locked the probes out"
import socket, sys, threading, time
port = int(sys.argv[1])
end = time.monotonic() + 8
def holder(a):
    conns = []
    while time.monotonic() < end:
        alive = []
        for c in conns:
            try:
                if c.recv(1) == b"":
                    c.close()
                    continue
            except BlockingIOError:
                pass
            except OSError:
                c.close()
                continue
            alive.append(c)
        conns = alive
        while len(conns) < 60 and time.monotonic() < end:
            s = socket.socket()
            s.bind((f"127.0.1.{a}", 0))
            s.settimeout(1)
            try:
                s.connect(("127.0.0.1", port))
                s.setblocking(False)
                conns.append(s)
            except OSError:
                s.close()
                break
        time.sleep(0.2)
    for c in conns:
        c.close()
threads = [threading.Thread(target=holder, args=(a,)) for a in range(1, 19)]
for t in threads:
    t.start()
time.sleep(3)
answered = []
while time.monotonic() < end - 0.5:
    p = socket.socket()
    p.bind(("127.0.0.9", 0))
    # refused is what this looks for (a reset, a close); a slow answer on
    # a loaded machine is none
    p.settimeout(5)
    try:
        p.connect(("127.0.0.1", port))
        p.sendall(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        answered.append(p.recv(64).startswith(b"HTTP/1.1 200"))
    except OSError:
        answered.append(False)
    p.close()
    time.sleep(0.3)
for t in threads:
    t.join()
print(f"1,080 idle connections from 18 addresses: probes answered {sum(answered)}/{len(answered)}")
sys.exit(0 if answered and all(answered) else 1)
PY

# --- a page request on a locked member ends by its deadline
"$py" -c "
import sqlite3, time
c = sqlite3.connect('fleet/b.db', isolation_level=None)
c.execute('BEGIN EXCLUSIVE')
open('locked', 'w').close()
time.sleep(30)
" &
locker=$!
serve_pids+=("$locker")
for _ in $(seq 1 100); do [ -e locked ] && break; sleep 0.05; done
[ -e locked ] || fail "the lock was not taken"
timed_get "$base/?database=b.db"
echo "the page of a locked member: HTTP $code in $ms ms"
grep -qiE "interrupted|locked|busy|holds the database" "$work/body" || fail "the page does not say why b.db is missing: $(cat "$work/body")"
# past its deadline the page's busy wait ends; without the deadline it
# lasts serve's whole busy wait, 5 s, which load only lengthens
[ "$ms" -lt 5000 ] || fail "the page of a locked member took $ms ms (deadline 1 s)"
# 64 keep-alive clients from 127.0.0.1 each ask for that page (1 s each)
# again and again: all the address's connections are in requests, none
# can be evicted; a probe from 127.0.0.1 takes the probes' reserve
"$py" - "$port" <<'PY' || fail "complete requests on the probe's address locked it out"
import http.client, sys, threading, time, urllib.request
port = int(sys.argv[1])
# the clients go on until the probes are done (a loaded machine makes
# fewer probes in a fixed time; each probe is what counts)
done = threading.Event()
def client():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while not done.is_set():
        try:
            c.request("GET", "/?database=b.db")
            c.getresponse().read()
        except Exception:
            c.close()
threads = [threading.Thread(target=client) for _ in range(64)]
for t in threads:
    t.start()
time.sleep(0.5)
bad, n = [], 0
for _ in range(6):
    n += 1
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=2) as r:
            if r.read() != b"ok\n":
                bad.append("not ok")
    except Exception as e:
        bad.append(repr(e))
    time.sleep(0.2)
done.set()
for t in threads:
    t.join()
print(f"64 clients in requests on the probe's address: {n} probes, failures {len(bad)} {bad[:3]}")
sys.exit(0 if n == 6 and not bad else 1)
PY
get "$base/?database=a.db"; want_code 200 "the page of a member not locked"
kill "$locker"; wait "$locker" 2>/dev/null || true
get "$base/?database=b.db"; want_code 200 "the page once the lock is gone"
stop_serve
echo "ok"
