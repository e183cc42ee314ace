"""bench.py — runs every test/bench/bench_*.py (or those named in BENCH_ONLY,
comma-separated, e.g. BENCH_ONLY=schema,migrate) and writes the results into
docs/benchmarks.md and docs/benchmarks.csv; a BENCH_ONLY run replaces only
its own benchmarks' rows there. Started by test/bench/run.sh."""
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
    for path in files:
        name = os.path.basename(path)[len("bench_"):-3]
        if only and name not in only:
            continue
        benchlib.log(f"== {name}")
        benchlib.seed_random()
        try:
            module = importlib.import_module(f"bench_{name}")
            bench.default_tx = getattr(module, "TX", None)
            module.run(bench)
        except Exception as e:  # one broken benchmark must not lose the others' figures
            traceback.print_exc()
            bench.skip(name, f"failed: {type(e).__name__}: " + " ".join(str(e).split())[:300])
    info = benchlib.machine_info(bench.pg)
    peers = benchlib.peer_versions()
    out_dir = os.environ.get("BENCH_OUT", os.path.join(benchlib.ROOT, "docs"))
    os.makedirs(out_dir, exist_ok=True)
    csv_path = os.path.join(out_dir, "benchmarks.csv")
    kept = []
    if only:  # the other benchmarks' figures stay as their last run left them
        ran = set(only) | {r.bench for r in bench.results} | {b for b, _ in bench.skipped}
        kept = benchlib.kept_rows(csv_path, ran)
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
