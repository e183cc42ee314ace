#!/usr/bin/env bash
# The parts of core/ (one folder each) depend on each other in one
# direction, so each part can be read, tested and changed after the parts it
# builds on. Two checks, run with the unit tests:
#   1. includes: the graph of "part A includes a header of part B" has no
#      cycle (a static check of the sources);
#   2. symbols: the graph of "object A uses a symbol object B defines", read
#      with nm from the built objects of each program (the SQLite module's
#      build/sqlite/{core,sqlite}/; the PostgreSQL module's build/pg/{core,pg}/,
#      which must be built: a missing one fails, never skips; the command's build/cli/obj/ with the core
#      objects it links), has
#        - no cycle between parts (each folder of core/ a part, each folder
#          of a glue a part, each folder of cli/ a part, each folder inside one
#          too (a backup method's, cli/backup/pg_dump/), and cli/'s own files
#          one): a part reaching up by a declaration of its own, which the
#          include check cannot see, fails here;
#        - no cycle between files, anywhere, with no exemption: each file
#          names what it builds on, never what builds on it (a recursion of
#          one job, like compiling a $ref's target while compiling, stays
#          inside one file, or the lower file is handed what it calls back);
#        - none at all between the files listed in APART (the layers inside
#          a part that must stay so);
#   3. the glues' parts (sqlite/<part>/, pg/<part>/), declared once in
#      GLUE_PARTS with their order and their public headers:
#        - an include of another glue part's header (by any file of core/,
#          cli/, sqlite/ or pg/) names its public header, and only a
#          declared part;
#        - a glue part uses symbols only of the parts below it, and any
#          file uses only symbols a public header of that glue declares
#          (never a private object's);
#        - a glue's api/ part takes no other part's hook table (*_hooks)
#          by name: each part hands its own to the host's table at load;
#        - every folder of the glues is a declared part, and each declared
#          part is a folder.
#      Each kind of violation is planted below and must fail.
# Usage: core_layering.sh [ROOT] (default: this tree).
set -euo pipefail
root=${1:-"$(dirname "$0")/../.."}
cd "$root"
fail() { echo "FAIL: $*"; exit 1; }

edges=$(for f in core/*/*.c core/*/*.h; do
  part=$(basename "$(dirname "$f")")
  sed -n 's/^#include "\([a-z_]*\)\/[^"]*".*/\1/p' "$f" | while read -r dep; do
    [ "$dep" = "$part" ] || echo "$dep $part"
  done
done | sort -u)
[ -n "$edges" ] || fail "no include between the parts of core/ found"
# tsort names the parts of every loop on stderr
loops=$(tsort <<<"$edges" 2>&1 >/dev/null || true)
[ -z "$loops" ] || fail "the parts of core/ include each other: $(tr '\n' ' ' <<<"$loops") (edges: $(tr '\n' ',' <<<"$edges"))"
echo "ok: core/ parts include in one order: $(tsort <<<"$edges" | tr '\n' ' ')"

command -v nm >/dev/null || fail "nm (binutils) is needed to read the objects' symbols"
exec python3 - <<'PY'
import collections, fnmatch, glob, os, re, shutil, subprocess, sys

# Files whose layering inside a part is named here: any two files matching
# one entry's patterns must depend one way (their order is the layering the
# entry names); the message says which order, where a bare cycle would not.
APART = [
    (["core/check/check_rows.o", "core/check/check_run.o"],
     "the checks (check_run.c) fill findings; the rows for SQL (check_rows.c) read them"),
    (["pg/catalog/catalog.o", "pg/catalog/catalog_*.o"],
     "the catalog reader (catalog.c) over its readers in C, over their keys and locks"),
    (["pg/health/health.o", "pg/*/fn_*.o", "pg/host/health_readable.o"],
     "the wrappers (fn_*.c) and the health gatherers over what both ask (health_readable.c)"),
]
# Symbols that are not the object's: the PostgreSQL build renames jansson's
# json_object to this (Makefile), and pg/host/jansson_shim.c only forwards it.
FOREIGN = {"dbc_pg_json_object"}


