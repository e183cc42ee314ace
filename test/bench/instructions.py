"""instructions.py — counting instructions (valgrind) for the benches that
need a figure that does not move between runs of the same build: valgrind
around any command, and a single-user PostgreSQL backend on a scratch data
directory (no client, no other process) to run a bench's scripts in.

A whole command is counted by cachegrind without its cache simulation,
which counts the same instructions as callgrind (within a few parts per
million) in about a quarter of callgrind's CPU: it keeps no call graph.
Only a count narrowed to some functions (toggles) needs callgrind.

A single-user backend started with -j ends a statement at a semicolon and
a blank line: the scripts are written that way.
"""
import os
import re
import shutil
import subprocess

# callgrind's total, and cachegrind's instruction references
COLLECTED = re.compile(r"(?:Collected\s*:|I\s+refs:)\s*([\d,]+)")


def count_instructions(cmd, out, stdin=None, toggles=(), user=None, env=None):
    """Instructions cmd executes (only inside the toggle functions when
    given), counted by valgrind into the scratch file out; env: its
    environment, when not this process's."""
    if toggles:
        vg = ["valgrind", "--tool=callgrind", "--dump-instr=no", f"--callgrind-out-file={out}"]
        vg += [f"--toggle-collect={t}" for t in toggles]
    else:
        vg = ["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={out}"]
    with open(stdin) if stdin else open(os.devnull) as f:
        p = subprocess.run((user or []) + vg + cmd, stdin=f, capture_output=True, text=True, env=env)
    m = COLLECTED.search(p.stderr)
    if p.returncode != 0 or not m:
        raise RuntimeError(f"valgrind of {cmd[0]} failed: {p.stderr[-800:]}")
    return int(m.group(1).replace(",", ""))


def write(d, name, text):
    with open(os.path.join(d, name), "w") as f:
        f.write(text)


class SingleUser:
    """A scratch cluster of pg's build in d/data, run one single-user
    backend at a time. Made once the bench has written its scripts into d
    (a root run hands d and them to postgres): initdb, then each database
    of databases created, then d/setup run in setup_db when given."""

    def __init__(self, pg, d, databases, setup_db=None, setup="setup.sql"):
        self.d, self.out = d, os.path.join(d, "cg.out")
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.postgres = os.path.join(pg.bin, "postgres")
        self.data = os.path.join(d, "data")
        write(d, "dbs.sql", "".join(f"CREATE DATABASE {db}\n" for db in databases))
        if self.as_pg:
            shutil.chown(d, "postgres")
            for name in os.listdir(d):
                shutil.chown(os.path.join(d, name), "postgres")
        subprocess.run(self.as_pg + [os.path.join(pg.bin, "initdb"), "-D", self.data, "-U",
                                     "postgres", "--auth=trust", "--no-sync", "-E", "UTF8",
                                     "--locale=C"], check=True, capture_output=True)
        self.single("postgres", "dbs.sql")
        if setup_db:
            self.single(setup_db, setup, ["-j"])

    def single(self, db, script, extra=()):
        """Runs d/script in db. A single-user backend exits 0 whatever its
        statements did: their errors are in its output."""
        with open(os.path.join(self.d, script)) as f:
            p = subprocess.run(self.as_pg + [self.postgres, "--single", *extra, "-D", self.data, db],
                               stdin=f, check=True, capture_output=True, text=True)
        if "ERROR:" in p.stdout + p.stderr:
            raise RuntimeError(f"{script}: {(p.stdout + p.stderr)[-800:]}")

    def count(self, db, script, toggles=()):
        """Instructions of d/script run in db by a backend of its own (its
        start-up and shut-down included unless toggles narrow it)."""
        return count_instructions([self.postgres, "--single", "-j", "-D", self.data, db], self.out,
                         stdin=os.path.join(self.d, script), toggles=toggles, user=self.as_pg)
