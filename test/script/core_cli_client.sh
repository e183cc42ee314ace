#!/usr/bin/env bash
# The command is a client of the extension (docs/ARCHITECTURE.md), a check
# of the sources of cli/ without a build:
#   1. it reaches bookkeeping only through the SQL API: no bookkeeping
#      table's name (dbcare.NAME on PostgreSQL, dbcare_NAME on SQLite, the
#      tables of the catalogue core/book/tables.c, and any the install and
#      upgrade SQL create), bare or quoted ("dbcare"."backups"), in the
#      code of cli/, strings included, comments left out;
#   2. it never asks which engine it is on: no comparison with a driver
#      (== &cli_pg_driver), an engine constant (CLI_ENGINE_PG) or an engine
#      name (a string "postgresql" or "sqlite": compared, or a key of SQL
#      per engine; a driver's or target's engine name compared with
#      anything: strcmp(db->drv->engine, "pg"), ->engine == ...);
#   3. nor asks it through a driver's hook: a function pointer of
#      cli_driver (cli/driver/driver.h: dump, restore_from, ...) read
#      through a driver (db->drv->dump != NULL, if (!drv->restore_from),
#      bool pg = db->drv->dump) is an engine test in disguise; a hook is
#      called, and a test of it is allowed only in a function that calls
#      it ("the driver's own tool if it has one": cmd_dump.c). Which
#      backups a database has, and what applies to them, is a row of
#      cli/backup/backup_methods.c.
# The drivers are where engines differ (cli/driver/: the drivers, conn.c,
# and sqlite_restore.c, the SQLite driver's restore_from, which carries the
# backup catalog across a restore with sqlite3 calls) and are not checked;
# anywhere else in cli/, one comparison fails: what differs between engines
# is a driver's field or function (cli_driver, conn.h), or the core's.
# Usage: core_cli_client.sh [ROOT] (default: this tree).
set -eu
root=${1:-"$(dirname "$0")/../.."}
exec python3 - "$root" <<'PY'
import glob, os, re, sys

os.chdir(sys.argv[1])
failures = []

DRIVERS = re.compile(r"^cli/driver/")


def strip_comments(text):
    """Comments blanked (strings kept: SQL lives in them), lines kept."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text[i] in "\"'":
            q, j = text[i], i + 1
            while j < n and text[j] != q:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


tables = set(re.findall(r'DBC_BOOK_TABLE\("([a-z_]+)"',
                        open("core/book/tables.c", encoding="utf-8").read()))
for path in glob.glob("pg/sql/*.sql") + glob.glob("pg/upgrade/*.sql"):
    tables |= set(re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?dbcare\.([a-z_]+)",
                             open(path, encoding="utf-8").read()))
sqlite_book = open("sqlite/bookkeeping.c", encoding="utf-8").read()
tables |= set(re.findall(r"\bdbcare_([a-z_]+)\b", " ".join(
    re.findall(r"CREATE TABLE[^(]*", sqlite_book))))
tables |= {"bookkeeping"}  # SQLite's own row of versions (sqlite/bookkeeping.c)
if len(tables) < 20:
    failures.append("found only %d bookkeeping tables: %s" % (len(tables), sorted(tables)))
# dbcare.NAME, dbcare_NAME, and the schema and name quoted ("dbcare"."NAME",
# written \"dbcare\".\"NAME\" in a C string)
book = re.compile(r'\bdbcare[._](%s)\b|\\?"dbcare\\?"\s*\.\s*\\?"?(%s)\b'
                  % (("|".join(sorted(tables, key=len, reverse=True)),) * 2))

engine = re.compile(
    r"[!=]=\s*&?\s*cli_(pg|sqlite)_driver\b|\bcli_(pg|sqlite)_driver\s*[!=]="
    r"|\bCLI_ENGINE_(PG|SQLITE)\b"
    r"|\"(postgresql|sqlite)\""
    # a driver's or a target's engine name compared, whatever it is compared with
    r"|(\.|->)engine\s*(\[[^]]*\])?\s*[!=]=|[!=]=\s*[\w>.-]*(\.|->)engine\b"
    r"|\bstrn?(case)?cmp\s*\([^;]*((\.|->)engine\b|cli_target_engine_name\s*\()"
    r"|\bcli_target_engine_name\s*\([^)]*\)\s*[!=]=")

driver_h = strip_comments(open("cli/driver/driver.h", encoding="utf-8").read())
struct = re.search(r"typedef struct cli_driver \{(.*?)\} cli_driver;", driver_h, re.S)
hooks = set(re.findall(r"\(\s*\*\s*(\w+)\s*\)\s*\(", struct.group(1))) if struct else set()
if not {"dump", "restore_from", "query"} <= hooks:
    failures.append("found only the driver hooks %s in cli/driver/driver.h" % sorted(hooks))


def blank_strings(text):
    """String and character literals blanked (their braces are no code)."""
    return re.sub(r'"(\\.|[^"\\\n])*"|\'(\\.|[^\'\\\n])*\'',
                  lambda m: " " * len(m.group(0)), text)


def bodies(text):
    """(start, end) of every top-level brace block: a function's body."""
    out, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c == "{":
            if depth == 0:
                start = i
            depth += 1
        elif c == "}" and depth:
            depth -= 1
            if depth == 0:
                out.append((start, i + 1))
    return out


def hook_tests(path, text):
    """Lines where a driver's hook is read, not called, in a function
    that never calls it."""
    code = blank_strings(text)
    names = {"drv"} | set(re.findall(r"\bcli_driver\s*\*\s*(\w+)", code))
    via = r"(?:\b\w*drv|\b(?:%s))\s*\)?\s*(?:->|\.)\s*(%s)\b" % (
        "|".join(sorted(names)), "|".join(sorted(hooks)))
    found = []
    for start, end in bodies(code):
        body = code[start:end]
        for m in re.finditer(via, body):
            if re.match(r"\s*\(", body[m.end():]):
                continue  # called
            if re.search(r"(?:->|\.)\s*%s\s*\(" % m.group(1), body):
                continue  # the test guards a call of the same hook
            found.append((code.count("\n", 0, start + m.start()) + 1, m.group(0)))
    return found


files = sorted(glob.glob("cli/*.[ch]") + glob.glob("cli/*/*.[ch]"))
if len(files) < 40:
    failures.append("found only %d files in cli/" % len(files))
asked = {}
for path in files:
    if DRIVERS.search(path):
        continue
    text = strip_comments(open(path, encoding="utf-8").read())
    for n, line in enumerate(text.split("\n"), 1):
        m = book.search(line)
        if m:
            failures.append(f"{path}:{n}: names the bookkeeping table {m.group(0)}: "
                            "reach it through a dbcare function")
        if engine.search(line):
            asked.setdefault(path, []).append(n)
    for n, what in hook_tests(path, text):
        failures.append(f"{path}:{n}: tests the driver's hook ({what}) instead of calling it: "
                        "an engine test in disguise; a driver's field or a backup method's "
                        "row (cli/backup/backup_methods.c) says what applies")

for path, lines in sorted(asked.items()):
    failures.append(f"{path}: asks which engine it is on at lines {lines}: "
                    "a driver's job (cli/driver/)")
print("ok: %d bookkeeping tables never named in cli/, no engine question outside the drivers "
      "(%d driver hooks only called)" % (len(tables), len(hooks)))
if failures:
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
PY
