#!/usr/bin/env bash
# Periodic bases of a capture that runs without a stop (docs/backups.md,
# "Retention"): `dbcare log --base-interval 1s` takes a new base every
# second while a writer commits, each copied a step per poll (here 1 ms a
# poll: the copy spans many polls and commits), without a gap: restores to
# moments just before and just after each new base give the database as
# it was at that moment, row for row, passing integrity_check, the one
# before from the older base, the one after from the newer. `log prune
# --keep 2` then deletes the older bases and their segments (before this
# capture took periodic bases it deleted nothing: one base for the whole
# run) and what it keeps still restores. A capture killed (-9) while it
# copies a base leaves a log that restores, and the next capture removes
# the half copy, continues the log and takes its base.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
. "$(dirname "$0")/lib/pitr.sh"
db="$work/app.db" log="$work/log"
mkdir "$log"
# 8 MB of rows: a base of some 2,000 pages, copied in many polls
"$py" - "$db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode = wal")
db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
db.execute("CREATE TABLE c (n INTEGER)")
db.execute("INSERT INTO c VALUES (0)")
db.execute("BEGIN")
db.executemany("INSERT INTO t (id, v) VALUES (?, ?)", ((i, "%0500d" % i) for i in range(1, 8001)))
db.execute("COMMIT")
PY
# writer FROM TO MOMENTS: commits FROM..TO, each a row and an update, then
# quiet for 120 ms; writes "time-in-the-quiet commit" lines (the state at
# that moment: rows up to 8000 + commit, c.n = commit)
cat >"$work/writer.py" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
with open(sys.argv[4], "a") as out:
    for i in range(int(sys.argv[2]), int(sys.argv[3]) + 1):
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t (id, v) VALUES (?, ?)", (8000 + i, "w%d" % i))
        db.execute("UPDATE c SET n = ?", (i,))
        db.execute("COMMIT")
        time.sleep(0.06)
        out.write("%s %d\n" % (time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time())) +
                               ".%03d" % (int(time.time() * 1000) % 1000), i))
        out.flush()
        time.sleep(0.06)
PY
capture() { # ERRFILE: a capture with periodic bases, in the background
  DBCARE_TEST_BASE_STEP_MS=1 "$cli" log "$log" --sleep-ms 20 --segment-interval 300ms \
    --base-interval 1s --db "sqlite:$db" --module "$module" 2>>"$1" &
  pid=$!
}
capture "$work/c1.err"
pitr_wait_started "$work/c1.err" 1
"$py" "$work/writer.py" "$db" 1 40 "$work/moments" || fail "writer"
pitr_wait_vouched "$log" "$(tail -n 1 "$work/moments" | cut -c1-23)" --db "sqlite:$db" --module "$module"
kill -TERM "$pid"; wait "$pid" || fail "capture: $(cat "$work/c1.err")"
nbases=$(ls "$log"/base-*.db | wc -l)
[ "$nbases" -ge 4 ] || fail "a capture of ~5 s with --base-interval 1s took $nbases bases: $(cat "$work/c1.err")"
grep -q "^log: a periodic base: copying" "$work/c1.err" || fail "no periodic base said: $(cat "$work/c1.err")"

