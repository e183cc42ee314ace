#!/usr/bin/env bash
# Source hygiene of the C code (core/, pg/, sqlite/), a check without a build:
#   1. no function prototype inside a .c file: a function another file calls
#      is declared in a header, a static one is defined before its first use.
#      The one exception is a static function that is mutually recursive with
#      another (no order defines both first): its forward declaration carries
#      a comment saying "mutually recursive" right above it;
#   2. no raw heap call (malloc, calloc, realloc, free, strdup) in core/
#      without a comment saying why the call's arena (dbc_alloc) does not do:
#      "why:" on the line or in the 8 lines above it, or "why (raw heap" in the
#      file's opening comment for a file whose memory all outlives the call;
#   3. no dead function: a non-static function named nowhere but by its own
#      definition and declaration (names made by token pasting from the API
#      table, sqldbc_<id>, count as used by the table);
#   4. the headers rule of docs/ARCHITECTURE.md: a file outside a part of
#      core/ includes only that part's public headers: any of base/, the one
#      named after the part (<part>/<part>.h), and schema/'s DDL reader;
#   5. one growth rule: a capacity or a size is doubled (cap * 2, size *= 2,
#      room <<= 1) only in core/base/heap_grow.c (dbc_grown_capacity), which
#      every helper grows by: dbc_grow for a call's arena and its text
#      buffer, dbc_heap_reserve for the heap, dbc_reserve_with for another
#      allocator (sqldbc_reserve: SQLite's), pgdbc_room for the PostgreSQL
#      glue's memory contexts; and no array is grown by realloc (realloc,
#      repalloc, sqlite3_realloc64 of a size with sizeof) outside it.
#      Nor, near an allocation (8 lines either side), is anything doubled
#      by hand whatever its name (next = next * 2, n <<= 1, len += len),
#      nor is a buffer realloc'd to its length plus what one append adds
#      (realloc(text, len + n + 1)): repeated, that copies the text again
#      each time (quadratic); dbc_heap_text grows a text by the rule.
#      Anywhere else in core/, pg/, sqlite/ or cli/ either fails, with no
#      exemption: a comment does not make a hand-written growth loop one;
#   6. no goto added: in core/, pg/, sqlite/ and cli/ a file has at most the
#      gotos GOTO_CEILING lists for it (what was left when the rule came:
#      cleanup paths of the sealed container and of the command's backup
#      files, the JSON readers' state machines), any other file none. A
#      file that loses some may lower its ceiling; none is ever raised;
#   7. a database's exposition labels written once (core/health);
#   8. a backup file sealed in one place: only core/container/seal_file.c
#      calls the container's encoder (seal, sync, read back, publish).
# (That cli/ parses no exposition text is read on its objects:
# core_cli_objects.sh, rule 6.)
# Usage: core_hygiene.sh [ROOT] (default: this tree).
set -eu
root=${1:-"$(dirname "$0")/../.."}
exec python3 - "$root" <<'PY'
import functools, glob, os, re, sys

root = sys.argv[1]
os.chdir(root)
failures = []


def glue(engine, ext):
    """A glue's sources: one folder per part (pg/gen/, build tools, apart)."""
    return [p for p in glob.glob(f"{engine}/*/*.{ext}") if not p.startswith("pg/gen/")]


SPECIAL = re.compile(r"[/\"']")


@functools.lru_cache(maxsize=None)
def strip(text):
    """Comments and string/char literals blanked, line structure kept.
    (Kept per text: the checks below read most files several times.)"""
    out, i, n = [], 0, len(text)
    while i < n:
        # the code up to the next character that may open a comment or a
        # literal, as it is
        m = SPECIAL.search(text, i)
        k = n if m is None else m.start()
        if k > i:
            out.append(text[i:k])
            i = k
            continue
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1:j]) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


sources = sorted(glob.glob("core/*/*.c") + glue("pg", "c") + glob.glob("pg/gen/*.c") +
                 glue("sqlite", "c"))
headers = sorted(glob.glob("core/*/*.h") + glue("pg", "h") + glue("sqlite", "h"))
if len(sources) < 100:
    sys.exit(f"FAIL: only {len(sources)} C files found under {root} (test premise)")

