#!/usr/bin/env bash
# The command is a client of the extension (docs/ARCHITECTURE.md), a check
# of the sources of cli/ without a build:
#   1. it reaches bookkeeping only through the SQL API: no bookkeeping
#      table's name (dbcare.NAME on PostgreSQL, dbcare_NAME on SQLite, the
#      tables of the catalogue core/book/tables.c, and any the install and
#      upgrade SQL create), bare or quoted ("dbcare"."backups"), in the
#      code of cli/, the drivers included, strings included, comments left
#      out. A name split across C string literals is read whole: adjacent
#      literals are joined as the compiler joins them ("dbcare_" "backups",
#      across lines too), and a macro defined as a string literal
#      (#define T "dbcare_" in any file of cli/) is read as its literal
#      wherever it is used;
#   2. it never asks which engine it is on: no comparison with a driver
#      (== &cli_pg_driver), an engine constant (CLI_ENGINE_PG) or an engine
#      name (a string "postgresql" or "sqlite": compared, or a key of SQL
#      per engine; a driver's or target's engine name compared with
#      anything: strcmp(db->drv->engine, "pg"), ->engine == ...);
#   2b. nor compares drivers with each other (m->driver == db->drv,
#      a != b->drv): a database's driver picks its rows of the backup
#      methods in one place, cli_backup_method_next (backup_methods.c),
#      and nowhere else;
#   3. nor asks it through a driver's hook: a function pointer of
#      cli_driver (cli/driver/driver.h: dump, restore_from, ...) read
#      through a driver (db->drv->dump != NULL, if (!drv->restore_from),
#      bool pg = db->drv->dump) is an engine test in disguise; a hook is
#      called, and a test of it is allowed only in a function that calls
#      it ("the driver's own tool if it has one": cmd_dump.c). Which
#      backups a database has, and what applies to them, is a row of
#      cli/backup/backup_methods.c.
# The drivers are where engines differ (cli/driver/: the drivers and
# conn.c): they alone may ask which engine they are on (rules 2 and 3), and
# they too name no bookkeeping table (rule 1: what the SQLite driver's
# restore does to the backup catalog, the module's dbbackup_catalog_keep
# and dbbackup_catalog_carry do). Anywhere else in cli/, one comparison
# fails: what differs between engines is a driver's field or function
# (cli_driver, conn.h), or the core's.
# What a spelling can hide (a name put together at run time, a switch on
# the engine name's first letter, a library called outside cli/driver/) is
# read from the built objects by core_cli_objects.sh.
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
sqlite_book = open("sqlite/book/bookkeeping.c", encoding="utf-8").read()
tables |= set(re.findall(r"\bdbcare_([a-z_]+)\b", " ".join(
    re.findall(r"CREATE TABLE[^(]*", sqlite_book))))
tables |= {"bookkeeping"}  # SQLite's own row of versions (sqlite/book/bookkeeping.c)
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

# two drivers compared: allowed only in the function that matches a
# database's driver with the backup methods' rows
driver_identity = re.compile(r"(\.|->)(driver|drv)\s*[!=]=|[!=]=\s*[\w>.-]*(\.|->)(driver|drv)\b")
DRIVER_MATCH = ("cli/backup/backup_methods.c", "cli_backup_method_next")


def function_at(text, pos):
    """The name of the top-level C function whose body holds pos."""
    found = None
    for m in re.finditer(r"^[A-Za-z_][^;{}]*?\b(\w+)\s*\([^;{}]*\)\s*\{", text[:pos], re.M):
        found = m.group(1)
    return found


STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
IDENT = re.compile(r"[A-Za-z_]\w*")
IDENT_CHAR = re.compile(r"\w")
DEFINE_BEFORE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+$", re.M)
# a macro whose body is string literals and names of other such macros
MACRO = re.compile(r'^[ \t]*#[ \t]*define[ \t]+(\w+)[ \t]+((?:(?:"(?:[^"\\\n]|\\.)*"|[A-Za-z_]\w*)[ \t]*)+)$', re.M)
MACRO_PART = re.compile(r'"(?:[^"\\\n]|\\.)*"|[A-Za-z_]\w*')


