"""bench_store.py — a backup that leaves the machine (docs/backups.md,
"Backups in a bucket"): `dbcare backup FILE --copy-to s3://BUCKET/PREFIX` of a
SQLite database of 100 MB (20 MB with BENCH_QUICK) to s3rver (the S3
emulator the tests use, installed from npm, on loopback, checking each
request's Signature V4), against the same backup to a local folder followed
by one upload of its bytes with `curl --aws-sigv4` (the least a shipped
backup costs). dbcare's side (under multipart_threshold) sends one PUT
with the file's Content-MD5, which the tests' s3rver wrapper checks as
the body arrives, publishing the object only whole and matching, as AWS
does (curl sends none, so its PUT skips that check), and compares the
answered ETag with the MD5.
Interleaved rounds; target: dbcare ≤ 1.2× the backup plus curl.
Beside them, where the time goes: the backup alone (to a folder), and
curl's PUT with the same Content-MD5 (so the wrapper's check runs for
both sides; the MD5 computed in the round), and the multipart
upload dbcare makes above multipart_threshold, made by curl (the backup,
then CreateMultipartUpload, a PUT per 16 MiB part,
CompleteMultipartUpload): on s3rver a multipart upload costs more than
one PUT (it writes each part, then the object again), whoever makes it.
The same backup to an Azure container (azurite, the emulator the tests
use, behind their logging proxy, lib/azurite.js): `--copy-to azure://`
(one Put Blob with its Content-MD5, the MD5 azurite answers of the blob
it keeps compared with it) against the backup plus one Put Blob by curl
with a SAS token."""
import base64
import datetime
import hashlib
import hmac
import os
import urllib.parse
import secrets
import shutil
import subprocess
import time

import benchlib
from benchlib import QUICK, REPS, ROOT, interleave, median

TX = benchlib.TX_CALL

MB = 20 if QUICK else 100


def port_of(proc, port_file, name):
    """the port an emulator writes to port_file once it listens (30 s at
    most; the emulator killed if it never does)"""
    for _ in range(300):
        if os.path.exists(port_file):
            return open(port_file).read().strip()
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(name + " did not start")