KEYWORDS = {"if", "while", "for", "switch", "return", "sizeof", "int", "char", "void", "bool",
            "long", "short", "unsigned", "signed", "double", "float", "const", "struct", "enum"}
SKIP_FIRST = re.compile(r"^\s*(typedef|_Static_assert|StaticAssertDecl|PG_FUNCTION_INFO_V1|"
                        r"PG_MODULE_MAGIC|SQLITE_EXTENSION_INIT\d)\b")

# 1. prototypes in .c files
for path in sources:
    text = open(path, encoding="utf-8").read()
    lines = text.split("\n")
    code = strip(text)
    depth, start, buf = 0, 0, ""
    for lineno, line in enumerate(code.split("\n"), 1):
        if line.lstrip().startswith("#"):
            continue
        for ch in line:
            if depth == 0:
                if not buf.strip():
                    start = lineno
                buf += ch
                if ch == ";" or ch == "{":
                    stmt = " ".join(buf.split())
                    buf = ""
                    if ch == ";" and "=" not in stmt and not SKIP_FIRST.match(stmt):
                        m = re.match(r"^[^(]*?\b([A-Za-z_]\w*)\s*\(", stmt)
                        if (m and m.group(1) not in KEYWORDS and not m.group(1).isupper()
                                and stmt.rstrip(";").rstrip().endswith(")")):
                            above = lines[start - 2] if start >= 2 else ""
                            static = stmt.startswith("static ")
                            if not (static and "mutually recursive" in above):
                                failures.append(f"{path}:{start}: prototype in a .c file: {stmt[:100]}")
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    buf = ""
print("ok: checked %d .c files for prototypes" % len(sources))

# 2. raw heap calls in core/
heap = re.compile(r"(?<![\w>.])(malloc|calloc|realloc|free|strdup|strndup)\s*\(")
raw_calls = 0
for path in sorted(glob.glob("core/*/*.c")):
    text = open(path, encoding="utf-8").read()
    lines = text.split("\n")
    opening = text[:text.find("*/") + 2] if text.lstrip().startswith("/*") else ""
    whole_file = "why (raw heap" in opening
    for i, line in enumerate(strip(text).split("\n")):
        if not heap.search(line):
            continue
        raw_calls += 1
        if whole_file or any("why:" in lines[k] for k in range(max(0, i - 8), i + 1)):
            continue
        failures.append(f"{path}:{i + 1}: raw heap call without a why: comment: {lines[i].strip()}")
print("ok: %d raw heap calls in core/, each with its reason" % raw_calls)

# 3. dead functions: named nowhere but by the definition and declarations
# (headers); the API table, the install and upgrade SQL and the Makefile name
# functions too (fmgr symbols, the trigger functions, a -D renamed symbol)
def words_of(paths, raw=False):
    counts = {}
    for path in paths:
        body = open(path, encoding="utf-8").read()
        for w in re.findall(r"[A-Za-z_]\w*", body if raw else strip(body)):
            counts[w] = counts.get(w, 0) + 1
    return counts
api_path = "core/api/functions.h"
api = open(api_path, encoding="utf-8").read()
declarations = words_of([h for h in headers if h != api_path])
uses = words_of(sources + [api_path] + sorted(glob.glob("cli/**/*.[ch]", recursive=True) + glob.glob("test/unit/*.[ch]") +
                                                glob.glob("test/fuzz/*.[ch]")))
for w, n in words_of(glob.glob("pg/sql/*.sql") + glob.glob("pg/upgrade/*.sql") + ["Makefile"],
                     raw=True).items():
    uses[w] = uses.get(w, 0) + n
# a call from a header's inline function (its body: a top-level brace block
# right after a parameter list) is a use; the header's prototype is not
for path in headers:
    body, depth, start = strip(open(path, encoding="utf-8").read()), 0, None
    for i, ch in enumerate(body):
        if ch == "{":
            if depth == 0 and re.search(r"\)\s*$", body[:i]):
                start = i
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0 and start is not None:
                for w in re.findall(r"[A-Za-z_]\w*", body[start:i]):
                    uses[w] = uses.get(w, 0) + 1
                start = None
