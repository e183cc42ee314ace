#!/usr/bin/env bash
# A fleet member is the file its --db glob found at start (docs/security.md):
# a tenant who, once serve (or a fleet command) has started, swaps its file
# for a symlink to another database, or its folder for a symlink to another
# folder, leads no open there. GET and POST /migrate answer an error for that
# member alone (the other members served and migrated as before), and the
# other database is neither read nor migrated. A hard link to a member is
# that member (one database served twice: refused); members sharing a name
# are all labelled by their paths, whatever the --db order.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
export DBCARE_MODULE="$module"

mkdir m fleet outside tenants tenants/a tenants/b elsewhere
echo 'CREATE TABLE t (id INTEGER PRIMARY KEY);' >m/V1__t.sql
sqlite3 fleet/a.db 'CREATE TABLE tenant_a(x)'
sqlite3 fleet/b.db 'CREATE TABLE tenant_b(x)'
sqlite3 outside/victim.db 'CREATE TABLE victim_secret(x)'
sqlite3 tenants/a/app.db 'CREATE TABLE tenant_a(x)'
sqlite3 tenants/b/app.db 'CREATE TABLE tenant_b(x)'
sqlite3 elsewhere/app.db 'CREATE TABLE victim_secret(x)'
head -c 32 /dev/urandom | base64 >tok
chmod 600 tok
auth="Authorization: Bearer $(cat tok)"
tables() { sqlite3 "$1" "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name)"; }

# $1: the swapped member's label; $2: the other member's; $3: the victim
swapped_member_refused() {
  local gone=$1 fine=$2 victim=$3
  get "$base/schema?database=$gone"
  ! grep -q victim_secret body || fail "$gone: the victim's schema was read: $(head -c 300 body)"
  get "$base/readyz"
  grep -q "symlink" body || fail "/readyz does not say why $gone is down: $(cat body)"
  get "$base/metrics"; want_code 200 metrics
  grep -q "^dbcare_up{engine=\"sqlite\",database=\"$gone\"} 0\$" body ||
    fail "$gone is up: $(grep '^dbcare_up' body)"
  grep -q "^dbcare_up{engine=\"sqlite\",database=\"$fine\"} 1\$" body ||
    fail "$fine is down: $(grep '^dbcare_up' body)"
  get "$base/migrate?database=$gone" -X POST -H "$auth"
  [ "$code" != 200 ] || fail "POST /migrate of $gone: 200: $(cat body)"
  grep -q 'symlink' body || fail "POST /migrate of $gone does not say why: $(cat body)"
  [ "$(tables "$victim")" = victim_secret ] || fail "the victim was migrated: $(tables "$victim")"
  get "$base/migrate?database=$fine" -X POST -H "$auth"; want_code 200 "POST /migrate of $fine"
  [ "$(body_json "d['result']['applied']")" = 1 ] || fail "$fine: $(cat body)"
}

# --- a member's file swapped for a symlink after start
start_serve serve.log --db 'sqlite:fleet/*.db' --dir m --allow-writes --token-file tok \
  --min-interval 0 --report-interval 0
get "$base/schema?database=b.db"; want_code 200 "b.db before the swap"
grep -q tenant_b body || fail "b.db's schema: $(head -c 300 body)"
mv fleet/b.db fleet/b.old
ln -s ../outside/victim.db fleet/b.db
swapped_member_refused b.db a.db outside/victim.db
# a hard link to the victim in its place: another file than the one found
rm fleet/b.db
ln outside/victim.db fleet/b.db
get "$base/migrate?database=b.db" -X POST -H "$auth"
grep -q 'another file than the one the --db glob found at start' body ||
  fail "a hard link swapped in: $(cat body)"
[ "$(tables outside/victim.db)" = victim_secret ] || fail "the victim was migrated through a hard link"
stop_serve

# --- a member's folder swapped for a symlink after start
start_serve serve2.log --db 'sqlite:tenants/*/app.db' --dir m --allow-writes --token-file tok \
  --min-interval 0 --report-interval 0
get "$base/schema?database=tenants/b/app.db"; want_code 200 "tenants/b before the swap"
mv tenants/b tenants/b.old
ln -s ../elsewhere tenants/b
swapped_member_refused tenants/b/app.db tenants/a/app.db elsewhere/app.db
stop_serve

