#!/usr/bin/env bash
# dbcare serve against what others write (docs/security.md): a token file
# other users can read or write, or another user owns (a symlink to it too),
# is refused; a fleet glob leaves symlinks out (to /etc/passwd, to a
# database outside the folder, a symlinked folder a wildcard matched)
# unless --follow-symlinks; a path with a percent-encoded newline or space is one
# escaped field of one log line, never a forged line of its own, and a
# client pipelining thousands of requests writes at most 200 lines a
# second (the rest counted); a member
# file whose name holds a newline and a verdict is one escaped name in
# /readyz and in a fleet's table, never a forged "ready" line; a FIFO or a
# folder the glob matches is said to be one, not "does not exist".
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
export DBCARE_MODULE="$module"

mkdir m fleet outside
echo 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);' >m/V1__t.sql
for f in fleet/a fleet/b outside/victim; do run 0 migrate --db "sqlite:$f.db" --dir m; done

# --- the token file: readable or writable by others, or owned by another
# user, is refused (exit 2)
head -c 32 /dev/urandom | base64 >token
for mode in 644 604 620 602; do
  chmod "$mode" token
  run 2 serve --db sqlite:fleet/a.db --allow-writes --token-file token
  has 'by other users (chmod 600 it)' err
done
chmod 600 token
# one only another user owns (mode 600 or not), or a symlink to it: that
# user can read and replace it (a file of root's, a mounted secret, is taken)
if [ "$(id -u)" = 0 ]; then
  cp token theirs.tok; chown nobody theirs.tok; ln -s theirs.tok link.tok
  for f in theirs.tok link.tok; do
    # bounded: a token taken starts the server, which would not end
    set +e; timeout 10 "$cli" serve --db sqlite:fleet/a.db --allow-writes --token-file "$f" \
      --listen 127.0.0.1:0 >out 2>err; got=$?; set -e
    [ "$got" = 2 ] || fail "$f: another user's token file was taken (exit $got): $(cat err)"
    has 'belongs to another user' err
  done
fi
mkfifo fifo.tok
run 2 serve --db sqlite:fleet/a.db --allow-writes --token-file fifo.tok
has 'is not a regular file' err

# --- the fleet glob: symlinks are left out, unless --follow-symlinks
ln -s /etc/passwd fleet/passwd.db
ln -s ../outside/victim.db fleet/z.db
run 0 status --db 'sqlite:fleet/*.db' --json
has 'fleet/passwd.db is a symlink: left out' err
has 'fleet/z.db is a symlink: left out' err
[ "$(json "sorted(r['database'] for r in d['databases'])")" = "['sqlite:fleet/a.db', 'sqlite:fleet/b.db']" ] ||
  fail "the glob took: $(cat out)"
rm fleet/passwd.db
run 0 status --db 'sqlite:fleet/*.db' --json --follow-symlinks
[ "$(json "sorted(r['database'] for r in d['databases'])")" = "['sqlite:fleet/a.db', 'sqlite:fleet/b.db', 'sqlite:fleet/z.db']" ] ||
  fail "--follow-symlinks took: $(cat out)"
mkdir only-links
ln -s ../outside/victim.db only-links/v.db
run 1 status --db 'sqlite:only-links/*.db'
has 'no database file matches' err; has 'not followed without --follow-symlinks' err
rm fleet/z.db
# a wildcard that matches a symlinked folder leads out of the fleet too
mkdir -p tenants/a
cp fleet/a.db tenants/a/app.db
ln -s ../outside tenants/evil
cp outside/victim.db outside/app.db
run 0 status --db 'sqlite:tenants/*/app.db' --json
has 'tenants/evil/app.db is reached through the symlink tenants/evil: left out' err
[ "$(json "[r['database'] for r in d['databases']]")" = "['sqlite:tenants/a/app.db']" ] ||
  fail "the glob went through a symlinked folder: $(cat out)"