# PostgreSQL finds these by name: the module's init, the logical decoding
# output plugin's init, and the wal-mode worker's bgw_function_name.
ENGINE_ENTRIES = {"_PG_init", "_PG_output_plugin_init", "dbcare_audit_wal_main"}
defined = 0
for path in sources:
    for m in re.finditer(r"^(?!static\b)[A-Za-z_][\w \t*]*?\b([a-z_]\w*)\s*\([^;{]*\)\s*\{",
                         strip(open(path, encoding="utf-8").read()), re.M):
        name = m.group(1)
        if (name in KEYWORDS or name in ENGINE_ENTRIES or name.startswith("dbc_call_")
                or re.fullmatch(r"sqlite3_\w+_init", name)):
            continue  # called by the engine by name, or made by token pasting
        defined += 1
        if name.startswith("sqldbc_") and re.search(r"\b%s\b" % re.escape(name[7:]), api):
            continue
        if uses.get(name, 0) <= 1:
            failures.append(f"{path}: {name} is named only by its definition and declaration (dead)")
print("ok: %d non-static functions, each used" % defined)

# 4. public headers of the parts of core/
# schema: its DDL reader; migrate: the script analyser, which the command
# uses to run a migration statement by statement (migrate --commit-each),
# and its checksums (readiness compares a folder with the registry);
# backup: the flow of a backup a tool makes, which the command plugs its
# tools (pg_dump, pgBackRest) into, the verdicts on a backup's content
# and file, which judge the dumps the command reads back, and the name a
# backup without a path gets, which the SQLite module and the command share;
# jsonschema: the accessor a host implements so the compiled check reads its
# document in place (PostgreSQL's jsonb)
PUBLIC_EXTRA = {"schema/ddl_lex.h", "schema/ddl_text.h", "migrate/migrate_script.h",
                "migrate/migrate_checksum.h", "backup/backup_tool.h", "backup/backup_content.h",
                "backup/backup_name.h", "jsonschema/js_access.h"}
included = 0
for path in sorted(glob.glob("core/*/*.[ch]") + glue("pg", "[ch]") + glob.glob("pg/gen/*.c") +
                   glue("sqlite", "[ch]") + glob.glob("cli/**/*.[ch]", recursive=True)):
    own = path.split("/")[1] if path.startswith("core/") else None
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        m = re.match(r'\s*#\s*include\s*"([a-z_]+)/([a-z_]+\.h)"', line)
        if not m or not os.path.isdir(os.path.join("core", m.group(1))):
            continue
        part, header = m.groups()
        if part == own:
            continue
        included += 1
        if part == "base" or header == part + ".h" or f"{part}/{header}" in PUBLIC_EXTRA:
            continue
        failures.append(f"{path}:{n}: includes {part}/{header}, private to core/{part}/")
print("ok: %d includes of another part's headers, each public" % included)

# 5. capacities doubled by hand outside the growth rule
GROWTH_HELPERS = {"core/base/heap_grow.c"}


def growth_sources():
    """(path, lines, lines stripped) of each C file the growth checks read:
    all but the growth helpers."""
    for path in sorted(glob.glob("core/*/*.c") + glue("pg", "c") + glue("sqlite", "c") +
                       glob.glob("cli/**/*.c", recursive=True)):
        if path not in GROWTH_HELPERS:
            text = open(path, encoding="utf-8").read()
            yield path, text.split("\n"), strip(text).split("\n")


doubling = re.compile(r"\b\w*(?:cap|size|room|slots)\w*\)?\s*(?:\*=?\s*2|<<=?\s*1)\b")
doublings = 0
for path, lines, code in growth_sources():
    for i, line in enumerate(code):
        if not doubling.search(line):
            continue
        doublings += 1
        failures.append(f"{path}:{i + 1}: a capacity doubled by hand: grow it with dbc_grow, "
                        f"dbc_heap_reserve, sqldbc_reserve or pgdbc_room (or size it with "
                        f"dbc_grown_capacity): {lines[i].strip()}")
