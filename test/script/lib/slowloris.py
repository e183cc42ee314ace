"""slowloris.py — a slowloris beside a liveness probe, for the serve tests.

probe_under(port, ...) runs THREADS connections from 127.0.0.1 in a
process of their own: each sends HEAD, then holds its connection (or sends
DRIBBLE whenever a read of RECV_TIMEOUT seconds brings nothing) until
serve cuts it, and connects again at once, for SECONDS. After WARMUP
seconds /livez is probed from the same address, every 0.25 s, until
PROBES probes are made or the attack ends. Returns the probes, each
(seconds it took, None or why it failed); the tests judge them.
"""
import socket
import subprocess
import sys
import threading
import time
import urllib.request


def attack(port, threads, seconds, head, dribble, recv_timeout):
    end = time.monotonic() + seconds

    def one():
        while time.monotonic() < end:
            s = socket.socket()
            s.settimeout(recv_timeout)
            try:
                s.connect(("127.0.0.1", port))
                s.sendall(head)
                while time.monotonic() < end:  # held until serve cuts it
                    try:
                        if not s.recv(1):
                            break
                    except socket.timeout:
                        pass
                    if dribble:
                        s.sendall(dribble)
            except OSError:
                pass
            s.close()

    running = [threading.Thread(target=one) for _ in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join()


def probe_under(port, threads, seconds, head, dribble=b"", recv_timeout=1.0, warmup=1.0,
                probes=10):
    attacker = subprocess.Popen([sys.executable, __file__, str(port), str(threads), str(seconds),
                                 head.hex(), dribble.hex(), str(recv_timeout)])
    time.sleep(warmup)
    made = []
    while attacker.poll() is None and len(made) < probes:
        t = time.monotonic()
        failed = None
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=1) as r:
                if r.status != 200 or r.read() != b"ok\n":
                    failed = "not ok"
        except Exception as e:
            failed = repr(e)
        made.append((time.monotonic() - t, failed))
        time.sleep(0.25)
    attacker.wait()
    return made


if __name__ == "__main__":
    p, n, secs, h, d, rt = sys.argv[1:7]
    attack(int(p), int(n), float(secs), bytes.fromhex(h), bytes.fromhex(d), float(rt))