run 0 status --db 'sqlite:tenants/*/app.db' --json --follow-symlinks
[ "$(json "len(d['databases'])")" = 2 ] || fail "--follow-symlinks: $(cat out)"

# --- the request log: one line per request, the client's bytes escaped
start_serve serve.log --db 'sqlite:fleet/*.db' --dir m
get "$base/livez%0A2099-01-01T00:00:00.000Z%20GET%20/forged%20200%201ms"
want_code 404 "a path with a newline"
# %00 is no end of the path: not /livez, and logged whole
get "$base/livez%00x"; want_code 404 "/livez%00x"
get "$base/livez"; want_code 200 livez
# a client pipelining 3,000 requests writes at most 200 lines a second;
# the rest are counted on the first line of a later second
"$py" - "$port" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 3000)
got = b""
while got.count(b"HTTP/1.1 200") < 3000:
    b = s.recv(1 << 16)
    if not b:
        sys.exit("the connection closed after %d answers" % got.count(b"HTTP/1.1 200"))
    got += b
PY
sleep 1.1
get "$base/livez"; want_code 200 "livez after the flood"
stop_serve
! grep -q '^2099-01-01T00:00:00.000Z GET /forged' serve.log || fail "a forged log line: $(cat serve.log)"
grep -Eq 'Z GET /livez%0A2099-01-01T00:00:00.000Z%20GET%20/forged%20200%201ms 404 [0-9]+ms$' serve.log ||
  fail "the escaped path is not logged: $(cat serve.log)"
grep -Eq 'Z GET /livez%2500x 404 [0-9]+ms$' serve.log || fail "/livez%00x is not logged whole: $(grep livez% serve.log)"
most=$(grep -Eo '^[0-9-]+T[0-9:]+\.[0-9]+Z GET /livez ' serve.log | cut -c1-19 | sort | uniq -c | sort -n | tail -1 | awk '{print $1}')
[ "$most" -le 200 ] || fail "$most request lines in one second"
logged=$(grep -Ec '^[0-9-]+T[0-9:]+\.[0-9]+Z GET /livez 200 ' serve.log)
left=$(sed -n 's/^dbcare: \([0-9]*\) request lines left out of this log (more than 200 a second)$/\1/p' serve.log |
  awk '{n += $1} END {print n + 0}')
[ "$((logged + left))" = 3002 ] || fail "$logged lines logged and $left left out of 3,002 requests"

# --- a member's name is one field of one line in every text output
mkdir names
forged='victim.db: ready (status healthy, read 0s ago)'
run 0 migrate --db "sqlite:names/$(printf 'nl\n%s\nx' "$forged").db" --dir m
run 0 migrate --db sqlite:names/good.db --dir m
mkfifo names/fifo.db
mkdir names/dir.db
run 1 status --db 'sqlite:names/*.db'
! grep -q '^victim.db' out err || fail "a forged line in the fleet's table: $(cat out err)"
has "sqlite:names/nl\n$forged\nx.db  ok" out
has '"names/fifo.db" is not a regular file but a FIFO' err
has '"names/dir.db" is not a regular file but a directory' err
! grep -q 'does not exist' err || fail "a FIFO or a folder called missing: $(cat err)"
start_serve serve-names.log --db 'sqlite:names/*.db' --dir m
get "$base/readyz"; want_code 503 "readyz with a FIFO and a folder in the fleet"
stop_serve
! grep -q '^victim.db' body || fail "a forged line in /readyz: $(cat body)"
grep -qF "nl\n$forged\nx.db: ready (status healthy" body || fail "the escaped name: $(cat body)"
grep -qF 'fifo.db: not ready: no health report (dbcare: "names/fifo.db" is not a regular file but a FIFO' body ||
  fail "the FIFO in /readyz: $(cat body)"
[ "$(grep -c '' body)" = 5 ] || fail "/readyz has a line per member and a verdict: $(cat body)"
echo "ok"
