#!/usr/bin/env bash
# The command's client rules (docs/ARCHITECTURE.md, "The command line"),
# checked on what the compiler built, build/cli/obj/ (as core_layering.sh
# reads it), where no spelling hides them: strings as the compiler joined
# them (adjacent literals, macros), the symbols each object links.
# core_cli_client.sh and core_cli_grades.sh read the sources for what an
# object does not show (a comparison, a hook tested); this test reads:
#   1. libraries: an object that calls libpq (PQ*, lo_*) or libsqlite3
#      (sqlite3_*) is in cli/driver/ or in a backup method's folder
#      (cli/backup/<method>/, not cli/backup/common/), and a method's
#      folder calls one of the two, its engine's;
#   2. drivers: the driver objects (cli_pg_driver, cli_sqlite_driver) are
#      named only in cli/driver/, in the method table that matches methods
#      to drivers (cli/backup/backup_methods.c) and in a method's folder;
#   3. the engine's name: no field of a driver (its engine is opaque,
#      cli/common/engine_name.c); its one function, cli_driver_engine (and
#      cli_target_engine_name over it), is called only by the drivers and
#      the files that print it (ENGINE_PRINTERS): a switch on its first
#      letter anywhere else links it and fails; the engines themselves
#      (cli_engine_pg, cli_engine_sqlite) are named by the drivers alone,
#      and their structure (cli/driver/engine_tag.h) is included only
#      there and by cli/common/engine_name.c, the name's one reader;
#   4. bookkeeping: no string of the command's objects (the drivers
#      included) holds a bookkeeping table's name (dbcare_NAME,
#      dbcare.NAME, "dbcare"."NAME") as compiled, nor a name left open to
#      be finished at run time: dbcare_ or dbcare. followed by the start of
#      a table's name (or nothing) and then a format directive or the
#      string's end ("dbcare_%s", "dbcare_back"); an open name that is a
#      function's (followed by %I( or after FUNCTION) is no table's;
#   5. grades: no string is a grade's word in any case ("HEALTHY",
#      "Warn"): core/health writes them and the command copies what core
#      wrote (cmd_lint's "warning" is a lint finding's severity);
#   6. the exposition: no string starts a line of Prometheus text ("# HELP",
#      "# TYPE", in any spacing, as compiled): the command hands core typed
#      samples (dbc_prom) and core renders them (core/health/health_prom.c,
#      whose object must hold the line: the test's premise); a parser of
#      the module's text, or a second renderer, spells one. And the reader
#      of a database's samples (dbc_prom_from_json) is called only where a
#      refresh reads them, once per report (cli/serve/serve_result.o),
#      never by an object that answers a request.
# Then each rule must catch its planted violation: small files compiled
# here into a scratch directory, read with the real objects as if they
# were files of cli/; a rule that misses its plant fails the test.
# What no object shows either: a string the compiler stores as immediate
# bytes (a short literal copied into a buffer) is not read.
# Usage: core_cli_objects.sh [ROOT] (default: this tree).
set -eu
root=${1:-"$(dirname "$0")/../.."}
cd "$root"
for tool in nm readelf objcopy gcc; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool (binutils, gcc) is needed"; exit 1; }
done
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
exec python3 - "$scratch" "$(pg_config --includedir 2>/dev/null || true)" <<'PY'
import glob, os, re, subprocess, sys

scratch, pq_include = sys.argv[1], sys.argv[2]
LIBRARIES = {"libpq": re.compile(r"^(PQ|lo_)\w+$"), "libsqlite3": re.compile(r"^sqlite3_\w+$")}
DRIVERS = {"cli_pg_driver", "cli_sqlite_driver"}
METHOD_TABLE = "cli/backup/backup_methods.o"
ENGINE_NAME = {"cli_driver_engine", "cli_target_engine_name"}
ENGINES = {"cli_engine_pg", "cli_engine_sqlite"}
# the files that print the engine's name: the JSON envelope, serve's
# labels and its report's fallback
ENGINE_PRINTERS = {"cli/common/run.o", "cli/serve/serve_collect.o", "cli/serve/serve_render.o"}
GRADES = ("healthy", "warning", "critical", "skipped", "pass", "warn", "fail")
GRADE_ALLOWED = {("cli/cmd/cmd_lint.o", "warning")}
EXPOSITION_LINE = re.compile(r"#\s*(HELP|TYPE)\b")
PROM_HOME = "build/sqlite/core/health/health_prom.o"
SAMPLES_READER = "dbc_prom_from_json"
SAMPLES_READ_IN = {"cli/serve/serve_result.o"}


