#!/usr/bin/env python3
"""Runs the SQL examples of README.md and docs/*.md (issue 20, items 28-30).

Every ```sql block of a document carries a marking on the line before its
fence (blank lines between are allowed):

  <!-- doctest: sqlite -->          run on SQLite
  <!-- doctest: postgresql -->      run on PostgreSQL
  <!-- doctest: both -->            run on both engines
  <!-- doctest: python -->          a ```python block: run by Debian's python3
                                    with the SQLite tests (must exit 0)
  <!-- doctest: skip (reason) -->   not runnable as it stands; the reason is required
  <!-- role-recipe: KIND -->        run by test/script/pg_docs_roles.sh instead
  <!-- doctest: sh -->              a shell block: run by doctest_sh.py instead

An engine marking may add, after a comma:
  fails   the block must end in an error (the error is what it shows)
  alone   the block runs in its own fresh database, with nothing loaded or
          installed (for the installation examples themselves)

Optional extras:
  <!-- doctest: output [sqlite|postgresql] -->  on the fence after a block:
          the lines that block must print, in this order (other lines may come
          between; "..." in a line matches any text; blank lines are ignored)
  -- → TEXT   a comment line in a block: a line the block must print (as an
          output block's lines, in order with them)
  <!-- doctest-setup: ENGINE
  SQL ...
  -->     hidden setup, run in place (invisible on GitHub)

Per document and engine, the marked blocks run in order in one session
against a fresh database (SQLite: the sqlite3 shell with the module loaded;
PostgreSQL: psql on a new database with dbcare installed). A block passes when
it prints no error (or, marked "fails", ends in one) and its output lines
appear. An unmarked ```sql block is itself a failure, so new examples cannot
go untested by accident.

Usage: doctest.py ENGINE ROOT WORKDIR FILE...   (ENGINE: sqlite | postgresql)
Environment: DBCARE_SQLITE_MODULE (sqlite); PG_BIN, PGHOST, PGPORT, PGUSER
(postgresql). Prints one line per failure; exits 1 on any.
"""
import os
import re
import subprocess
import sys

ENGINES = ("sqlite", "postgresql")
MARK = re.compile(r"^\s*<!--\s*doctest:\s*(.*?)\s*-->\s*$")
ROLE = re.compile(r"^\s*<!--\s*role-recipe:\s*[a-z]+\s*-->\s*$")
SETUP = re.compile(r"^\s*<!--\s*doctest-setup:\s*(sqlite|postgresql|both)\s*$")
FENCE = re.compile(r"^(\s*)```\s*([A-Za-z0-9_-]*)\s*$")
DB_NAME = "dbcare_doctest"


class Block:
    def __init__(self, path, line, engines, sql, fails=False, alone=False):
        self.path, self.line, self.engines, self.sql = path, line, engines, sql
        self.fails, self.alone = fails, alone
        self.expected = []  # (engine or None, [lines])

    def where(self):
        return "%s:%d" % (self.path, self.line)


def engines_of(word):
    return ENGINES if word == "both" else ("sqlite-python",) if word == "python" else (word,)


