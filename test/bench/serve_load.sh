#!/usr/bin/env bash
# serve_load.sh FILES SECONDS SCRAPERS — `dbcare serve` under load: a fleet
# of FILES SQLite files, SCRAPERS curl loops scraping /metrics (every fifth
# request /readyz) for SECONDS. Fails when a request fails (curl error or
# a status other than 200/503), when a file is ever seen open twice at once
# in /proc/PID/fd (sampled every 0.1 s; a file seen twice in one listing
# counts when both descriptors still name it when read again), or when
# serve's resident memory at rest after the last third of the run is more
# than a quarter (plus 16 MB) above that after the second (the first warms
# the allocator's arenas up). Prints the figures. `make bench` runs 1000 60 50; the suite's
# test/script/sqlite_serve_load.sh a smaller one.
# Needs DBCARE_MODULE (the SQLite module) and build/cli/dbcare.
set -eu
files=${1:?FILES}
seconds=${2:?SECONDS}
scrapers=${3:?SCRAPERS}
root=$(cd "$(dirname "$0")/../.." && pwd)
cli=$root/build/cli/dbcare
export DBCARE_MODULE=${DBCARE_MODULE:-$root/build/sqlite/dbcare.so}
work=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$work"

# the fleet: one migrated file, copied (each its own file and inode)
mkdir m fleet
echo 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);' >m/V1__t.sql
"$cli" migrate --db sqlite:template.db --dir m --quiet
sqlite3 template.db "INSERT INTO t (v) SELECT 'row ' || value FROM generate_series(1, 100)" 2>/dev/null ||
  sqlite3 template.db "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 100) INSERT INTO t (v) SELECT 'row ' || n FROM s"
for i in $(seq -w 1 "$files"); do cp template.db "fleet/db$i.db"; done

# made here: the background job opens it when it gets to run, and a read
# before then would end this script (set -e)
: >serve.log
# serve fixes glibc's mmap threshold itself (cli/serve/serve.c): its
# memory at rest then stays within a few MB from one third to the next,
# and a leak, small or large, still shows
"$cli" serve --db 'sqlite:fleet/*.db' --dir m --listen 127.0.0.1:0 2>serve.log &
serve=$!
pids+=("$serve")
port=
for _ in $(seq 1 200); do
  port=$(sed -n 's|^dbcare: serving .* on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' serve.log)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { cat serve.log; fail "serve did not start"; }