def method_folder(f):
    """cli/backup/<method>/ of f, None outside one."""
    bits = f.split("/")
    if len(bits) == 4 and bits[:2] == ["cli", "backup"] and bits[2] != "common":
        return "/".join(bits[:3])
    return None


def in_drivers(f):
    return f.startswith("cli/driver/")


def symbols(objs):
    """{file: set of the symbols it uses}, one nm for all."""
    out = subprocess.run(["nm", "-A", "-u"] + list(objs.values()), capture_output=True,
                         text=True, check=True).stdout
    back = {path: f for f, path in objs.items()}
    uses = {f: set() for f in objs}
    for line in out.splitlines():
        path, _, rest = line.partition(":")
        uses[back[path]].add(rest.split()[-1])
    return uses


def strings(path):
    """The NUL-ended strings of an object's read-only and data sections."""
    heads = subprocess.run(["readelf", "-W", "-S", path], capture_output=True, text=True,
                           check=True).stdout
    found = []
    for sec in re.findall(r"\]\s+(\.(?:rodata|data)\S*)\s+PROGBITS", heads):
        data = subprocess.run(["objcopy", "-O", "binary", "--only-section=" + sec, path,
                               "/dev/stdout"], capture_output=True, check=True).stdout
        found += [s.decode("latin-1") for s in data.split(b"\0") if s]
    return found


def bookkeeping_tables():
    tables = set(re.findall(r'DBC_BOOK_TABLE\("([a-z_]+)"',
                            open("core/book/tables.c", encoding="utf-8").read()))
    for path in glob.glob("pg/sql/*.sql") + glob.glob("pg/upgrade/*.sql"):
        tables |= set(re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?dbcare\.([a-z_]+)",
                                 open(path, encoding="utf-8").read()))
    book = open("sqlite/book/bookkeeping.c", encoding="utf-8").read()
    tables |= set(re.findall(r"\bdbcare_([a-z_]+)\b",
                             " ".join(re.findall(r"CREATE TABLE[^(]*", book))))
    return tables | {"bookkeeping"}  # SQLite's own row of versions


TABLES = bookkeeping_tables()
WHOLE = re.compile(r'(?<![\w/.])(?:dbcare[._]|"dbcare"\s*\.\s*"?)(%s)(?!\w)'
                   % "|".join(sorted(TABLES, key=len, reverse=True)))
# dbcare_ or dbcare. and the start of a name, then a directive or the end
OPEN = re.compile(r'(?<![\w/.])(?:dbcare[._]|"dbcare"\s*\.\s*"?)([a-z_]*)(?=%|$)')
FUNCTION = re.compile(r"FUNCTION\s+$")


def string_problems(f, text):
    found = []
    for m in WHOLE.finditer(text):
        found.append(f"{f}: the string {text[:80]!r} names the bookkeeping table "
                     f"{m.group(0)}: reach it through a dbcare function")
    for m in OPEN.finditer(text):
        if not any(t.startswith(m.group(1)) for t in TABLES):
            continue
        if re.match(r"%\w*\(", text[m.end():]) or FUNCTION.search(text[:m.start()]):
            continue  # a function's name made whole, no table's
        found.append(f"{f}: the string {text[:80]!r} leaves a bookkeeping name open "
                     f"({m.group(0)!r}) to be put together at run time: reach the "
                     "table through a dbcare function")
    if EXPOSITION_LINE.match(text.lstrip()):
        found.append(f"{f}: the string {text[:60]!r} spells an exposition line: hand core "
                     "typed samples (dbc_prom) and render them with dbc_prom_text "
                     "(core/health/health_prom.c); never parse the module's text")
    if text.lower() in GRADES and (f, text) not in GRADE_ALLOWED:
        found.append(f"{f}: the string {text!r} is a grade's word: compare core's words "
                     "(health/health.h: dbc_health_grade_rank, dbc_health_reaches, "
                     "dbc_health_api_status, dbc_health_not_ready)")
    return found