# state DB N: the rows of DB equal the database's at commit N (row for row)
state() {
  "$py" - "$1" "$db" "$2" <<'PY'
import hashlib, sqlite3, sys
def digest(path, n):
    d = sqlite3.connect(path)
    h = hashlib.sha256()
    for row in d.execute("SELECT id, v FROM t WHERE id <= ? ORDER BY id", (8000 + n,)):
        h.update(repr(row).encode())
    return h.hexdigest()
# every row of the restored file, those of the live one up to commit n
r = digest(sys.argv[1], 1 << 40)
live = digest(sys.argv[2], int(sys.argv[3]))
n = sqlite3.connect(sys.argv[1]).execute("SELECT n FROM c").fetchone()[0]
ok = sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0]
sys.exit(0 if (r == live and n == int(sys.argv[3]) and ok == "ok") else 1)
PY
}
ms() { "$py" -c 'import calendar,sys,time; n=sys.argv[1]; print(calendar.timegm(time.strptime(n[5:22], "%Y-%m-%dT%H%M%S"))*1000+int(n[22:25]))' "$(basename "$1")"; }
tms() { "$py" -c 'import calendar,sys,time; t=sys.argv[1]; print(calendar.timegm(time.strptime(t[:19], "%Y-%m-%d %H:%M:%S"))*1000+int(t[20:23]))' "$1"; }
mapfile -t bases < <(ls "$log"/base-*.db)
mapfile -t moments <"$work/moments"
restores=0
restore_at() { # I NAME WANTED_BASE: moment I restores to the state of its commit, from that base
  local t=${moments[$1]% *} n=${moments[$1]##* }
  "$cli" restore --to-time "$t" "$log" --db "sqlite:$work/$2.db" --module "$module" >"$work/out" 2>&1 ||
    fail "moment $t (commit $n): $(cat "$work/out")"
  grep -q "base $(basename "$3")" "$work/out" || fail "moment $t: not from $(basename "$3"): $(cat "$work/out")"
  state "$work/$2.db" "$n" || fail "moment $t: not the database at commit $n"
  restores=$((restores + 1))
}
# for each periodic base: the last moment before it and the first after
# that the log covers (log status: a moment between a commit and the poll
# that read it, later than usual while a poll reads a base back, is not)
"$cli" log status "$log" --json --db "sqlite:$db" --module "$module" >"$work/status.json"
"$py" - "$work/status.json" "$work/moments" "${bases[@]}" >"$work/picks" <<'PY'
import calendar, json, os, sys, time
def ms(t):
    return calendar.timegm(time.strptime(t[:19], "%Y-%m-%d %H:%M:%S")) * 1000 + int(t[20:23])
st = [(ms(s["from"]), ms(s["to"])) for s in json.load(open(sys.argv[1]))["stretches"]]
moments = [ms(l[:23]) for l in open(sys.argv[2])]
covered = [i for i, m in enumerate(moments) if any(a <= m <= b for a, b in st)]
for k, path in enumerate(sys.argv[3:]):
    if k == 0:
        continue
    n = os.path.basename(path)
    b = calendar.timegm(time.strptime(n[5:22], "%Y-%m-%dT%H%M%S")) * 1000 + int(n[22:25])
    before = [i for i in covered if moments[i] < b]
    after = [i for i in covered if moments[i] >= b]
    if before:
        print(before[-1], k - 1, "b%d" % k)
    if after:
        print(after[0], k, "a%d" % k)
PY
while read -r i k name; do restore_at "$i" "$name" "${bases[$k]}"; done <"$work/picks"
[ "$restores" -ge 5 ] || fail "only $restores moments around the bases restored"

# prune: the two newest bases kept with what they need, the rest goes
"$cli" log prune "$log" --keep 2 --apply >"$work/pruned" 2>&1 || fail "prune: $(cat "$work/pruned")"
[ "$(ls "$log"/base-*.db | wc -l)" = 2 ] || fail "prune --keep 2 left $(ls "$log"/base-*.db | wc -l) bases"
grep -q "deleted .*log-.*dbclog" "$work/pruned" || fail "prune deleted no segment: $(cat "$work/pruned")"
# the moments restored above from a kept base still restore; one from a
# pruned base is refused
kept=0 refused=0
while read -r i k name; do
  if [ "$k" -ge $((nbases - 2)) ]; then
    restore_at "$i" "p$name" "${bases[$k]}"
    kept=$((kept + 1))
  elif ! "$cli" restore --to-time "${moments[$i]% *}" "$log" --db "sqlite:$work/q$name.db" \
    --module "$module" >"$work/out" 2>&1; then
    grep -q "^dbcare: the log in .* begins at" "$work/out" || fail "a pruned moment: $(cat "$work/out")"
    [ ! -e "$work/q$name.db" ] || fail "a refused restore left a file"
    refused=$((refused + 1))
  else
    fail "moment ${moments[$i]% *} restored from a pruned base: $(cat "$work/out")"
  fi
done <"$work/picks"
[ "$kept" -ge 1 ] && [ "$refused" -ge 1 ] || fail "after the prune: $kept moments kept, $refused refused"

# kill -9 while a base is copied: the log restores, the next capture goes on
# (a connection held open throughout: the WAL outlives the killed capture
# and the commands' own connections, so the next capture continues it)
"$py" -c 'import sqlite3, sys, time; d = sqlite3.connect(sys.argv[1]); d.execute("SELECT count(*) FROM sqlite_schema").fetchall(); time.sleep(600)' "$db" &
holder=$!
"$py" "$work/writer.py" "$db" 41 200 "$work/moments2" &
wpid=$!
capture "$work/c2.err"
for _ in $(seq 1 2400); do grep -q "^log: a periodic base: copying" "$work/c2.err" && break; sleep 0.05; done
grep -q "^log: a periodic base: copying" "$work/c2.err" || fail "no base copy began: $(cat "$work/c2.err")"
kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
kill "$wpid"; wait "$wpid" 2>/dev/null || true
ls "$log"/base-next*.tmp >/dev/null 2>&1 || fail "the kill did not land in a copy: $(cat "$work/c2.err")"
half=$(stat -c '%i %z' "$log"/base-next.db.tmp)
"$cli" restore --to-time latest "$log" --db "sqlite:$work/k.db" --module "$module" >"$work/out" 2>&1 ||
  fail "the killed log does not restore: $(cat "$work/out")"
[ "$(sqlite3 "$work/k.db" "PRAGMA integrity_check")" = ok ] || fail "the killed log restored a damaged file"
capture "$work/c3.err"
"$py" "$work/writer.py" "$db" 201 230 "$work/moments3" || fail "writer 3"
for _ in $(seq 1 2400); do grep -q "^log: base base-.*after commit" "$work/c3.err" && break; sleep 0.05; done
grep -q "^log: continuing epoch" "$work/c3.err" || fail "the next capture did not continue: $(cat "$work/c3.err")"
grep -q "^log: base base-.*after commit" "$work/c3.err" || fail "the next capture took no base: $(cat "$work/c3.err")"
# (the next capture may be copying a base of its own under that name)
[ "$(stat -c '%i %z' "$log"/base-next.db.tmp 2>/dev/null)" != "$half" ] || fail "the half copy is still there"
pitr_wait_vouched "$log" "$(tail -n 1 "$work/moments3" | cut -c1-23)" --db "sqlite:$db" --module "$module"
kill -TERM "$pid"; wait "$pid" || fail "capture 3: $(cat "$work/c3.err")"
kill "$holder"; wait "$holder" 2>/dev/null || true
# the last moment of the writer the log covers (one between a commit and
# a late poll is not: status says which)
"$cli" log status "$log" --json --db "sqlite:$db" --module "$module" >"$work/status3.json"
t=$("$py" - "$work/status3.json" "$work/moments3" <<'PY'
import calendar, json, sys, time
def ms(t):
    return calendar.timegm(time.strptime(t[:19], "%Y-%m-%d %H:%M:%S")) * 1000 + int(t[20:23])
st = [(ms(s["from"]), ms(s["to"])) for s in json.load(open(sys.argv[1]))["stretches"]]
print(([l.strip() for l in open(sys.argv[2]) if any(a <= ms(l) <= b for a, b in st)] or [""])[-1])
PY
)
[ -n "$t" ] || fail "the log covers no moment of the writer after the kill: $(cat "$work/status3.json")"
"$cli" restore --to-time "${t% *}" "$log" --db "sqlite:$work/z.db" --module "$module" >"$work/out" 2>&1 ||
  fail "after the kill, the next capture's moment: $(cat "$work/out")"
state "$work/z.db" "${t##* }" || fail "after the kill: not the database at commit ${t##* }"
echo "ok: $nbases bases, $restores moments around them restored, prune kept 2, a kill -9 in a copy survived"
