#!/usr/bin/env bash
# 1,000 SQLite files migrated as a rollout is run: --jobs 2, a canary of 10
# and a failure cap. Every member ends at the target, the canaries' last
# migration committed before any other member's first, and the summary
# counts all 1,000 at the target. The wall time is printed, never asserted
# (a shared machine); its target (≤ 60 s) is the `cli` bench's row
# (docs/benchmarks.md, make bench).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
export DBCARE_MODULE="$module"
mkdir -p m tenants
for i in $(seq 1 10); do
  printf 'CREATE TABLE t%d (id INTEGER PRIMARY KEY, v TEXT);\nINSERT INTO t%d (v) VALUES (%s), (%s), (%s);\nCREATE INDEX t%d_v ON t%d (v);\n' \
    "$i" "$i" "'a'" "'b'" "'c'" "$i" "$i" > "m/V${i}__t$i.sql"
done
for i in $(seq -w 0 999); do : > "tenants/t$i.db"; done

start=$(date +%s.%N)
run 0 migrate --json --jobs 2 --canary 10 --max-failures 5 --db 'sqlite:tenants/*.db' --dir m
end=$(date +%s.%N)
[ "$(json 'd["versions"]')" = "[{'version': '10', 'pending': False, 'count': 1000}]" ] ||
  fail "summary versions: $(json 'd["versions"], d["states"]')"
[ "$(json '(d["states"]["ok"], d["failed"], d["exit"])')" = "(1000, 0, 0)" ] ||
  fail "states: $(json 'd["states"]')"

"$py" - "$module" <<'PY' || fail "members not at the target, or the canaries not first"
import glob, sqlite3, sys
files = sorted(glob.glob("tenants/*.db"))
assert len(files) == 1000, len(files)
first, last = {}, {}
for f in files:
    c = sqlite3.connect(f)
    c.enable_load_extension(True)
    c.load_extension(sys.argv[1])
    ups = c.execute("SELECT version, applied_at FROM dbmigrate_history() "
                    "WHERE direction = 'up' AND success ORDER BY id").fetchall()
    assert [int(v) for v, _ in ups] == list(range(1, 11)), (f, ups)
    assert c.execute("SELECT count(*) FROM t10").fetchone()[0] == 3, f
    first[f], last[f] = ups[0][1], ups[-1][1]
    c.close()
canaries, rest = files[:10], files[10:]
done = max(last[f] for f in canaries)
began = min(first[f] for f in rest)
assert done <= began, f"a member was migrated at {began}, before the canaries were done at {done}"
PY
# the canary stops the rollout: a migration failing on the first 10 runs on
# no other member
echo 'SELECT * FROM no_such_table;' > m/V11__bad.sql
run 1 migrate --json --jobs 2 --canary 10 --max-failures 20 --db 'sqlite:tenants/*.db' --dir m
[ "$(json '(d["states"]["failed"], d["states"]["not_run"])')" = "(10, 990)" ] ||
  fail "a failing canary: $(json 'd["states"]')"
# the failure cap stops it sooner: 5 failed, and at most the one other
# worker's member finishing after them
run 1 migrate --json --jobs 2 --canary 10 --max-failures 5 --db 'sqlite:tenants/*.db' --dir m
[ "$(json 'd["states"]["failed"] in (5, 6) and d["states"]["failed"] + d["states"]["not_run"] == 1000')" = True ] ||
  fail "the failure cap: $(json 'd["states"]')"
echo "1,000 SQLite files × 10 migrations, --jobs 2 --canary 10 --max-failures 5: $(echo "$end - $start" | bc) s"
