"""bench_pgbackrest.py — `dbcare backup` driving pgBackRest against pgBackRest
alone, on the same cluster (docs/backups.md): a cluster of its own, archiving
to a stanza in a local repository, 200 MB of rows (40 MB with BENCH_QUICK).
Interleaved rounds: `pgbackrest --stanza=bench --type=full backup` alone, and
`dbcare backup --type full` (the same pgBackRest call, plus the schema
fingerprint before it, `pgbackrest info --output=json` after it and the
catalog row). Target: dbcare ≤ 1.1× pgBackRest alone."""
import os
import shutil
import subprocess
import time

import benchlib
from benchlib import QUICK, REPS, ROOT, interleave, median

# the transaction mode of every row that does not state its own
TX = benchlib.TX_CALL

MB = 40 if QUICK else 200


def run(b):
    pg = b.pg
    if not pg or not pg.dbcare:
        b.skip("pgbackrest", "no PostgreSQL cluster with this build of dbcare")
        return
    if not shutil.which("pgbackrest"):
        b.skip("pgbackrest", "pgbackrest is not installed (apt-get install pgbackrest)")
        return
    cli = os.path.join(ROOT, "build", "cli", "dbcare")
    as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    d = os.path.join(b.work, "pgbackrest")
    for sub in ("repo", "log", "lock", "spool", "sock"):
        os.makedirs(os.path.join(d, sub))
    port = 20000 + os.getpid() % 20000
    conf = os.path.join(d, "pgbackrest.conf")
    with open(conf, "w") as f:
        f.write(f"""[global]
repo1-path={d}/repo
log-path={d}/log
lock-path={d}/lock
spool-path={d}/spool
log-level-console=warn
start-fast=y
compress-type=lz4
repo1-retention-full=100

[bench]
pg1-path={d}/data
pg1-port={port}
pg1-socket-path={d}/sock
pg1-user=postgres
""")
    if as_pg:
        subprocess.run(["chown", "-R", "postgres:", d], check=True)
    env = dict(os.environ, PGBACKREST_CONFIG=conf, PATH=pg.bin + ":" + os.environ["PATH"])
    sh = lambda *a, **kw: subprocess.run(as_pg + list(a), env=env, check=True,  # noqa: E731
                                         stdout=subprocess.DEVNULL, **kw)
    data = os.path.join(d, "data")
    sh(f"{pg.bin}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync")
    with open(os.path.join(data, "postgresql.conf"), "a") as f:
        f.write(f"listen_addresses = ''\nport = {port}\nunix_socket_directories = '{d}/sock'\n"
                "archive_mode = on\narchive_command = 'pgbackrest --stanza=bench archive-push %p'\n")
    sh(f"{pg.bin}/pg_ctl", "-D", data, "-l", os.path.join(d, "server.log"), "-w", "start")
    try:
        sh("pgbackrest", "--stanza=bench", "stanza-create")
        psql = [f"{pg.bin}/psql", "-X", "-q", "-h", f"{d}/sock", "-p", str(port), "-U", "postgres"]
        subprocess.run(psql + ["-d", "postgres", "-c", "CREATE DATABASE app"], check=True)
        rows = MB * 1024 * 1024 // 160
        subprocess.run(psql + ["-d", "app", "-c", "CREATE EXTENSION dbcare", "-c",
                               "CREATE TABLE items (id bigint PRIMARY KEY, body text)", "-c",
                               f"INSERT INTO items SELECT g, md5(g::text) || md5((g * 7)::text)"
                               f" FROM generate_series(1, {rows}) g"], check=True)
        url = f"postgresql://postgres@/app?host={d}/sock&port={port}"

        def alone():
            t0 = time.perf_counter()
            sh("pgbackrest", "--stanza=bench", "--type=full", "backup")
            return time.perf_counter() - t0

        def dbcare():
            t0 = time.perf_counter()
            subprocess.run([cli, "backup", "--stanza", "bench", "--type", "full", "--db", url,
                            "--quiet"], env=env, check=True, stdout=subprocess.DEVNULL)
            return time.perf_counter() - t0

        times = interleave({"alone": alone, "dbcare": dbcare}, REPS)
        base, m = median(times["alone"]), median(times["dbcare"])
        size = f"{MB} MB"
        b.add("pgbackrest", "postgresql", size, "dbcare backup --type full (pgBackRest)", m, REPS,
              ratio=m / base, ref="alone", target="≤ 1.1× pgBackRest alone", met=m / base <= 1.1,
              note="the same pgbackrest backup, then pgbackrest info and one catalog row")
        b.add("pgbackrest", "postgresql", size, "pgbackrest --type=full backup", base, REPS,
              ratio=1.0, ref="alone", note="lz4, start-fast, local repository")
    finally:
        subprocess.run(as_pg + [f"{pg.bin}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"],
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