if not doubling.search(strip(open("core/base/heap_grow.c", encoding="utf-8").read())):
    failures.append("core/base/heap_grow.c: the growth rule's doubling is not found (test premise)")
print("ok: no capacity doubled outside the growth rule (core/base/heap_grow.c)")

# 5b. arrays of items grown by realloc outside the growth helpers (one item
# at a time is a growth loop too: quadratic over a long list); a text
# builder (no sizeof) is not an array of items
item_realloc = re.compile(r"\b(?:sqlite3_)?re(?:p)?alloc(?:64)?\s*\([^;]*\bsizeof\b")
reallocs = 0
for path, lines, code in growth_sources():
    for i, line in enumerate(code):
        if not item_realloc.search(line):
            continue
        reallocs += 1
        failures.append(f"{path}:{i + 1}: an array grown by realloc: grow it with dbc_heap_reserve, "
                        f"sqldbc_reserve (or dbc_grow in a call): {lines[i].strip()}")
print("ok: no array sized by realloc outside the growth rule")

# 5c. any value doubled by hand near an allocation (whatever its name: a
# read-ahead's length, a next size), and 5d. a buffer realloc'd by one
# append at a time (its length plus the bytes added: quadratic when
# repeated, as by a loop or a helper a loop calls)
ALLOC = re.compile(r"\b(?:malloc|calloc|realloc|reallocarray|palloc0?|repalloc|"
                   r"sqlite3_malloc(?:64)?|sqlite3_realloc(?:64)?|dbc_alloc|"
                   r"MemoryContextAlloc\w*)\s*\(")
SELF_DOUBLED = re.compile(r"(?<![\w.>])(?P<x>[A-Za-z_][\w.\[\]]*(?:->[\w.\[\]]+)*)\s*"
                          r"(?:\*=\s*2\b|<<=\s*1\b|\+=\s*(?P=x)(?![\w.\[>-])|"
                          r"=(?!=)(?P<rhs>[^;]*))")
APPEND_REALLOC = re.compile(r"\b(?:re(?:p)?alloc|sqlite3_realloc(?:64)?)\s*\("
                            r"(?:[^()]|\([^()]*\))*\+")
OPERAND = r"\(?\s*[A-Za-z_][\w.\[\]]*(?:->[\w.\[\]]+)*\s*\)?"
DOUBLED = re.compile(r"^\s*(?:%s\s*(?:\*\s*2|<<\s*1)|2\s*\*\s*%s)\s*$" % (OPERAND, OPERAND))
REALLOC_DOUBLED = re.compile(r"\b(?:re(?:p)?alloc|sqlite3_realloc(?:64)?)\s*\("
                             r"(?:[^()]|\([^()]*\))*(?:\*\s*2\b|\b2\s*\*|<<\s*1\b)")


def doubled_by_hand(line):
    """x *= 2, x <<= 1, x += x, x = ... x * 2 ..., y = x * 2 (the whole
    value a doubling: not a hex length's n * 2 + 1), or a realloc to a
    doubled size."""
    if REALLOC_DOUBLED.search(line):
        return True
    for m in SELF_DOUBLED.finditer(line):
        rhs = m.group("rhs")
        if rhs is None or DOUBLED.search(rhs):
            return True
        x = re.escape(m.group("x"))
        if re.search(r"(?<![\w.>])%s\s*(?:\*\s*2\b|<<\s*1\b|\+\s*%s(?![\w.\[>-]))|"
                     r"\b2\s*\*\s*%s(?![\w.\[>-])" % (x, x, x), rhs):
            return True
    return False


for path, lines, code in growth_sources():
    for i, line in enumerate(code):
        near = code[max(0, i - 8):i + 9]
        if doubled_by_hand(line) and any(ALLOC.search(c) for c in near):
            failures.append(f"{path}:{i + 1}: a value doubled by hand beside an allocation: "
                            f"size it with dbc_grown_capacity (or grow it with dbc_heap_reserve "
                            f"and its kin): {lines[i].strip()}")
        if APPEND_REALLOC.search(line):
            failures.append(f"{path}:{i + 1}: a buffer realloc'd to its length plus an append's: "
                            f"build it with dbc_heap_text (or dbc_buf in a call): "
                            f"{lines[i].strip()}")
