#!/usr/bin/env bash
# No function of the C code (core/, pg/, sqlite/, cli/) is over 100 lines,
# from its header's first line to its closing brace, but those listed below
# (each at most the length it had when listed, to be split): a new long
# function fails, a listed one that grew fails, and a listed one that is no
# longer long fails too, so the list only shrinks.
# Usage: core_function_length.sh [ROOT] (default: this tree).
set -eu
root=${1:-"$(dirname "$0")/../.."}
cd "$root"
exec python3 - <<'PY'
import glob, re, sys

LIMIT = 100
# file:function -> lines when listed (issue 53: split these)
LISTED = {
    "core/migrate/migrate_script.c:analyse": 180,
    "cli/fleet.c:cli_run_fleet": 137,
    "core/health/health_render.c:dbc_health_report_prometheus": 102,
}
files = sorted(glob.glob("core/*/*.c") + glob.glob("pg/*.c") + glob.glob("pg/gen/*.c") +
               glob.glob("sqlite/*.c") + glob.glob("cli/*.c") + glob.glob("cli/*/*.c"))
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
for key, n in sorted(found.items()):
    if n > LIMIT and key not in LISTED:
        failures.append(f"{key}: {n} lines (at most {LIMIT}: split it)")
    elif key in LISTED and n > LISTED[key]:
        failures.append(f"{key}: {n} lines, more than the {LISTED[key]} it had when listed")
    elif key in LISTED and n <= LIMIT:
        failures.append(f"{key}: {n} lines now: take it off the list")
for key in LISTED:
    if key not in found:
        failures.append(f"{key}: listed but not found (renamed or split: update the list)")
for f in failures:
    print("FAIL: " + f)
if failures:
    sys.exit(1)
print(f"ok: {len(found)} functions, {len(LISTED)} listed ones over {LIMIT} lines, none new")
PY
