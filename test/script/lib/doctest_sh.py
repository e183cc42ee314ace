#!/usr/bin/env python3
"""Runs the shell examples of README.md and docs/*.md that run `dbcare`.

A ```sh (or ```bash) block with a line whose command is `dbcare` carries a
marking on the line before its fence, as the SQL examples do (doctest.py):

  <!-- doctest: sh -->              run, with dbcare on PATH, on SQLite files
  <!-- doctest: sh, fails -->       run; it must end in an error
  <!-- doctest: sh, pg -->          run by the PostgreSQL suite instead
                                    (test/script/pg_docs_sh.sh), every
                                    postgres:// or postgresql:// URL made
                                    the test's database
  <!-- doctest: skip (reason) -->   not runnable here; the reason is required
  <!-- doctest-setup: sh
  commands ...
  -->                               hidden setup, run in place
  <!-- doctest-setup: sh, pg ...    the same, for the PostgreSQL run only

Per document the marked blocks run in order in one fresh folder: each block
in a subshell of one bash session with `set -e -o pipefail` (a failing
command fails the block, `|| exit 1` too); setups run in the session itself,
so the variables and functions they define reach the blocks after them.
`dbcare` is the command built in the tree (build/cli/dbcare) and
DBCARE_MODULE the SQLite module. An unmarked block that runs dbcare is
itself a failure, so a new example cannot go untested by accident.

Usage: doctest_sh.py [--engine pg] ROOT WORKDIR FILE...   Environment:
DBCARE_SQLITE_MODULE; with --engine pg, DBCARE_DOC_PG_URL (the database the
PostgreSQL blocks reach). Prints one line per failure and the number of
blocks run; exits 1 on any failure.
"""
import os
import re
import signal
import subprocess
import sys

MARK = re.compile(r"^\s*<!--\s*doctest:\s*(.*?)\s*-->\s*$")
SETUP = re.compile(r"^\s*<!--\s*doctest-setup:\s*sh\s*(,\s*pg\s*)?$")
PG_URL = re.compile(r"postgres(ql)?://[^\s'\"]*")
FENCE = re.compile(r"^(\s*)```\s*([A-Za-z0-9_-]*)\s*$")
# a line that runs the command: dbcare as a command word (after VAR=value
# assignments, a pipe, ;, && or ||, or a $( ... ))
RUNS = re.compile(r"(^|[;&|(]\s*|^\s*(\w+=\S+\s+)+)\s*dbcare(\s|$)")


def parse(root, path):
    with open(os.path.join(root, path), encoding="utf-8") as f:
        lines = f.read().split("\n")
    steps, problems = [], []  # steps: (kind, line, text, fails, engine)
    pending = None
    i = 0
    while i < len(lines):
        text = lines[i]
        m = SETUP.match(text)
        if m:
            engine = "pg" if m.group(1) else "sqlite"
            start, body = i + 1, []
            i += 1
            while i < len(lines) and lines[i].strip() != "-->":
                body.append(lines[i])
                i += 1
            steps.append(("setup", start, "\n".join(body), False, engine))
            i += 1
            continue
        m = MARK.match(text)
        if m:
            words = [w.strip() for w in m.group(1).split(",")]
            pending = (words[0], set(words[1:]), i + 1)
            i += 1
            continue
        m = FENCE.match(text)
        if m:
            indent, lang = len(m.group(1)), m.group(2)
            start, body = i + 1, []
            i += 1
            while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
                body.append(lines[i][indent:])
                i += 1
            i += 1
            shell = lang in ("sh", "bash", "shell")
            runs = shell and any(RUNS.search(l.split("#", 1)[0]) for l in body)
            head = pending[0] if pending else None
            if shell and head == "sh":
                bad = pending[1] - {"fails", "pg"}
                if bad:
                    problems.append("%s:%d: unknown flag(s) %s" % (path, pending[2], ", ".join(sorted(bad))))
                steps.append(("block", start, "\n".join(body), "fails" in pending[1],
                              "pg" if "pg" in pending[1] else "sqlite"))
            elif head and head.startswith("skip"):
                if not re.match(r"^skip\s*\(\s*\S.*\)$", head):
                    problems.append("%s:%d: a skip needs its reason: skip (why)" % (path, pending[2]))
            elif runs:
                problems.append("%s:%d: a ```%s block that runs dbcare without a doctest marking "
                                "(<!-- doctest: sh --> or skip (why))" % (path, start, lang))
            pending = None
            continue
        if text.strip() and pending is not None:
            pending = None  # a marking of something else (doctest.py checks those)
        i += 1
    return steps, problems


