#!/usr/bin/env bash
# A BENCH_ONLY run of `make bench` replaces only the rows of the modules it
# ran (docs/benchmarks.md, "Running"; test/bench/benchlib.kept_rows), on
# the real results file: json_instructions writes rows of bench "json", so
# running it alone must keep bench_json's own figures (it once dropped
# them), running bench_json alone must keep json_instructions' figures, and
# a module run in part (BENCH_AUDIT_PARTS) loses only the figures it made
# again.
set -eu
cd "$(dirname "$0")/../.."
/usr/bin/python3 - <<'PY'
import glob, importlib, os, sys
sys.path.insert(0, "test/bench")
import benchlib

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

csv_path = "docs/benchmarks.csv"
rows = benchlib.read_csv(csv_path)
modules = [os.path.basename(p)[len("bench_"):-3] for p in sorted(glob.glob("test/bench/bench_*.py"))]
rows_of = {}
for m in modules:
    of = getattr(importlib.import_module(f"bench_{m}"), "ROWS_OF", None)
    if of:
        rows_of[of] = m
owner = {benchlib.row_key(r["bench"], r["engine"], r["size"], r["side"]):
         benchlib.row_module(r["bench"], r["side"], modules, rows_of) for r in rows}
orphans = sorted(k for k, m in owner.items() if m is None)
if orphans:
    fail(f"rows no bench_*.py writes: {orphans[:5]}")
def keys(rs):
    return {benchlib.row_key(r["bench"], r["engine"], r["size"], r["side"]) for r in rs}
def mine(m):
    return {k for k, o in owner.items() if o == m}
everything = keys(rows)
json_cpu, json_ir = mine("json"), mine("json_instructions")
if not json_cpu or not json_ir or {k[0] for k in json_ir} != {"json"}:
    fail("the results file has no rows of bench_json and bench_json_instructions under \"json\"")
# json_instructions alone, whole: its figures go, bench_json's stay
kept = keys(benchlib.kept_rows(csv_path, {"json_instructions"}, set(json_ir), modules, rows_of))
if kept != everything - json_ir:
    fail(f"BENCH_ONLY=json_instructions lost {len(everything - json_ir - kept)} other rows")
# json alone, whole, measuring one row fewer than before: that row goes too
kept = keys(benchlib.kept_rows(csv_path, {"json"}, set(sorted(json_cpu)[1:]), modules, rows_of))
if kept != everything - json_cpu:
    fail(f"BENCH_ONLY=json kept {len(kept - (everything - json_cpu))} of its rows or lost others")
# audit in part: only the figure measured again goes
one = sorted(mine("audit"))[0]
kept = keys(benchlib.kept_rows(csv_path, set(), {one}, modules, rows_of))
if kept != everything - {one}:
    fail("a module run in part lost rows it did not measure again")
print(f"ok: {len(rows)} rows, each of one module; BENCH_ONLY keeps the rows of modules not run")
PY
