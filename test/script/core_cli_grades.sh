#!/usr/bin/env bash
# One judge of a health report (issue 53): core/health grades it (status,
# worst_check, the health+json words: health_grades.c) and the command only
# copies and compares what core wrote. A check of the sources of cli/
# without a build: no code of cli/ (comments left out) writes a grade's
# word, "healthy", "warning", "critical" or "skipped", or a word of the
# health+json form, "pass", "warn" or "fail", as a string, so no file of
# the command can rank a report's or a check's status, a database reached
# or not, a report's age or its readiness of its own.
# cmd_lint.c is the one exception: "warning" there is a lint finding's
# severity (dbmigrate_lint's), not a health grade.
# A grade's word in another case or joined from pieces ("HEALTHY",
# "heal" "thy") is read from the built objects by core_cli_objects.sh.
# Usage: core_cli_grades.sh [ROOT] (default: this tree).
set -eu
root=${1:-"$(dirname "$0")/../.."}
exec python3 - "$root" <<'PY'
import glob, os, re, sys

os.chdir(sys.argv[1])
WORDS = ("healthy", "warning", "critical", "skipped", "pass", "warn", "fail")
ALLOWED = {("cli/cmd/cmd_lint.c", "warning")}
STRING_OR_COMMENT = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"', re.S)
failures, files = [], 0
for path in sorted(glob.glob("cli/**/*.[ch]", recursive=True)):
    files += 1
    text = open(path, encoding="utf-8").read()
    for m in STRING_OR_COMMENT.finditer(text):
        tok = m.group(0)
        if not tok.startswith('"') or tok[1:-1] not in WORDS:
            continue
        if (path, tok[1:-1]) in ALLOWED:
            continue
        line = text.count("\n", 0, m.start()) + 1
        failures.append(f"{path}:{line}: the grade {tok} in the command: "
                        "compare core's words (health/health.h: dbc_health_grade_rank, "
                        "dbc_health_reaches, dbc_health_api_status, dbc_health_api_reached, "
                        "dbc_health_not_ready)")
if files < 50:
    failures.append(f"only {files} files under cli/: wrong root?")
for f in failures:
    print("FAIL: " + f)
sys.exit(1 if failures else 0)
PY