def rel(path):
    for build in ("build/sqlite/", "build/pg/"):
        if path.startswith(build):
            return path[len(build):]
    if path.startswith("build/cli/obj/"):
        return "cli/" + path[len("build/cli/obj/"):]
    if path.startswith("build/cli/pitr/"):  # sqlite/'s point-in-time log, built into the command
        return "sqlite/" + path[len("build/cli/pitr/"):]
    return path


# The glues' parts (sqlite/<part>/, pg/<part>/; pg/gen/, pg/sql/ and
# pg/upgrade/ are no code of the module), declared once: each glue's parts
# lowest first, each using (by symbol) only those before it, and each part's
# one public header, which is all another part or the command includes of it
# (a part with none is reached through the host's). docs/ARCHITECTURE.md
# draws them.
GLUE_PARTS = {
    "sqlite": (["host", "catalog", "check", "audit", "book", "retain", "json", "pitr",
                "backup", "migrate", "health", "api"],
               {"host": "glue.h", "audit": "audit_sql.h", "book": "book_ddl.h",
                "pitr": "pitr.h", "backup": "backup_glue.h", "health": "health_glue.h"}),
    "pg": (["host", "catalog", "check", "retain", "json", "backup", "audit", "migrate",
            "health", "api"],
           {"host": "glue.h", "audit": "audit_glue.h", "health": "health_glue.h",
            "json": "json_doc.h", "retain": "purge_scope.h"}),
}
GLUE_NOT_PARTS = {"pg/gen", "pg/sql", "pg/upgrade"}
INCLUDE = re.compile(r'^\s*#\s*include\s*"(?:\.\./)*(sqlite|pg)/([a-z_]+)/([a-z_0-9]+\.h)"', re.M)


def glue_part(f):
    """sqlite/P/f, pg/P/f: (glue, P); anything else: None."""
    bits = f.split("/")
    if len(bits) == 3 and bits[0] in GLUE_PARTS and f"{bits[0]}/{bits[1]}" not in GLUE_NOT_PARTS:
        return bits[0], bits[1]
    return None


# The API table (core/api/functions.h) declares each SQL function's C
# function, pasted from its id: PostgreSQL's is the id, SQLite's sqldbc_<id>.
API_TABLE_NAMES = {n for i in re.findall(r"^\s*X\((\w+),", open("core/api/functions.h").read(), re.M)
                   for n in (i, "sqldbc_" + i)}


def public_words(read):
    """glue -> every name its parts' public headers declare (with the headers
    of its own part a public header includes); read(path) gives a file's text."""
    words = {}
    for glue, (_, public) in GLUE_PARTS.items():
        text = ""
        for p, header in public.items():
            todo, seen = [header], set()
            while todo:
                h = todo.pop()
                if h in seen or not os.path.exists(f"{glue}/{p}/{h}"):
                    continue  # a header of its own part, not an engine's
                seen.add(h)
                t = read(f"{glue}/{p}/{h}")
                text += t
                todo += re.findall(r'^\s*#\s*include\s*"([a-z_0-9]+\.h)"', t, re.M)
        w = set(re.findall(r"[A-Za-z_]\w*", text))
        if "SQLITE_EXTENSION_INIT3" in w:  # sqlite3ext.h's macro declares the API pointer
            w.add("sqlite3_api")
        words[glue] = w | API_TABLE_NAMES
    return words


