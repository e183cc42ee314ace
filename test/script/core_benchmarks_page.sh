#!/usr/bin/env bash
# docs/benchmarks.md is generated: its results table must be exactly the
# one test/bench/benchlib.py makes from docs/benchmarks.csv (the figures
# `make bench` recorded), every figure of a commit of this repository
# measured on a clean checkout, and the page at most 700 lines
# (test/bench/page_check.py).
set -eu
cd "$(dirname "$0")/../.."
command -v git > /dev/null || { echo "FAIL: git is needed to check the figures' commits"; exit 1; }
/usr/bin/python3 test/bench/page_check.py || { echo "FAIL: docs/benchmarks.md and docs/benchmarks.csv disagree (above)"; exit 1; }