def check(objs):
    """The rules' failures over {cli/...o: path of the object}."""
    failures, uses = [], symbols(objs)
    libs_of = {}
    for f in sorted(objs):
        called = {name for name, pat in LIBRARIES.items() if any(pat.match(s) for s in uses[f])}
        folder = method_folder(f)
        if called and not in_drivers(f) and not folder:
            calls = sorted(s for s in uses[f] if any(p.match(s) for p in LIBRARIES.values()))
            failures.append(f"{f}: calls {' and '.join(sorted(called))} ({', '.join(calls[:6])}"
                            f"{', ...' if len(calls) > 6 else ''}): a library of an engine is "
                            "called in cli/driver/ or in its backup method's folder")
        if folder:
            libs_of.setdefault(folder, set()).update(called)
        named = uses[f] & DRIVERS
        if named and not in_drivers(f) and f != METHOD_TABLE and not folder:
            failures.append(f"{f}: names the driver {', '.join(sorted(named))}: a database's "
                            f"driver is matched to its backup methods in {METHOD_TABLE[:-2]}.c "
                            "alone; what differs is the driver's hook or field")
        engines = uses[f] & ENGINES
        if engines and not in_drivers(f):
            failures.append(f"{f}: names the engine {', '.join(sorted(engines))}: which engine "
                            "a database is on is a driver's question (cli/driver/)")
        asks = uses[f] & ENGINE_NAME
        if asks and not in_drivers(f) and f not in ENGINE_PRINTERS:
            failures.append(f"{f}: reads the engine's name ({', '.join(sorted(asks))}), which "
                            "only the files that print it may: anything else is an engine "
                            "question, a driver's job (cli/driver/)")
        if SAMPLES_READER in uses[f] and f not in SAMPLES_READ_IN:
            failures.append(f"{f}: reads a database's samples ({SAMPLES_READER}): they are read "
                            f"once per report, in {', '.join(sorted(SAMPLES_READ_IN))}, and "
                            "every request renders the typed samples kept there")
        for text in strings(objs[f]):
            failures += string_problems(f, text)
    for folder, libs in sorted(libs_of.items()):
        if len(libs) > 1:
            failures.append(f"{folder}/: calls both {' and '.join(sorted(libs))}: a backup "
                            "method backs up the databases of one driver")
    return failures


objs = {}
for path in glob.glob("build/cli/obj/**/*.o", recursive=True):
    f = "cli/" + path[len("build/cli/obj/"):]
    if os.path.exists(f[:-2] + ".c"):  # not one whose source is gone
        objs[f] = path
TAG_READERS = re.compile(r"^cli/driver/|^cli/common/engine_name\.c$")
for path in sorted(glob.glob("cli/**/*.[ch]", recursive=True)):
    if not TAG_READERS.search(path) and re.search(r'^\s*#\s*include\s+"(cli/driver/)?engine_tag\.h"',
                                                  open(path, encoding="utf-8").read(), re.M):
        print(f"FAIL: {path} includes engine_tag.h: the engine's name is read through "
              "cli_driver_engine, by the files that print it")
        sys.exit(1)
unbuilt = [c for c in sorted(glob.glob("cli/**/*.c", recursive=True)) if c[:-2] + ".o" not in objs]
if len(objs) < 80 or unbuilt:
    print("FAIL: the command is not built (run make): %d objects in build/cli/obj, missing: %s"
          % (len(objs), " ".join(unbuilt[:5]) or "-"))
    sys.exit(1)
failures = check(objs)
if not os.path.exists(PROM_HOME) or not any(EXPOSITION_LINE.match(t) for t in strings(PROM_HOME)):
    failures.append(f"{PROM_HOME} writes no exposition line (test premise: the module is built, "
                    "its renderer spells the lines)")
if not any(SAMPLES_READER in u for f, u in symbols({f: objs[f] for f in SAMPLES_READ_IN
                                                    if f in objs}).items()):
    failures.append(f"{', '.join(sorted(SAMPLES_READ_IN))} calls no {SAMPLES_READER} "
                    "(test premise)")
print(f"ok: {len(objs)} objects of the command read ({len(TABLES)} bookkeeping tables)")

