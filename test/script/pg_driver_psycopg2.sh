#!/usr/bin/env bash
# A Python application on psycopg2 (Debian's python3-psycopg2) runs its
# start-up journey against the test cluster, as docs/postgresql.md and
# docs/migrations.md tell it to: it reads its migration files and registers
# them with bound parameters, applies them, asserts the version at start
# (and gets 55000 as psycopg2's ObjectNotInPrerequisiteState for a version
# ahead, the connection usable after the rollback), reads the health report
# as a dict (jsonb), writes a restore point, makes an audited write whose log
# and chain it reads back, and meets a JSON Schema CHECK that refuses a bad
# document with CheckViolation (23514).
set -eu
db=dbcare_driver_psycopg2
. "$(dirname "$0")/lib/pg.sh"
py=/usr/bin/python3
"$py" -c 'import psycopg2' 2>/dev/null || fail "python3-psycopg2 missing (test/harness/packages.txt)"
fresh_db
mkdir "$work/migrations"
cat >"$work/migrations/V1__create_account.sql" <<'SQL'
CREATE TABLE account (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL UNIQUE,
  profile jsonb NOT NULL DEFAULT '{}' CHECK (dbjson_valid(profile,
    '{"type": "object", "properties": {"age": {"type": "integer", "minimum": 0}},
      "additionalProperties": false}'))
);
SQL
cat >"$work/migrations/V2__audit_account.sql" <<'SQL'
SELECT dbaudit_enable('account');
SQL
DB=$db MIGRATIONS=$work/migrations "$py" - <<'PY'
import json, os, re, sys
import psycopg2, psycopg2.errors, psycopg2.extras

def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)

conn = psycopg2.connect(dbname=os.environ["DB"], host=os.environ["PGHOST"],
                        port=os.environ["PGPORT"], user=os.environ["PGUSER"])
cur = conn.cursor()

# 1. migrations: the application's files, registered with bound parameters
folder = os.environ["MIGRATIONS"]
for f in sorted(os.listdir(folder)):
    version, name = re.match(r"V(\d+)__(.+)\.sql$", f).groups()
    with open(os.path.join(folder, f)) as fh:
        cur.execute("SELECT dbmigrate_add(%s, %s, %s)", (version, name.replace("_", " "), fh.read()))
cur.execute("SELECT dbmigrate_apply()")
check(cur.fetchone()[0] == 2, "two migrations applied")
conn.commit()

# 2. start-up assertion: at version 2; version 3 is 55000, and the session goes on
cur.execute("SELECT dbmigrate_assert(%s)", ("2",))
check(cur.fetchone()[0] is True, "dbmigrate_assert('2') is true")
try:
    cur.execute("SELECT dbmigrate_assert(%s)", ("3",))
    check(False, "dbmigrate_assert('3') passed")
except psycopg2.errors.ObjectNotInPrerequisiteState as e:
    check(e.pgcode == "55000" and str(e).startswith("dbcare:"), "55000 with a dbcare: message: %s" % e)
conn.rollback()

# 3. the health report, jsonb as a dict
cur.execute("SELECT dbhealth_report()")
report = cur.fetchone()[0]
check(isinstance(report, dict) and 0 <= report["score"] <= 100 and report["status"] in
      ("healthy", "warning", "critical"), "health report: %r" % (report,))
migrations = [c for c in report["checks"] if c["name"] == "migrations"]
check(migrations and migrations[0]["status"] == "ok" and report["metrics"]["migration_version"] == "2",
      "the report sees version 2 applied: %r" % (migrations,))
conn.commit()

# 4. a backup function: a named restore point
cur.execute("SELECT dbbackup_mark(%s)", ("before-import",))
mark = json.loads(cur.fetchone()[0])
check(mark["label"] == "before-import", "restore point: %r" % (mark,))
conn.commit()

# 5. an audited write, read back from the log; the chain verifies
cur.execute("INSERT INTO account (email, profile) VALUES (%s, %s) RETURNING id",
            ("ada@example.com", psycopg2.extras.Json({"age": 36})))
account_id = cur.fetchone()[0]
cur.execute("UPDATE account SET profile = %s WHERE id = %s", (psycopg2.extras.Json({"age": 37}), account_id))
conn.commit()
cur.execute("SELECT count(*) FROM dbaudit_log('account')")
check(cur.fetchone()[0] == 2, "two audit entries")
cur.execute("SELECT count(*) FROM dbaudit_verify() WHERE broken_id IS NOT NULL")
check(cur.fetchone()[0] == 0, "the audit chain verifies")

# 6. the JSON Schema CHECK refuses a bad document; nothing is written
try:
    cur.execute("INSERT INTO account (email, profile) VALUES (%s, %s)",
                ("bob@example.com", psycopg2.extras.Json({"age": -1})))
    check(False, "a bad profile was accepted")
except psycopg2.errors.CheckViolation as e:
    check(e.pgcode == "23514", "23514: %s" % e)
conn.rollback()
cur.execute("SELECT count(*) FROM account")
check(cur.fetchone()[0] == 1, "the refused row is not there")
cur.execute("SELECT count(*) FROM dbaudit_log('account')")
check(cur.fetchone()[0] == 2, "the refused write is not in the audit log")
conn.close()
print("psycopg2 %s: the start-up journey passes" % psycopg2.__version__)
PY
echo ok
