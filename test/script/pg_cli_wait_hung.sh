#!/usr/bin/env bash
# dbcare wait --timeout against a server that takes the TCP connection and
# never answers (a hung postmaster, a full listen backlog): each attempt is
# bounded by libpq's connect_timeout, so the command gives up (exit 1) soon
# after --timeout instead of waiting for an answer that never comes.
set -eu
db=dbcare_cli_wait_hung
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3

# a listener that accepts connections and never writes a byte
"$py" - "$work/port" <<'PY' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    c, _ = s.accept()
    held.append(c)
PY
pids+=($!)
for _ in $(seq 1 600); do [ -f "$work/port" ] && break; sleep 0.1; done
[ -f "$work/port" ] || fail "the silent server never listened"
port=$(cat "$work/port")

# the outer timeout only ends a hang; it never decides the result
set +e
timeout 10 "$cli" wait --db "postgresql://nobody@127.0.0.1:$port/x" --timeout 1s >out 2>err
rc=$?
set -e
[ "$rc" != 124 ] || fail "dbcare wait --timeout 1s hung on a server that never answers"
[ "$rc" = 1 ] || { cat err; fail "wait: exit $rc, want 1"; }
has 'dbcare: gave up waiting after 1s' err
has 'timeout expired' err

echo ok
