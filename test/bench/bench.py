"""bench.py — runs every test/bench/bench_*.py (or those named in BENCH_ONLY,
comma-separated, e.g. BENCH_ONLY=schema,migrate) and writes the results into
docs/benchmarks.md and docs/benchmarks.csv; a BENCH_ONLY run replaces only
the rows of the modules it ran (benchlib.kept_rows: every row of a module
run whole, the figures measured again of one that ran only some of its
parts, as its PARTS_RUN says after its run). Started by test/bench/run.sh."""
import glob
import importlib
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402


def main():
    t0 = time.time()
    # the commit measured, read before anything runs
    commit = benchlib.run_commit()
    bench = benchlib.Bench()
    only = [x.strip() for x in os.environ.get("BENCH_ONLY", "").split(",") if x.strip()]
    files = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "bench_*.py")))
    modules = [os.path.basename(p)[len("bench_"):-3] for p in files]
    # bench name -> the module whose figures in instructions are rows of it
    rows_of = {}
    for name in modules:
        try:
            of = getattr(importlib.import_module(f"bench_{name}"), "ROWS_OF", None)
        except Exception:  # a module that cannot load says so when it runs
            of = None
        if of:
            rows_of[of] = name
    whole = set()  # the modules that ran all their parts, or failed
    partial = False  # some module ran only some of its parts
    for name in modules:
        if only and name not in only:
            continue
        benchlib.log(f"== {name}")
        benchlib.seed_random()
        bench.next_module()
        try:
            module = importlib.import_module(f"bench_{name}")
            bench.default_tx = getattr(module, "TX", None)
            module.run(bench)
            if getattr(module, "PARTS_RUN", None):
                partial = True
            else:
                whole.add(name)
        except Exception as e:  # one broken benchmark must not lose the others' figures
            whole.add(name)
            traceback.print_exc()
            bench.skip(name, f"failed: {type(e).__name__}: " + " ".join(str(e).split())[:300])
    info = benchlib.machine_info(bench.pg)
    peers = benchlib.peer_versions()
    out_dir = os.environ.get("BENCH_OUT", os.path.join(benchlib.ROOT, "docs"))
    os.makedirs(out_dir, exist_ok=True)
    csv_path = os.path.join(out_dir, "benchmarks.csv")
    kept = []
    if only or partial:  # the figures not made again stay as their last run left them
        new_keys = {benchlib.row_key(r.bench, r.engine, r.size, r.side) for r in bench.results}
        kept = benchlib.kept_rows(csv_path, whole, new_keys, modules, rows_of)
    # the rows as the results file records them: the page's table is made
    # from these alone
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    benchlib.write_csv(csv_path, [[r[k] for k in benchlib.CSV_FIELDS] for r in kept]
                       + [benchlib.csv_row(r, commit, date) for r in bench.results])
    rows = benchlib.read_csv(csv_path)
    md = benchlib.markdown(bench, info, peers, time.time() - t0, rows, len(kept))
    benchlib.write_docs(os.path.join(out_dir, "benchmarks.md"), md)
    print(md)
    missed = [r for r in bench.results if r.met is False]
    benchlib.log(f"bench: {len(bench.results)} figures, {len(missed)} targets missed, "
                 f"{len(bench.skipped)} skipped; {(time.time() - t0) / 60:.1f} min")


if __name__ == "__main__":
    main()