def parse(root, path):
    """The document's runnable blocks, and the problems of its markup."""
    with open(os.path.join(root, path), encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks, problems = [], []
    pending = None  # the marking the next fence gets: (kind, arg, line)
    last = None     # the last runnable block (an output block belongs to it)
    i = 0
    while i < len(lines):
        text = lines[i]
        m = SETUP.match(text)
        if m:
            start = i + 1
            body = []
            i += 1
            while i < len(lines) and lines[i].strip() != "-->":
                body.append(lines[i])
                i += 1
            if i == len(lines):
                problems.append("%s:%d: doctest-setup without a closing -->" % (path, start))
            blocks.append(Block(path, start, engines_of(m.group(1)), "\n".join(body)))
            i += 1
            continue
        m = MARK.match(text)
        if m:
            spec = m.group(1)
            words = [w.strip() for w in spec.split(",")]
            head = words[0]
            if head.startswith("skip"):
                if not re.match(r"^skip\s*\(\s*\S.*\)$", head):
                    problems.append("%s:%d: a skip needs its reason: skip (why)" % (path, i + 1))
                pending = ("skip", None, i + 1)
            elif head.split()[:1] == ["output"]:
                parts = head.split()
                eng = parts[1] if len(parts) > 1 else None
                if eng not in (None,) + ENGINES:
                    problems.append("%s:%d: unknown engine in %r" % (path, i + 1, spec))
                pending = ("output", eng, i + 1)
            elif head == "sh":
                # a shell block: run by test/script/lib/doctest_sh.py
                pending = ("role", None, i + 1)
            elif head in ("sqlite", "postgresql", "both", "python"):
                flags = set(words[1:])
                bad = flags - {"fails", "alone"}
                if bad:
                    problems.append("%s:%d: unknown flag(s) %s" % (path, i + 1, ", ".join(sorted(bad))))
                pending = ("run", (engines_of(head), flags), i + 1)
            else:
                problems.append("%s:%d: unknown doctest marking %r" % (path, i + 1, spec))
                pending = ("skip", None, i + 1)
            i += 1
            continue
        if ROLE.match(text):
            pending = ("role", None, i + 1)
            i += 1
            continue
        m = FENCE.match(text)
        if m:
            indent, lang = len(m.group(1)), m.group(2)
            start = i + 1
            body = []
            i += 1
            while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
                body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
                i += 1
            i += 1
            kind = pending[0] if pending else None
            if kind == "output":
                if last is None:
                    problems.append("%s:%d: an output block follows no runnable block" % (path, start))
                else:
                    last.expected.append((pending[1], body))
            elif kind == "run":
                engines, flags = pending[1]
                last = Block(path, start, engines, "\n".join(body),
                             fails="fails" in flags, alone="alone" in flags)
                inline = [l.split("→", 1)[1] for l in body if re.match("^\\s*--\\s*→", l)]
                if inline:
                    last.expected.append((None, inline))
                blocks.append(last)
            elif lang == "sql" and kind is None:
                problems.append("%s:%d: a ```sql block without a doctest marking "
                                "(<!-- doctest: sqlite|postgresql|both|skip (why) -->)" % (path, start))
            pending = None
            continue
        if text.strip() and pending is not None:
            problems.append("%s:%d: a doctest marking not followed by a fenced block" % (path, pending[2]))
            pending = None
        i += 1
    return blocks, problems


SENTINEL = "@@doctest-block-%d@@"


def script_for(engine, blocks):
    out = []
    for n, b in enumerate(blocks):
        out.append((".print " if engine == "sqlite" else "\\echo ") + SENTINEL % n)
        out.append(b.sql)
        out.append(";")  # ends a statement the example left open; empty otherwise
    out.append((".print " if engine == "sqlite" else "\\echo ") + SENTINEL % len(blocks))
    return "\n".join(out) + "\n"


def run_session(engine, work, tag, blocks, fresh):
    """Runs the blocks in one session; returns each block's output lines."""
    script = os.path.join(work, tag + ".sql")
    with open(script, "w", encoding="utf-8") as f:
        f.write(script_for(engine, blocks))
    if engine == "sqlite":
        dbfile = os.path.join(work, tag + ".db")
        cmd = ["stdbuf", "-oL", "sqlite3", "-batch"]
        if not fresh:
            cmd += ["-cmd", ".load " + os.environ["DBCARE_SQLITE_MODULE"]]
        cmd += [dbfile]
        env = os.environ
    else:
        b = os.environ["PG_BIN"]
        psql = [os.path.join(b, "psql"), "-X", "-q"]
        drop_pg(blocks)
        subprocess.run(psql + ["-d", "postgres", "-c", "CREATE DATABASE " + DB_NAME], check=True,
                       stdout=subprocess.DEVNULL)
        if not fresh:
            subprocess.run(psql + ["-d", DB_NAME, "-c", "SET client_min_messages = warning",
                                   "-c", "CREATE EXTENSION dbcare"], check=True)
        cmd = ["stdbuf", "-oL"] + psql + ["-At", "-v", "ON_ERROR_STOP=0", "-d", DB_NAME]
        env = os.environ
    with open(script, encoding="utf-8") as stdin:
        res = subprocess.run(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             cwd=work, env=env, timeout=60)
    text = res.stdout.decode("utf-8", "replace").split("\n")
    outputs = [[] for _ in blocks]
    current = None
    reached_end = False
    for line in text:
        m = re.match(r"^@@doctest-block-(\d+)@@$", line)
        if m:
            current = int(m.group(1))
            reached_end = current == len(blocks)
            continue
        if current is not None and current < len(blocks):
            outputs[current].append(line)
    if engine == "postgresql":
        drop_pg(blocks)
    if not reached_end:
        # An example left a string or a statement open and swallowed what
        # followed: the last block that printed anything is the suspect.
        outputs[-1].append("ERROR: the session never reached the end of the examples "
                           "(a string or statement left open?)")
    return outputs, text


def drop_pg(blocks):
    """The document's database, then the roles its examples create (roles
    belong to the cluster: they would outlive the database)."""
    roles = sorted({r.lower() for b in blocks for r in re.findall(r"(?i)\bCREATE ROLE (\w+)", b.sql)})
    cmd = [os.path.join(os.environ["PG_BIN"], "psql"), "-X", "-q", "-d", "postgres",
           "-c", "DROP DATABASE IF EXISTS " + DB_NAME]
    for r in roles:
        cmd += ["-c", "DROP ROLE IF EXISTS " + r]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


ERROR = {
    "sqlite": re.compile(r"^(Parse error|Runtime error|Error|ERROR:)"),
    "postgresql": re.compile(r"^(psql:[^:]*:\d+: )?(ERROR|FATAL|PANIC):"),
    "python": re.compile(r"^Traceback "),
}


def normal(text):
    """White space collapsed, and none around a column separator."""
    return re.sub(r" ?\| ?", "|", " ".join(text.split()))


def line_matches(pattern, line):
    pattern, line = normal(pattern), normal(line)
    rx = ".*".join(re.escape(part) for part in pattern.split("..."))
    return re.fullmatch(rx, line) is not None


def check(engine, block, output):
    """Problems of one block's run."""
    errors = [l for l in output if ERROR[engine].match(l)]
    shown = "\n      ".join(output[-15:])
    if block.fails and not errors:
        return ["%s (%s): marked 'fails' but ran without an error:\n      %s" % (block.where(), engine, shown)]
    if not block.fails and errors:
        return ["%s (%s): does not run as written:\n      %s" % (block.where(), engine, shown)]
    problems = []
    for eng, expected in block.expected:
        if eng not in (None, engine):
            continue
        pos = 0
        for want in (w for w in expected if w.strip()):
            while pos < len(output) and not line_matches(want, output[pos]):
                pos += 1
            if pos == len(output):
                problems.append("%s (%s): output line %r not printed (in this order); got:\n      %s"
                                % (block.where(), engine, want.strip(), "\n      ".join(output)))
                break
            pos += 1
    return problems


def links(root, where):
    """The examples' relative paths work as written from a session's directory:
    build/sqlite/dbcare, examples/..., and a migrations/ folder (the example set)."""
    for name, target in (("build", "build"), ("examples", "examples"),
                         ("migrations", "examples/migrations")):
        link = os.path.join(where, name)
        if not os.path.lexists(link):
            os.symlink(os.path.join(root, target), link)


def main():
    engine, root, work = sys.argv[1], sys.argv[2], sys.argv[3]
    files = sys.argv[4:]
    links(root, work)
    os.environ["PGOPTIONS"] = "-c client_min_messages=warning"
    problems, ran = [], 0
    for path in files:
        blocks, markup = parse(root, path)
        problems += markup
        mine = [b for b in blocks if engine in b.engines]
        tag = re.sub(r"[^A-Za-z0-9]+", "_", path)
        shared = [b for b in mine if not b.alone]
        if shared:
            outputs, _ = run_session(engine, work, tag, shared, fresh=False)
            for b, out in zip(shared, outputs):
                problems += check(engine, b, out)
        for n, b in enumerate(b for b in mine if b.alone):
            outputs, _ = run_session(engine, work, "%s_alone%d" % (tag, n), [b], fresh=True)
            problems += check(engine, b, outputs[0])
        ran += len(mine)
        if engine == "sqlite":
            # Python examples, in order, in one directory of their own per document.
            py = [b for b in blocks if "sqlite-python" in b.engines]
            pydir = os.path.join(work, tag + "_python")
            if py:
                os.mkdir(pydir)
                links(root, pydir)
            for b in py:
                res = subprocess.run(["/usr/bin/python3", "-c", b.sql], cwd=pydir, timeout=60,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                out = res.stdout.decode("utf-8", "replace").split("\n")
                if res.returncode != 0:
                    problems.append("%s (python): exits %d:\n      %s"
                                    % (b.where(), res.returncode, "\n      ".join(out[-15:])))
                else:
                    problems += check("python", b, out)
            ran += len(py)
    for p in problems:
        print("FAIL: " + p)
    print("%d %s examples run from %d documents, %d problems" % (ran, engine, len(files), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