def joined(text, macros):
    """The code with each string macro replaced by its literal and each run
    of adjacent string literals joined into one (as C joins them), and for
    each character of the result the line it came from."""
    out, lines, i, line, n = [], [], 0, 1, len(text)

    def literal_at(i):
        """(the literal's text, where it ends) when a string literal or a
        string macro's name starts at i, else None."""
        if text.startswith('"', i):
            m = STRING.match(text, i)
            return (m.group(0), m.end()) if m else (text[i:], n)
        m = IDENT.match(text, i)
        if m and m.group(0) in macros and (i == 0 or not IDENT_CHAR.match(text[i - 1])) \
                and not DEFINE_BEFORE.search(text, text.rfind("\n", 0, i) + 1, i):
            return macros[m.group(0)], m.end()
        return None

    while i < n:
        c = text[i]
        lit = literal_at(i)
        if lit:
            start_line, body, i = line, lit[0][:-1], lit[1]
            while True:  # the literals that follow, blanks and line breaks between
                j = i
                while j < n and text[j] in " \t\r\n":
                    j += 1
                nxt = literal_at(j) if j < n else None
                if not nxt:
                    break
                line += text.count("\n", i, j)
                body += nxt[0][1:-1]
                i = nxt[1]
            body += '"'
            out.append(body)
            lines.extend([start_line] * len(body))
        elif c == "'":
            j = i + 1
            while j < n and text[j] not in "'\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            lines.extend([line] * (j + 1 - i))
            i = j + 1
        elif IDENT_CHAR.match(c):
            m = re.compile(r"\w+").match(text, i)
            out.append(m.group(0))
            lines.extend([line] * len(m.group(0)))
            i = m.end()
        else:
            out.append(c)
            lines.append(line)
            line += c == "\n"
            i += 1
    return "".join(out), lines


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


files = sorted(glob.glob("cli/**/*.[ch]", recursive=True))
if len(files) < 40:
    failures.append("found only %d files in cli/" % len(files))
texts = {path: strip_comments(open(path, encoding="utf-8").read()) for path in files}
macro_parts = {}
for text in texts.values():
    for name, body in MACRO.findall(text):
        macro_parts[name] = MACRO_PART.findall(body)
macros = {}
while True:  # a macro is known once every part of it is a literal or a known macro
    known = {name: '"' + "".join(p[1:-1] if p.startswith('"') else macros[p][1:-1]
                                 for p in parts) + '"'
             for name, parts in macro_parts.items() if name not in macros
             and any(p.startswith('"') for p in parts)
             and all(p.startswith('"') or p in macros for p in parts)}
    if not known:
        break
    macros.update(known)
asked = {}
for path in files:
    text = texts[path]
    code, lines = joined(text, macros)
    for m in book.finditer(code):
        failures.append(f"{path}:{lines[m.start()]}: names the bookkeeping table {m.group(0)}: "
                        "reach it through a dbcare function")
    if DRIVERS.search(path):
        continue
    for n, line in enumerate(text.split("\n"), 1):
        if engine.search(line):
            asked.setdefault(path, []).append(n)
    for m in driver_identity.finditer(text):
        if (path, function_at(text, m.start())) != DRIVER_MATCH:
            failures.append(f"{path}:{text.count(chr(10), 0, m.start()) + 1}: compares drivers "
                            f"({m.group(0).strip()}): a database's backup methods come from "
                            "cli_backup_method_next (cli/backup/backup_methods.c)")
    for n, what in hook_tests(path, text):
        failures.append(f"{path}:{n}: tests the driver's hook ({what}) instead of calling it: "
                        "an engine test in disguise; a driver's field or a backup method's "
                        "row (cli/backup/backup_methods.c) says what applies")

for path, lines in sorted(asked.items()):
    failures.append(f"{path}: asks which engine it is on at lines {lines}: "
                    "a driver's job (cli/driver/)")
print("ok: %d bookkeeping tables never named in cli/ (%d string macros read), no engine "
      "question outside the drivers (%d driver hooks only called)" % (len(tables), len(macros), len(hooks)))
if failures:
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
PY