def glue_include_problems(sources):
    """sources: {path: text}. An include of another glue part's header that is
    not its public one, or of a folder that is no declared part."""
    out = []
    for path, text in sorted(sources.items()):
        own = glue_part(path)
        for m in INCLUDE.finditer(text):
            glue, p, header = m.groups()
            line = text.count("\n", 0, m.start()) + 1
            order, public = GLUE_PARTS[glue]
            if p not in order:
                out.append(f"{path}:{line}: includes {glue}/{p}/{header}: {glue}/{p}/ is no part "
                           f"declared in GLUE_PARTS")
            elif own != (glue, p) and public.get(p) != header:
                out.append(f"{path}:{line}: includes {glue}/{p}/{header}, private to {glue}/{p}/ "
                           f"(its public header: {public.get(p, 'none, it is reached through the host')})")
    return out


def glue_symbol_problems(name, uses, words):
    """uses: (file, file it uses a symbol of, symbol). A glue part using a
    part not below it, or any file using a glue part's symbol no public
    header of that glue declares (a private object)."""
    out = []
    for a, b, s in sorted(uses):
        pb, pa = glue_part(b), glue_part(a)
        if not pb or pa == pb:
            continue
        order = GLUE_PARTS[pb[0]][0]
        if pa and pa[0] == pb[0] and order.index(pb[1]) > order.index(pa[1]):
            out.append(f"{name}: {a} uses {s} of {b}: {pb[0]}/{pa[1]}/ is below {pb[0]}/{pb[1]}/ "
                       f"(GLUE_PARTS: {' < '.join(order)})")
        if s not in words[pb[0]]:
            out.append(f"{name}: {a} uses {s} of {b}, which no public header of {pb[0]}/ declares "
                       f"(private to {pb[0]}/{pb[1]}/)")
    return out


GLUE_PREFIX = {"sqlite": "sqldbc", "pg": "pgdbc"}


def hook_table_problems(name, uses):
    """uses: (file, file it uses a symbol of, symbol). A glue's api/ part (the
    host table, the entry point, the API's registration) taking another
    part's hook table by name: each part hands its own to the host's table
    at load (<glue prefix>_<part>_register)."""
    out = []
    for a, b, s in sorted(uses):
        pa, pb = glue_part(a), glue_part(b)
        if pa and pb and pa[1] == "api" and pb != pa and s.endswith("_hooks"):
            out.append(f"{name}: {a} takes {s} of {b} by name: {pb[0]}/{pb[1]}/ hands its hooks "
                       f"to the host's table at load ({GLUE_PREFIX[pb[0]]}_{pb[1]}_register), the api "
                       f"part names none")
    return out


def planted(fn, *args):
    """The rules must fail on a violation of each kind, planted here."""
    got = fn(*args)
    if not got:
        print(f"FAIL: {fn.__name__} passes a planted violation: {args[0]}")
        sys.exit(1)
    return got[0]


def read_file(path):
    return open(path, encoding="utf-8").read()


WORDS = public_words(read_file)
print("ok (planted):", planted(glue_include_problems,
                               {"sqlite/audit/planted.c": '#include "sqlite/backup/vfs_base.h"\n'}))
print("ok (planted):", planted(glue_include_problems,
                               {"cli/backup/planted.c": '#include "sqlite/pitr/pitr_log.h"\n'}))
print("ok (planted):", planted(glue_include_problems,
                               {"pg/api/planted.c": '#include "pg/host/call_private.h"\n'}))
print("ok (planted):", planted(glue_symbol_problems, "planted",
                               {("sqlite/host/planted.o", "sqlite/api/entry.o", "sqlite3_dbcare_init")},
                               WORDS))
print("ok (planted):", planted(glue_symbol_problems, "planted",
                               {("pg/api/planted.o", "pg/host/call_errors.o", "pgdbc_planted_private")},
                               WORDS))
print("ok (planted):", planted(hook_table_problems, "planted",
                               {("pg/api/planted.o", "pg/audit/fn_audit.o", "pgdbc_audit_hooks")}))
print("ok (planted):", planted(hook_table_problems, "planted",
                               {("sqlite/api/planted.o", "sqlite/backup/backup_hooks.o",
                                 "sqldbc_backup_hooks")}))