if not any(doubled_by_hand(l) for l in
           strip(open("core/base/heap_grow.c", encoding="utf-8").read()).split("\n")):
    failures.append("core/base/heap_grow.c: no doubling by hand found in the growth rule "
                    "(test premise)")
print("ok: nothing doubled by hand beside an allocation, no text grown an append at a time")

# 6. goto, never more than the ceiling
GOTO_CEILING = {
    "cli/backup/pages/cmd_restore.c": 6,
    "cli/backup/pgbackrest/pgbackrest_restore.c": 7,
    "cli/backup/pgbackrest/pgbackrest_verify.c": 9,
    "core/backup/backup_mark.c": 5,
    "core/jsonschema/js_parse.c": 3,
    "core/jsonschema/js_validate.c": 2,
    "core/migrate/migrate_list.c": 2,
}
goto = re.compile(r"\bgoto\b")
gotos = 0
for path in sorted(glob.glob("core/*/*.[ch]") + glue("pg", "[ch]") + glue("sqlite", "[ch]") +
                   glob.glob("cli/**/*.[ch]", recursive=True)):
    n = len(goto.findall(strip(open(path, encoding="utf-8").read())))
    gotos += n
    if n > GOTO_CEILING.get(path, 0):
        failures.append(f"{path}: {n} goto (at most {GOTO_CEILING.get(path, 0)}): "
                        f"return from a step function instead")
print("ok: %d goto, no file over its ceiling (%d files have one)" % (gotos, len(GOTO_CEILING)))

# 7. the exposition's labels of a database, written once: every sample of a
# database's families (the module's, and serve's own and refreshed ones)
# takes them from dbc_prom_database_labels (core/health/health_render.c),
# which escapes the label; a second writer would drift from it (a tenant's
# label with a quote or a newline breaking the fleet's exposition)
LABELS_HOME = "core/health/health_render.c"
label_text = re.compile(r'database=\\"')
for path in sorted(glob.glob("core/*/*.c") + glue("pg", "c") + glue("sqlite", "c") +
                   glob.glob("cli/**/*.c", recursive=True)):
    if path == LABELS_HOME:
        continue
    text = open(path, encoding="utf-8").read()
    for i, line in enumerate(text.split("\n")):
        # a sample's label set: the database label beside the engine's
        if label_text.search(line) and "engine=" in line:
            failures.append(f"{path}:{i + 1}: writes a database's exposition labels: take them "
                            f"from dbc_prom_database_labels")
print("ok: a database's exposition labels written in %s only" % LABELS_HOME)

# 8. a backup file sealed in one place: the seal, its sync, its read back
# to the plain bytes and its publication are dbc_container_seal_file's
# (core/container/seal_file.c), which the SQLite module and the command
# call with their key and origin; a second caller of the encoder would be a
# second seal, free to skip the read back or to publish over a file
SEAL_HOME = "core/container/seal_file.c"
encoder = re.compile(r"\bdbc_container_encode\s*\(")
seal_calls = 0
for path in sorted(glob.glob("core/*/*.c") + glue("pg", "c") + glue("sqlite", "c") +
                   glob.glob("cli/**/*.c", recursive=True)):
    if path == "core/container/container.c":
        continue  # its definition
    text = open(path, encoding="utf-8").read()
    for i, line in enumerate(strip(text).split("\n")):
        if not encoder.search(line):
            continue
        seal_calls += path == SEAL_HOME
        if path != SEAL_HOME:
            failures.append(f"{path}:{i + 1}: seals a file itself: call dbc_container_seal_file "
                            f"(core/container/seal_file.c) with the key and origin")
if seal_calls == 0:
    failures.append(f"no call of dbc_container_encode in {SEAL_HOME} (test premise)")
print("ok: files sealed by %s only" % SEAL_HOME)

if failures:
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
print("source hygiene holds")
PY