# --- a fleet command: a member swapped while the first one is migrated
mkdir f3
for n in a b c; do sqlite3 "f3/$n.db" "CREATE TABLE tenant_$n(x)"; done
hold_lock f3/a.db IMMEDIATE
"$cli" migrate --db 'sqlite:f3/*.db' --dir m --jobs 1 >fleet.out 2>fleet.err &
fleet=$!
serve_pids+=("$fleet")
# the glob is expanded once a worker has f3/a.db open (waiting on the lock)
opened=
for _ in $(seq 1 200); do
  for p in $(pgrep -P "$fleet") "$fleet"; do
    for fd in "/proc/$p/fd/"*; do
      case $(readlink "$fd" 2>/dev/null) in */f3/a.db) opened=1 ;; esac
    done
  done
  [ -n "$opened" ] && break
  sleep 0.05
done
[ -n "$opened" ] || fail "the fleet's migrate never opened f3/a.db"
mv f3/b.db f3/b.old
ln -s ../outside/victim.db f3/b.db
kill "$locker"; wait "$locker" 2>/dev/null || true
got=0; wait "$fleet" || got=$?
[ "$got" = 1 ] || { cat fleet.out fleet.err; fail "the fleet's migrate: exit $got, want 1"; }
grep -q 'f3/b.db.*symlink' fleet.err || { cat fleet.out fleet.err; fail "f3/b.db's error"; }
[ "$(tables outside/victim.db)" = victim_secret ] || fail "the fleet's migrate migrated the victim"
[ "$(sqlite3 f3/c.db "SELECT count(*) FROM sqlite_master WHERE name = 't'")" = 1 ] ||
  fail "f3/c.db was not migrated"

# --- the folders written before the wildcard are the user's and may be
# links (SQLite's NOFOLLOW would refuse them): served, and a swap below
# them refused all the same
mkdir real
for n in p q; do sqlite3 "real/$n.db" "CREATE TABLE tenant_$n(x)"; done
ln -s real lnk
start_serve serve5.log --db 'sqlite:lnk/*.db' --min-interval 0
get "$base/schema?database=q.db"; want_code 200 "q.db through the user's link"
grep -q tenant_q body || fail "q.db's schema: $(head -c 300 body)"
mv real/q.db real/q.old
ln -s ../outside/victim.db real/q.db
get "$base/schema?database=q.db"
! grep -q victim_secret body || fail "q.db: the victim's schema was read: $(head -c 300 body)"
get "$base/metrics"; want_code 200 metrics
grep -q '^dbcare_up{engine="sqlite",database="q.db"} 0$' body &&
  grep -q '^dbcare_up{engine="sqlite",database="p.db"} 1$' body || fail "lnk/: $(grep '^dbcare_up' body)"
stop_serve

# --- --follow-symlinks: symlinks are followed, as asked
start_serve serve3.log --db 'sqlite:fleet/*.db' --follow-symlinks --min-interval 0
rm fleet/b.db
ln -s ../outside/victim.db fleet/b.db
get "$base/schema?database=b.db"; want_code 200 "b.db with --follow-symlinks"
grep -q victim_secret body || fail "--follow-symlinks did not follow: $(head -c 300 body)"
stop_serve

# --- a hard link is the file it links: one database served twice
mkdir hl
sqlite3 hl/victim.db 'CREATE TABLE v(x)'
ln hl/victim.db hl/hard.db
set +e
timeout 10 "$cli" serve --listen 127.0.0.1:0 --db 'sqlite:hl/*.db' >out 2>err
got=$?
set -e
[ "$got" = 2 ] || fail "a hard link served twice (exit $got): $(cat err)"
has 'sqlite:hl/hard.db and sqlite:hl/victim.db are one database served twice' err

# --- three members of one name: each labelled by its path, whatever the order
mkdir -p d1 d2 d3/d1
for f in d1/x.db d2/x.db d3/d1/x.db; do sqlite3 "$f" 'CREATE TABLE t(x)'; done
for order in 'd1/x.db d2/x.db d3/d1/x.db' 'd3/d1/x.db d1/x.db d2/x.db'; do
  args=()
  for f in $order; do args+=(--db "sqlite:$f"); done
  start_serve serve4.log "${args[@]}"
  get "$base/metrics"; want_code 200 metrics
  [ "$(grep '^dbcare_up{' body | sed 's/.*database="\([^"]*\)".*/\1/' | sort | tr '\n' ' ')" = \
    'd1/x.db d2/x.db d3/d1/x.db ' ] || fail "labels with --db $order: $(grep '^dbcare_up' body)"
  stop_serve
done
echo "ok"