def part(f):
    """core/X/f: part X; cli/F/f: the command's family cli/F, cli/F/G/f its
    part cli/F/G (a backup method's folder, cli/backup/pg_dump/), cli/f: cli
    (its top: the line, the command table, the runners); sqlite/P/f, pg/P/f:
    the glue's part P."""
    if glue_part(f):
        return "/".join(glue_part(f))
    bits = f.split("/")
    if bits[0] == "core":
        return bits[1]
    if bits[0] == "cli":
        return "/".join(bits[:-1])
    return bits[0] + " glue"


def graph(objs):
    """file -> {file it uses a symbol of: one such symbol}, and every
    (file, file it uses a symbol of, symbol); one nm for all objects."""
    defs, uses = {}, collections.defaultdict(set)
    out = subprocess.run(["nm", "-A"] + objs, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        obj, _, sym = line.partition(":")
        f = sym.split()
        if len(f) == 3 and f[1] in "TDBRCGSV":
            defs.setdefault(f[2], rel(obj))
        elif len(f) == 2 and f[0] == "U":
            uses[rel(obj)].add(f[1])
    edges, triples = collections.defaultdict(dict), set()
    for o, syms in uses.items():
        for s in sorted(syms):
            d = defs.get(s)
            if d and d != o and s not in FOREIGN:
                edges[o].setdefault(d, s)
                triples.add((o, d, s))
    return edges, triples


def sccs(nodes, edges):
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], 0
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, {}))))]
        index[root] = low[root] = n; n += 1; stack.append(root); on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = n; n += 1; stack.append(w); on.add(w)
                    work.append((w, iter(sorted(edges.get(w, {})))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop(); on.discard(w); comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def path_in(comp, edges):
    """The shortest cycle through comp's first file, with each step's symbol."""
    members, start = set(comp), comp[0]
    parent, queue = {start: None}, [start]
    for v in queue:
        for w in sorted(edges[v]):
            if w == start:
                return _show(_trail(parent, v, start), edges)
            if w in members and w not in parent:
                parent[w] = v
                queue.append(w)
    return " ".join(comp)


def _trail(parent, last, start):
    t = [last]
    while t[-1] != start:
        t.append(parent[t[-1]])
    return t[::-1] + [start]


def _show(trail, edges):
    return " -> ".join(f"{a} ({edges[a][b]})" for a, b in zip(trail, trail[1:])) + f" -> {trail[-1]}"


sqlite_core = glob.glob("build/sqlite/core/*/*.o")
builds = [("SQLite", sorted(sqlite_core + glob.glob("build/sqlite/sqlite/*/*.o")))]
# the PostgreSQL module: every file of pg/ and of core/ but the container
# (Makefile, OBJS) must be built; a check that cannot read them fails (the
# build needs PostgreSQL's server headers, PGXS: test/harness/packages.txt)
pg = sorted(glob.glob("build/pg/core/*/*.o") + glob.glob("build/pg/pg/*/*.o"))
pg_sources = [c for c in sorted(glob.glob("pg/*/*.c") + glob.glob("core/*/*.c"))
              if not c.startswith(("core/container/", "pg/gen/"))]
pg_unbuilt = [c for c in pg_sources if not os.path.exists("build/pg/" + c[:-2] + ".o")]
if pg_unbuilt:
    pgxs = subprocess.run(["pg_config", "--pgxs"], capture_output=True, text=True) \
        if shutil.which("pg_config") else None
    why = ("run make: PGXS is there (%s)" % pgxs.stdout.strip() if pgxs and pgxs.returncode == 0
           else "PostgreSQL's server headers are missing (no pg_config --pgxs): install "
                "test/harness/packages.txt, then make")
    print("FAIL: the PostgreSQL module's objects are not built (%d of %d files, e.g. %s): %s"
          % (len(pg_unbuilt), len(pg_sources), " ".join(pg_unbuilt[:3]), why))
    sys.exit(1)
builds.append(("PostgreSQL", pg))
# the command: its files and what it links of the core, the dialects (Makefile, CLI_CORE)
# and of sqlite/ (the point-in-time log, CLI_PITR)
cli = glob.glob("build/cli/obj/**/*.o", recursive=True) + glob.glob("build/cli/pitr/*/*.o")
builds.append(("command", sorted(cli + sqlite_core + glob.glob("build/sqlite/*/host/dialect.o"))))
if not builds[0][1] or not cli:
    print("FAIL: no objects in build/sqlite or build/cli/obj (run make)")
    sys.exit(1)
# every file of every folder of cli/ is read: a folder the build left out
# would leave its cycles unseen
unbuilt = [c for c in sorted(glob.glob("cli/**/*.c", recursive=True))
           if not os.path.exists("build/cli/obj/" + c[len("cli/"):-2] + ".o")]
if unbuilt:
    print("FAIL: the command's files not built into build/cli/obj (run make): " + " ".join(unbuilt))
    sys.exit(1)

problems = []
# the glues' folders are the declared parts, and their includes name public headers
for glue, (order, public) in GLUE_PARTS.items():
    folders = {d for d in os.listdir(glue) if os.path.isdir(os.path.join(glue, d))
               and f"{glue}/{d}" not in GLUE_NOT_PARTS}
    for d in sorted(folders - set(order)):
        problems.append(f"{glue}/{d}/ is no part declared in GLUE_PARTS (its place in the order, "
                        f"its public header)")
    for d in sorted(set(order) - folders):
        problems.append(f"GLUE_PARTS declares {glue}/{d}/, which is no folder")
    for p, header in public.items():
        if not os.path.exists(f"{glue}/{p}/{header}"):
            problems.append(f"GLUE_PARTS names {glue}/{p}/{header} public, which does not exist")
if problems:  # the rules below read what GLUE_PARTS names
    print("\n".join("FAIL: " + p for p in problems))
    sys.exit(1)
sources = {p: read_file(p) for p in sorted(
    glob.glob("core/*/*.[ch]") + glob.glob("cli/*.[ch]") + glob.glob("cli/*/*.[ch]") +
    glob.glob("sqlite/*/*.[ch]") + glob.glob("pg/*/*.[ch]"))}
problems += glue_include_problems(sources)
print(f"ok: {len(sources)} files include only the public header of another glue part")
for name, objs in builds:
    # an object whose source is gone (a file split or renamed since the
    # build dir was made) is not part of the program any more
    objs = [o for o in objs if os.path.exists(rel(o)[:-2] + ".c")]
    edges, triples = graph(objs)
    problems += glue_symbol_problems(name, triples, WORDS)
    problems += hook_table_problems(name, triples)
    files = {rel(o) for o in objs}
    pedges = collections.defaultdict(dict)
    for a, ds in edges.items():
        for b, s in ds.items():
            if part(a) != part(b):
                pedges[part(a)].setdefault(part(b), f"{a} uses {s} of {b}")
    for comp in sccs({part(f) for f in files}, pedges):
        steps = [f"{a} -> {b}: {pedges[a][b]}" for a in comp for b in comp if b in pedges.get(a, {})]
        problems.append(f"{name}: parts call each other: {' '.join(comp)} ({'; '.join(steps)})")
    for comp in sccs(files, edges):
        for pats, why in APART:
            hit = [f for f in comp if any(fnmatch.fnmatch(f, p) for p in pats)]
            if len(hit) > 1:
                problems.append(f"{name}: {' and '.join(hit)} call each other (in one cycle); "
                                f"they must depend one way: {why}")
        problems.append(f"{name}: files call each other: {' '.join(comp)}; for one: "
                        f"{path_in(comp, edges)}")
    print(f"ok: {name}: {len(files)} objects read")
for p in problems:
    print("FAIL:", p)
if problems:
    sys.exit(1)
print("ok: no cycle between parts, none between files; each glue part uses those below it, "
      "through public headers; the api parts take no part's hooks by name")
PY
