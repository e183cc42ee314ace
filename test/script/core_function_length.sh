#!/usr/bin/env bash
# No function of the C code (core/, pg/, sqlite/, cli/) is over 100 lines,
# from its header's first line to its closing brace, none excepted: a long
# function is split into named steps.
# Usage: core_function_length.sh [ROOT] (default: this tree).
set -eu
root=${1:-"$(dirname "$0")/../.."}
cd "$root"
exec python3 - <<'PY'
import glob, re, sys

LIMIT = 100
files = sorted(glob.glob("core/*/*.c") + glob.glob("pg/*/*.c") +
               glob.glob("sqlite/*/*.c") + glob.glob("cli/**/*.c", recursive=True))
found = {}
for f in files:
    lines = open(f, encoding="utf-8").read().split("\n")
    for i, line in enumerate(lines):
        if line != "{":
            continue
        k = i - 1  # the header's first line: the last one starting at column 0
        while k > 0 and lines[k].startswith((" ", "\t")):
            k -= 1
        j = i + 1
        while j < len(lines) and lines[j] not in ("}", "};"):
            j += 1
        if j == len(lines) or lines[j] == "};":
            continue  # an initialiser, not a function
        names = re.findall(r"(\w+)\s*\(", " ".join(lines[k:i]))
        names = [n for n in names if n not in ("__attribute__", "format", "nonnull", "unused")]
        if names:
            found[f + ":" + names[0]] = j - k + 1
failures = []
if len(found) < 1000:
    failures.append(f"found only {len(found)} functions: the scan is broken")
for key, n in sorted(found.items()):
    if n > LIMIT:
        failures.append(f"{key}: {n} lines (at most {LIMIT}: split it)")
for f in failures:
    print("FAIL: " + f)
if failures:
    sys.exit(1)
print(f"ok: {len(found)} functions, none over {LIMIT} lines")
PY