# scraper N: requests until the end, one line per request: status and ms
scraper() {
  local n=0 end=$1 out=$2 path
  while [ "$(date +%s%N)" -lt "$end" ]; do
    path=/metrics
    [ $((n % 5)) = 4 ] && path=/readyz
    # a failure says what it was: curl's exit code and message
    curl -s -m 30 -o /dev/null -w '%{http_code} %{time_total} curl=%{exitcode} %{errormsg}\n' \
      "http://127.0.0.1:$port$path" >>"$out" || true
    n=$((n + 1))
  done
}
# still_twice PATH FD...: the descriptors that named PATH in one listing
# still all name it. A listing is not a snapshot: a file closed and
# opened again by its next refresh while find reads the descriptors (a
# stall of find under load longer than --min-interval) shows up twice.
still_twice() {
  local path=$1 fd k=0
  shift
  for fd in "$@"; do
    [ "$(readlink "/proc/$serve/fd/$fd" 2>/dev/null)" = "$path" ] && k=$((k + 1))
  done
  [ "$k" -ge 2 ]
}
# the sampler (started first): files open twice, the peak resident memory
sampler() {
  local end=$1 listing open dup n d path
  while [ "$(date +%s%N)" -lt "$end" ]; do
    listing=$(find "/proc/$serve/fd" -mindepth 1 -maxdepth 1 -printf '%f %l\n' 2>/dev/null | grep '\.db$' || true)
    open=$(printf '%s\n' "$listing" | cut -d' ' -f2- | grep . || true)
    n=$(printf '%s' "$open" | grep -c . || true)
    d=
    for path in $(printf '%s\n' "$open" | sort | uniq -d); do
      # shellcheck disable=SC2046 # the descriptors' numbers, one word each
      still_twice "$path" $(printf '%s\n' "$listing" | awk -v p="$path" '{f = $1; sub(/^[^ ]* /, ""); if ($0 == p) print f}') &&
        d="$d $path"
    done
    dup=$d
    echo "$(date +%s%N) $n $(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$serve/status") ${dup:+TWICE:$dup}" >>samples.txt
    sleep 0.1
  done
}
# rss_at_rest: serve's resident memory once the scrapers of a third have
# all ended and serve is idle again: its threads back to the four it has
# at rest (main, the dispatcher, the head watchdog, the HTTP listener; a
# connection's thread and a refresh's end with them), so nothing in
# flight (each request holds its whole response, 1.6 MB for 200 files)
# moves it; a leak does. Waits on that state, at most 60 s.
idle_threads=4
threads() { sed -n 's/^Threads:[[:space:]]*//p' "/proc/$serve/status"; }
rss_at_rest() {
  local i
  for i in $(seq 1 600); do
    [ "$(threads)" -le "$idle_threads" ] && break
    sleep 0.1
  done
  [ "$(threads)" -le "$idle_threads" ] || return 1
  sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$serve/status"
}
# third END: the scrapers until END; rss is then serve's memory at rest
third() {
  local i scrapers_now=()
  for i in $(seq 1 "$scrapers"); do
    scraper "$1" "scraper$i.txt" &
    scrapers_now+=($!)
  done
  pids+=("${scrapers_now[@]}")
  wait "${scrapers_now[@]}" 2>/dev/null || true
  rss=$(rss_at_rest) || fail "serve still has $(threads) threads 60 s after the scrapers ended"
}
start=$(date +%s%N)
end=$((start + seconds * 1000000000))
sampler "$end" &
sampler_pid=$!
pids+=("$sampler_pid")
third $((start + seconds * 1000000000 / 3))
rss_first=$rss
third $((start + seconds * 2000000000 / 3))
rss_second=$rss
third "$end"
rss_end=$rss
wait "$sampler_pid" 2>/dev/null || true
kill -TERM "$serve"
rc=0
wait "$serve" || rc=$?

samples=$(wc -l <samples.txt)
twice=$(grep -c TWICE samples.txt || true)
max_fds=$(cut -d' ' -f2 samples.txt | sort -n | tail -1)
rss_peak=$(awk '$3 != "" {print $3}' samples.txt | sort -n | tail -1)
cat scraper*.txt >all.txt
total=$(wc -l <all.txt)
bad=$(grep -cvE '^(200|503) ' all.txt || true)
p50=$(cut -d' ' -f2 all.txt | sort -n | awk '{a[NR]=$1} END {print a[int(NR*0.5)+1]}')
p99=$(cut -d' ' -f2 all.txt | sort -n | awk '{a[NR]=$1} END {print a[int(NR*0.99)+1]}')
echo "serve_load: $files files, $scrapers scrapers, ${seconds}s: $total requests, $bad failed," \
  "p50 ${p50}s, p99 ${p99}s; RSS at rest ${rss_first}, ${rss_second} and ${rss_end} kB after" \
  "each third, peak ${rss_peak} kB;" \
  "at most $max_fds database files open at once, $twice samples of $samples with one open twice"
[ "$rc" = 0 ] || fail "serve exited $rc after SIGTERM"
[ "$total" -gt 0 ] || fail "no request was made"
[ -n "$rss_second" ] && [ -n "$rss_end" ] && [ "$samples" -gt 0 ] || fail "no sample of serve's files and memory"
[ "$bad" = 0 ] || { grep -vE '^(200|503) ' all.txt | cut -d' ' -f1,3- | sort | uniq -c; fail "$bad requests failed"; }
[ "$twice" = 0 ] || fail "a database file was open twice at once"
[ "$rss_end" -le $((rss_second + rss_second / 4 + 16384)) ] || fail "RSS at rest grew from $rss_second to $rss_end kB"
grep -q '^dbcare: stopped' serve.log || fail "no clean stop"
