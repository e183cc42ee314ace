"""page_check.py — whether docs/benchmarks.md says what docs/benchmarks.csv
records: its results table exactly the one test/bench/benchlib.py makes
from the file's rows, every row's commit one of this repository's (measured
on a clean checkout of it: no "-dirty", no "unknown"), and the page at most
MAX_LINES lines. Run by test/script/core_benchmarks_page.sh."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

MAX_LINES = 700
PAGE = os.path.join(benchlib.ROOT, "docs", "benchmarks.md")
RESULTS = os.path.join(benchlib.ROOT, "docs", "benchmarks.csv")
REMEDY = "HINT: the table is written by `make bench` (test/bench/run.sh), never by hand"


def problems():
    out = []
    block = benchlib.results_block(PAGE)
    if block is None:
        return [f"docs/benchmarks.md has no results block ({benchlib.BEGIN})"]
    rows = benchlib.read_csv(RESULTS)
    if not rows:
        out.append("docs/benchmarks.csv records no figures")
    table = [line for line in block.splitlines() if line.startswith("|")]
    want = benchlib.render_table(rows)
    if table != want:
        diff = next((i for i, (a, b) in enumerate(zip(table, want)) if a != b), min(len(table), len(want)))
        out.append(f"the table of docs/benchmarks.md differs from docs/benchmarks.csv at its line "
                   f"{diff + 1}:\n  page:    {table[diff] if diff < len(table) else '(none)'}"
                   f"\n  results: {want[diff] if diff < len(want) else '(none)'}")
    for commit in sorted({r["commit"] for r in rows}):
        if not commit or commit == "unknown" or commit.endswith("-dirty"):
            out.append(f"docs/benchmarks.csv has figures of commit '{commit}', not of a commit "
                       "(measured on a changed or unknown tree)")
        elif subprocess.run(["git", "-C", benchlib.ROOT, "cat-file", "-e", f"{commit}^{{commit}}"],
                            capture_output=True).returncode != 0:
            out.append(f"docs/benchmarks.csv names commit {commit}, which this repository does not have")
    with open(PAGE) as f:
        n = sum(1 for _ in f)
    if n > MAX_LINES:
        out.append(f"docs/benchmarks.md has {n} lines, more than {MAX_LINES}: the results page keeps "
                   "the table and the method; how a figure came about belongs in its commit message")
    return out


def main():
    found = problems()
    for p in found:
        print(f"dbcare: {p}", file=sys.stderr)
    if found:
        print(REMEDY, file=sys.stderr)
        sys.exit(1)
    print("docs/benchmarks.md: its table is docs/benchmarks.csv's")


if __name__ == "__main__":
    main()
