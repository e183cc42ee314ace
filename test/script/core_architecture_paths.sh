#!/usr/bin/env bash
# docs/ARCHITECTURE.md stays true to the tree, a check of the sources:
#   1. every file or folder it names exists: a path from the top
#      (`core/backup/backup_tool.h`, `cli/serve/`), one inside core/, cli/
#      or a glue as the text names them (`backup/backup_tool.h`,
#      `cmd/health_file.c`, `host/glue.h`), or a bare file name (`host.c`) of some file of
#      the repository; names with a placeholder (`fn_<part>.c`, `pitr_*.c`,
#      `backup_{exact,incr}.c`) are patterns, not files, and are left out;
#   2. its map draws every folder of cli/ (a line "  cli/NAME/") and every
#      part of the glues (a line "  sqlite/NAME/" or "  pg/NAME/", pg/'s
#      gen, sql and upgrade on one), and no folder that is not there.
# Usage: core_architecture_paths.sh [ROOT] (default: this tree).
set -eu
root=${1:-"$(dirname "$0")/../.."}
exec python3 - "$root" <<'PY'
import os, re, subprocess, sys

os.chdir(sys.argv[1])
doc = "docs/ARCHITECTURE.md"
text = open(doc, encoding="utf-8").read()
files = subprocess.run(["git", "ls-files"], capture_output=True, text=True, check=True).stdout.split()
if len(files) < 200:
    sys.exit(f"FAIL: git ls-files lists only {len(files)} files (test premise)")
names = {os.path.basename(f) for f in files}
failures = []

EXT = r"(?:c|h|sh|sql|md|json|txt|py)"
token = re.compile(r"(?<![\w<>*{}/.$-])([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*(?:\." + EXT + r"|/))(?![\w<>*{}/-])")
checked = 0
for n, line in enumerate(text.split("\n"), 1):
    for m in token.finditer(line):
        p = m.group(1)
        if p.startswith(("http", "www.")) or p.startswith("build/") or p == "/":
            continue
        if "/" not in p.rstrip("/"):
            if p.endswith("/"):
                ok = any(os.path.isdir(os.path.join(b, p)) for b in ("", "core", "cli", "test", "sqlite", "pg"))
            else:
                ok = p in names or os.path.exists(p)
        else:
            ok = any(os.path.exists(os.path.join(b, p.rstrip("/"))) for b in ("", "core", "cli", "sqlite", "pg"))
        checked += 1
        if not ok:
            failures.append(f"{doc}:{n}: names {p}, which does not exist")
if checked < 100:
    failures.append(f"only {checked} paths found in {doc}: the scan is broken")

drawn = set(re.findall(r"^  cli/([a-z_]+)/", text, re.M))
folders = {d for d in os.listdir("cli") if os.path.isdir(os.path.join("cli", d))}
for d in sorted(folders - drawn):
    failures.append(f"{doc}'s layout does not draw cli/{d}/")
for d in sorted(drawn - folders):
    failures.append(f"{doc}'s layout draws cli/{d}/, which does not exist")

for glue in ("sqlite", "pg"):
    drawn = set()
    for line in text.split("\n"):
        m = re.match(r"  ((?:" + glue + r"/[a-z_]+/ ?)+)", line)
        if m:
            drawn |= set(re.findall(glue + r"/([a-z_]+)/", m.group(1)))
    parts = {d for d in os.listdir(glue) if os.path.isdir(os.path.join(glue, d))}
    for d in sorted(parts - drawn):
        failures.append(f"{doc}'s map does not draw {glue}/{d}/")
    for d in sorted(drawn - parts):
        failures.append(f"{doc}'s map draws {glue}/{d}/, which does not exist")
print(f"ok: {checked} paths named by {doc} exist; its map draws the {len(folders)} folders of cli/ "
      f"and the glues' parts")
if failures:
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
PY
