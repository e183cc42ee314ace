#!/usr/bin/env bash
# The core never decides by engine name: what differs between engines comes
# from the host's dbc_dialect (core/base/dbc.h). This reads every C file of
# core/ without its comments and fails on
#   - a string literal that is an engine's name ("postgresql", "postgres",
#     "pg", "sqlite", "sqlite3", any case, blanks around it ignored): such a
#     name belongs in a dialect (pg/host/dialect.c, sqlite/host/dialect.c). Prose that
#     mentions an engine (a description, a hint) is not a name and passes;
#   - a string comparison (strcmp, strncmp, strcasecmp, ...) of anything
#     called engine, or of a dialect's field (its name is for outputs only);
#   - an engine mask compared with == or != (DBC_ENGINE_* bits are tested
#     with &, as catalogue rows say where they apply);
#   - a string literal naming one of PostgreSQL's predefined roles
#     (pg_read_all_data, pg_read_server_files, pg_monitor, ...): advice of
#     that kind is PostgreSQL's policy, which pg/host/dialect.c supplies.
# Usage: core_dialect.sh [DIR] (default: core/ of this tree).
set -eu
root=${1:-"$(dirname "$0")/../../core"}
exec python3 - "$root" <<'PY'
import os, re, sys

NAMES = {"postgresql", "postgres", "pg", "sqlite", "sqlite3"}
CMP = re.compile(r"\bstr(?:n?case|n)?cmp\s*\(([^;{}]*)")
ROLE = re.compile(r"\bpg_(?:read_all_\w+|write_all_\w+|read_server_files|write_server_files|"
                  r"execute_server_program|monitor|signal_backend|checkpoint|"
                  r"stat_scan_tables|database_owner)\b")
MASK = re.compile(r"\bengine_bit\s*[!=]=|[!=]=\s*DBC_ENGINE_\w+|\bDBC_ENGINE_\w+\s*[!=]=")


def scan(text):
    """Code with comments blanked (lines kept) and the string literals, by line."""
    code, literals, i, line, n = [], [], 0, 1, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            line += text.count("\n", i, j)
            code.append("\n" * text.count("\n", i, j) or " ")
            i = j
        elif c in "\"'":
            j, buf = i + 1, []
            while j < n and text[j] != c:
                if text[j] == "\\" and j + 1 < n:
                    buf.append(text[j:j + 2])
                    j += 2
                    continue
                buf.append(text[j])
                j += 1
            if c == '"':
                literals.append((line, "".join(buf)))
            code.append(c + "_" * (j - i - 1) + c)
            line += text.count("\n", i, j + 1)
            i = j + 1
        else:
            if c == "\n":
                line += 1
            code.append(c)
            i += 1
    return "".join(code), literals


problems = []
for dirpath, _, files in sorted(os.walk(sys.argv[1])):
    for f in sorted(files):
        if not f.endswith((".c", ".h")):
            continue
        path = os.path.join(dirpath, f)
        with open(path, encoding="utf-8") as fh:
            code, literals = scan(fh.read())
        for line, s in literals:
            if s.strip().lower() in NAMES:
                problems.append(f"{path}:{line}: engine name literal \"{s}\"")
            role = ROLE.search(s)
            if role:
                problems.append(f"{path}:{line}: PostgreSQL role {role.group(0)} in a literal")
        for no, text in enumerate(code.split("\n"), 1):
            m = CMP.search(text)
            if m and re.search(r"\bengine\b|\bdialect\b", m.group(1)):
                problems.append(f"{path}:{no}: compares an engine name: {text.strip()}")
            if MASK.search(text):
                problems.append(f"{path}:{no}: compares an engine mask: {text.strip()}")
for p in problems:
    print("FAIL:", p)
print(f"{len(problems)} engine-specific decisions in core/")
sys.exit(1 if problems else 0)
PY