# Each rule against its disguised violation, planted as a file of cli/.
PLANTS = {
    "cli/cmd/plant_sqlite.o": ("calls libsqlite3",
        "#include <sqlite3.h>\nint plant(void) { return sqlite3_threadsafe(); }\n"),
    "cli/backup/common/plant_pq.o": ("calls libpq",
        "#include <libpq-fe.h>\nint plant(void) { return PQlibVersion(); }\n"),
    "cli/backup/pg_dump/plant_sqlite.o": ("calls both libpq and libsqlite3",
        "#include <sqlite3.h>\nint plant(void) { return sqlite3_libversion_number(); }\n"),
    "cli/cmd/plant_driver.o": ("names the driver",
        '#include "cli/driver/driver.h"\nextern const cli_driver cli_pg_driver;\n'
        "int plant(const cli_driver *d) { return d == &cli_pg_driver; }\n"),
    "cli/cmd/plant_engine.o": ("names the engine",
        '#include "cli/driver/driver.h"\n'
        "int plant(const cli_driver *d) { return d->engine == &cli_engine_pg; }\n"),
    "cli/cmd/plant_switch.o": ("reads the engine's name",
        '#include "cli/driver/driver.h"\n'
        "int plant(const cli_driver *d)\n{\n\tswitch (cli_driver_engine(d)[0]) {\n"
        "\tcase 'p':\n\t\treturn 1;\n\tdefault:\n\t\treturn 0;\n\t}\n}\n"),
    "cli/cmd/plant_table_run_time.o": ("leaves a bookkeeping name open",
        "#include <stdio.h>\nint plant(char *sql, size_t n, const char *t)\n"
        '{\n\treturn snprintf(sql, n, "SELECT count(*) FROM dbcare_%s", t);\n}\n'
        'const char *plant_table(void) { return "backups"; }\n'),
    "cli/cmd/plant_table_split.o": ("leaves a bookkeeping name open",
        '#include <stdio.h>\nint plant(char *sql, size_t n)\n'
        '{\n\treturn snprintf(sql, n, "SELECT * FROM dbcare_back%s", "ups");\n}\n'),
    "cli/driver/plant_table_joined.o": ("names the bookkeeping table",
        '#define PLANT_PREFIX "\\"dbcare\\"."\n'
        'const char *plant(void) { return "SELECT count(*) FROM " PLANT_PREFIX "\\"backups\\""; }\n'),
    "cli/serve/plant_exposition.o": ("spells an exposition line",
        '#include <string.h>\n#define PLANT_MARK "#"\n'
        'int plant(const char *line) { return strncmp(line, PLANT_MARK " HE" "LP ", 7) == 0; }\n'),
    "cli/serve/plant_reparse.o": ("reads a database's samples",
        "struct dbc_prom;\nint dbc_prom_from_json(struct dbc_prom *p, const char *text);\n"
        "int plant(struct dbc_prom *p, const char *json) { return dbc_prom_from_json(p, json); }\n"),
    "cli/cmd/plant_grade.o": ("is a grade's word",
        "#include <strings.h>\n"
        'int plant(const char *s) { return strcasecmp(s, "HEALTHY") == 0; }\n'),
}
planted = dict(objs)
for f, (_, source) in PLANTS.items():
    src = os.path.join(scratch, f.replace("/", "_")[:-2] + ".c")
    with open(src, "w", encoding="utf-8") as out:
        out.write(source)
    cmd = ["gcc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-Icore", "-I.", "-c", src,
           "-o", src[:-2] + ".o"] + (["-I" + pq_include] if pq_include else [])
    built = subprocess.run(cmd, capture_output=True, text=True)
    if built.returncode != 0:
        failures.append(f"the plant {f} does not compile: {built.stderr.strip()[:300]}")
        continue
    planted[f] = src[:-2] + ".o"
caught = check(planted)
for f, (what, _) in PLANTS.items():
    if f in planted and not any(what in c and (c.startswith(f + ": ") or
                                               c.startswith(os.path.dirname(f) + "/: "))
                                for c in caught):
        failures.append(f"the planted {f} ({what}) passed: the rule no longer catches it")
print(f"ok: {len(PLANTS)} planted violations compiled and read")
if failures:
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
PY