def backups(cli, db, work, env, stem):
    """a function running `dbcare backup` of db to a new file of work (with
    extra arguments), its path"""
    n = [0]

    def backup(extra):
        n[0] += 1
        path = os.path.join(work, f"{stem}{n[0]}.db")
        subprocess.run([cli, "backup", path, "--db", "sqlite:" + db, "--quiet"] + extra, env=env,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return path
    return backup


def timed_backup(backup, extra, then=lambda path: None):
    """the seconds of one backup (with extra arguments) and of then(path),
    the backup's file deleted after"""
    t0 = time.perf_counter()
    path = backup(extra)
    then(path)
    dt = time.perf_counter() - t0
    os.remove(path)
    return dt


def start_s3rver(work, bucket, env):
    """s3rver on 127.0.0.1 at a free port: its process and endpoint."""
    exe = subprocess.run([os.path.join(ROOT, "test/harness/build_step.sh"), "s3rver",
                          os.path.join(ROOT, "test/harness/s3rver_install.sh")],
                         check=True, capture_output=True, text=True).stdout.strip()
    lib = os.path.dirname(os.path.dirname(exe))
    port_file = os.path.join(work, "s3.port")
    os.makedirs(os.path.join(work, "s3"))
    proc = subprocess.Popen(
        ["node", os.path.join(ROOT, "test/script/lib/s3rver.js"), os.path.join(work, "s3"), bucket,
         port_file],
        env=dict(env, NODE_PATH=lib, S3_TEST_KEY_ID=env["AWS_ACCESS_KEY_ID"],
                 S3_TEST_SECRET=env["AWS_SECRET_ACCESS_KEY"]),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, "http://127.0.0.1:" + port_of(proc, port_file, "s3rver")


def start_azurite(work, container, account, key):
    """azurite behind the tests' proxy on 127.0.0.1: its process and the
    account's blob endpoint."""
    modules = subprocess.run([os.path.join(ROOT, "test/harness/build_step.sh"), "azurite",
                              os.path.join(ROOT, "test/harness/azurite_install.sh")],
                             check=True, capture_output=True, text=True).stdout.strip()
    port_file = os.path.join(work, "azure.port")
    os.makedirs(os.path.join(work, "azure"))
    proc = subprocess.Popen(
        ["node", os.path.join(ROOT, "test/script/lib/azurite.js"), os.path.join(work, "azure"),
         container, port_file],
        env=dict(os.environ, NODE_PATH=modules, AZURITE_ACCOUNTS=f"{account}:{key}"),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port_of(proc, port_file, 'azurite')}/{account}"


def md5_of(path):
    """a file's MD5 as a Content-MD5 header carries it"""
    md5 = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            md5.update(chunk)
    return base64.b64encode(md5.digest()).decode()


def container_sas(account, key, container):
    """a service SAS of the container (write and create), valid an hour,
    as test/script/lib/azure.sh signs it"""
    now = datetime.datetime.now(datetime.timezone.utc)
    st = (now - datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    se = (now + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    v, perms = "2021-08-06", "rcw"
    text = "\n".join([perms, st, se, f"/blob/{account}/{container}", "", "", "https,http", v, "c",
                      "", "", "", "", "", "", ""])
    sig = base64.b64encode(hmac.new(base64.b64decode(key), text.encode(), hashlib.sha256).digest())
    return urllib.parse.urlencode({"sv": v, "st": st, "se": se, "sr": "c", "sp": perms,
                                   "spr": "https,http", "sig": sig.decode()})


def run_azure(b, cli, db, work, size):
    """the Azure rows: --copy-to azure:// against the backup plus one Put
    Blob by curl"""
    account, key = "dbcbench" + secrets.token_hex(3), base64.b64encode(os.urandom(32)).decode()
    proc, endpoint = start_azurite(os.path.join(work, "az"), "bench", account, key)
    env = dict(os.environ, DBCARE_MODULE=os.path.join(ROOT, "build/sqlite/dbcare.so"),
               AZURE_STORAGE_CONNECTION_STRING=f"DefaultEndpointsProtocol=http;AccountName={account};"
                                               f"AccountKey={key};BlobEndpoint={endpoint};")
    sas = container_sas(account, key, "bench")
    backup = backups(cli, db, work, env, "az")
    try:
        def put_blob(path, with_md5):
            md5 = ["-H", "Content-MD5: " + md5_of(path)] if with_md5 else []
            subprocess.run(["curl", "-sS", "-f", "-o", "/dev/null", "-T", path, "-H",
                            "x-ms-blob-type: BlockBlob", "-H", "x-ms-version: 2021-08-06"] + md5 +
                           [f"{endpoint}/bench/curl/{os.path.basename(path)}?{sas}"],
                           check=True, capture_output=True)

        times = interleave({"curl": lambda: timed_backup(backup, [], lambda p: put_blob(p, False)),
                            "curl_md5": lambda: timed_backup(backup, [], lambda p: put_blob(p, True)),
                            "container": lambda: timed_backup(backup,
                                                              ["--copy-to", "azure://bench/dbcare"])},
                           REPS)
        base, m = median(times["curl"]), median(times["container"])
        b.add("store", "sqlite", size, "dbcare backup --copy-to azure://…", m, REPS, ratio=m / base,
              ref="curl Put Blob", target="≤ 1.2× backup + curl upload", met=m / base <= 1.2,
              note="the backup, then one Put Blob with its Content-MD5, the MD5 the store "
                   "answers of the blob it keeps compared with it (azurite, behind the tests' "
                   "logging proxy)")
        b.add("store", "sqlite", size, "dbcare backup + curl Put Blob (SAS)", base, REPS, ratio=1.0,
              ref="curl Put Blob", note="the same backup to a folder, then one Put Blob of its bytes")
        md5_put = median(times["curl_md5"])
        b.add("store", "sqlite", size, "dbcare backup + curl Put Blob with Content-MD5", md5_put,
              REPS, ratio=md5_put / base, ref="curl Put Blob",
              note="the same backup, its MD5 computed, then one Put Blob carrying it (Azure "
                   "checks it before it keeps the blob)")
    finally:
        proc.kill()
        proc.wait()


def run(b):
    cli = os.path.join(ROOT, "build", "cli", "dbcare")
    if not shutil.which("node") or not shutil.which("curl") or not os.path.exists(cli):
        b.skip("store", "needs node, curl and build/cli/dbcare")
        return
    work = os.path.join(b.work, "store")
    os.makedirs(work)
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDBENCH", AWS_SECRET_ACCESS_KEY=secrets.token_hex(16),
               AWS_REGION="us-east-1", DBCARE_MODULE=os.path.join(ROOT, "build/sqlite/dbcare.so"))
    proc, endpoint = start_s3rver(work, "bench", env)
    env["AWS_ENDPOINT_URL"] = endpoint
    try:
        db = os.path.join(work, "app.db")
        rows = MB * 1024 * 1024 // 1100
        subprocess.run(["sqlite3", db, "CREATE TABLE items (id INTEGER PRIMARY KEY, body BLOB);"
                        f"INSERT INTO items (body) SELECT randomblob(1000) FROM generate_series(1, {rows})"],
                       check=True)
        backup = backups(cli, db, work, env, "b")

        def curl(args, data=None):
            """one signed request by curl (the key pair in a config file of
            its own, not argv; data on stdin), its answer"""
            conf = f'user = "{env["AWS_ACCESS_KEY_ID"]}:{env["AWS_SECRET_ACCESS_KEY"]}"\n'
            with open(os.open(os.path.join(work, "curl.conf"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                              0o600), "w") as f:
                f.write(conf)
            return subprocess.run(["curl", "-sS", "-f", "-K", os.path.join(work, "curl.conf"),
                                   "--aws-sigv4", "aws:amz:us-east-1:s3",
                                   "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"] + args,
                                  input=data, check=True, capture_output=True).stdout

        def put(path):
            curl(["-T", path, f"{endpoint}/bench/curl/{os.path.basename(path)}"])

        def put_md5(path):
            curl(["-T", path, "-H", "Content-MD5: " + md5_of(path),
                  f"{endpoint}/bench/curlmd5/{os.path.basename(path)}"])

        def multipart(path):
            url = f"{endpoint}/bench/mp/{os.path.basename(path)}"
            answer = curl(["-X", "POST", url + "?uploads="]).decode()
            upload = answer.split("<UploadId>")[1].split("</UploadId>")[0]
            parts = []
            with open(path, "rb") as f:
                while True:
                    chunk = f.read(16 << 20)
                    if not chunk and parts:
                        break
                    n_part = len(parts) + 1
                    head = curl(["-T", "-", "-D", "-", "-o", "/dev/null",
                                 f"{url}?partNumber={n_part}&uploadId={upload}"], chunk).decode()
                    etag = [h.split(":", 1)[1].strip() for h in head.splitlines()
                            if h.lower().startswith("etag:")][0]
                    parts.append(f"<Part><PartNumber>{n_part}</PartNumber><ETag>{etag}</ETag></Part>")
                    if len(chunk) < (16 << 20):
                        break
            body = ("<CompleteMultipartUpload>" + "".join(parts) + "</CompleteMultipartUpload>").encode()
            curl(["-X", "POST", "--data-binary", "@-", f"{url}?uploadId={upload}"], body)

        times = interleave({"curl": lambda: timed_backup(backup, [], put),
                            "bucket": lambda: timed_backup(backup, ["--copy-to", "s3://bench/dbcare"]),
                            "multipart": lambda: timed_backup(backup, [], multipart),
                            "alone": lambda: timed_backup(backup, []),
                            "curl_md5": lambda: timed_backup(backup, [], put_md5)}, REPS)
        base, m = median(times["curl"]), median(times["bucket"])
        size = f"{MB} MB"
        b.add("store", "sqlite", size, "dbcare backup --copy-to s3://…", m, REPS, ratio=m / base,
              ref="curl", target="≤ 1.2× backup + curl upload", met=m / base <= 1.2,
              note="the backup, then one PUT with its Content-MD5 (checked by the emulator's "
                   "wrapper as the body arrives, the object published only whole and matching, "
                   "as AWS does), its ETag compared with the MD5")
        b.add("store", "sqlite", size, "dbcare backup + curl --aws-sigv4 -T", base, REPS, ratio=1.0,
              ref="curl", note="the same backup to a folder, then one PUT of its bytes")
        mp = median(times["multipart"])
        b.add("store", "sqlite", size, "dbcare backup + curl multipart upload", mp, REPS,
              ratio=mp / base, ref="curl",
              note="the same backup, then the multipart upload dbcare makes above multipart_threshold "
                   "(16 MiB parts) by curl, "
                   "no checksum compared: the floor of an upload that publishes whole")
        md5_put = median(times["curl_md5"])
        b.add("store", "sqlite", size, "dbcare backup + curl -T with Content-MD5", md5_put, REPS,
              ratio=md5_put / base, ref="curl",
              note="the same backup, its MD5 computed, then one PUT carrying it: the emulator's "
                   "wrapper checks it before the object is published, as for dbcare's PUT")
        own = median(times["alone"])
        b.add("store", "sqlite", size, "dbcare backup to a folder alone", own, REPS,
              ratio=own / base, ref="curl", note="the backup without any upload: what the rows "
              "above add to it is their upload")
        run_azure(b, cli, db, work, size)
    finally:
        proc.kill()
        proc.wait()