def run(root, work, path, steps, engine):
    folder = os.path.join(work, re.sub(r"[^A-Za-z0-9]+", "_", path))
    os.makedirs(os.path.join(folder, ".bin"), exist_ok=True)
    link = os.path.join(folder, ".bin", "dbcare")
    if not os.path.exists(link):
        os.symlink(os.path.join(root, "build", "cli", "dbcare"), link)
    script = ["cd %s" % sh_quote(folder)]
    for n, (kind, line, text, _, _) in enumerate(steps):
        if engine == "pg":
            text = PG_URL.sub(os.environ["DBCARE_DOC_PG_URL"], text)
        if kind == "setup":
            script.append("{\n%s\n} || echo '@@step %d rc=setup-failed'" % (text, n))
        else:
            script.append("(\nset -e -o pipefail\n%s\n)\necho \"@@step %d rc=$?\"" % (text, n))
    env = dict(os.environ, PATH=os.path.join(folder, ".bin") + ":" + os.environ["PATH"],
               DBCARE_MODULE=os.environ["DBCARE_SQLITE_MODULE"], HOME=folder, NO_COLOR="1")
    env.pop("DATABASE_URL", None)
    out, timed_out, left_running = run_session("\n".join(script), env, folder)
    failures = []
    if left_running:
        failures.append("%s: a process the examples started was still running after the last "
                        "block (stop it in the block that starts it)" % path)
    for n, (kind, line, text, fails, _) in enumerate(steps):
        m = re.search(r"^@@step %d rc=(\S+)$" % n, out, re.M)
        if kind == "setup":
            if m:
                failures.append("%s:%d: the setup failed" % (path, line))
            continue
        if not m:
            if timed_out:
                failures.append("%s:%d: still running after %d s (this block, or a process "
                                "one before it left, waits forever)" % (path, line, SESSION_LIMIT))
                break
            failures.append("%s:%d: never ran (the session ended before it)" % (path, line))
        elif fails and m.group(1) == "0":
            failures.append("%s:%d: marked 'fails' but ran without an error" % (path, line))
        elif not fails and m.group(1) != "0":
            failures.append("%s:%d: exits %s" % (path, line, m.group(1)))
    if failures:
        failures.append("  output of %s:\n%s" % (path, out))
    return failures


SESSION_LIMIT = 120  # a document's blocks take seconds; the harness allows 300 for all


def run_session(script, env, folder):
    """Runs one document's script in a process group of its own, its output
    in a file (a process left in the background holds no pipe open). Past
    the limit, or once the script ends, whatever is left of the group is
    killed, so no run waits forever. Returns the output, whether the limit
    was reached, and whether a process was left running."""
    log = os.path.join(folder, ".session.log")
    timed_out = left_running = False
    with open(log, "w") as f:
        p = subprocess.Popen(["bash", "-c", script], env=env, stdout=f, stderr=subprocess.STDOUT,
                             start_new_session=True)
        try:
            p.wait(timeout=SESSION_LIMIT)
        except subprocess.TimeoutExpired:
            timed_out = True
        try:
            os.killpg(p.pid, signal.SIGKILL)
            left_running = not timed_out
        except ProcessLookupError:
            pass
        p.wait()
    with open(log) as f:
        return f.read(), timed_out, left_running


def sh_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def main():
    args, engine = sys.argv[1:], "sqlite"
    if args[:1] == ["--engine"]:
        engine, args = args[1], args[2:]
    root, work, files = args[0], args[1], args[2:]
    failures, ran = [], 0
    for path in files:
        steps, problems = parse(root, path)
        failures += problems
        steps = [s for s in steps if s[4] == engine]  # the other engine's run has the rest
        blocks = sum(1 for s in steps if s[0] == "block")
        if blocks:
            ran += blocks
            failures += run(root, work, path, steps, engine)
    print("%d %s block(s) run" % (ran, engine))
    for f in failures:
        print(f if f.startswith("  ") else "FAIL: " + f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
