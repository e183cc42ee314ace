#!/usr/bin/env bash
# dbbackup_prune deletes only files this module wrote as backups of this
# database, whatever the catalog says (docs/backups.md "What prune deletes").
#  1. A hostile file's catalog names the victim's live database with the
#     fingerprint of its schema, an empty file with the fingerprint of an empty
#     schema, and a real backup of ANOTHER database with that backup's own
#     fingerprint. prune(0, NULL, 0) run on the hostile file deletes none of
#     them and names them under not_backups; the hostile file's own older
#     backup is deleted.
#  2. Relative paths: dbbackup_create('b1.db') records the absolute path, so
#     prune run from another directory deletes that file and not another
#     tenant's b1.db there; a relative row from before is never deleted, and
#     dbbackup_list resolves it against the database file's directory.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

victim="$work/victim"; attacker="$work/attacker"
mkdir -p "$victim/backups" "$attacker"
sqlite3 "$victim/app.db" "CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT);
                          INSERT INTO accounts VALUES (1, 'alice');"
: > "$victim/empty.db"
# a real backup of another database, made by dbcare
db="$victim/other.db"
sqlite3 "$db" "CREATE TABLE notes (n TEXT)"
q "SELECT dbbackup_create('$victim/backups/other-1.db')" > /dev/null
other_fp=$(q "SELECT fingerprint FROM dbbackup_list")
# the fingerprint of app.db's schema, as the module computes it
app_fp=$("$py" - "$victim/app.db" <<'PY'
import hashlib, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
rows = c.execute("SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema ORDER BY type, name")
print(hashlib.sha256("".join("\t".join(r) + "\n" for r in rows).encode()).hexdigest())
PY
)
empty_fp=$(printf '' | sha256sum | cut -d' ' -f1)

db="$attacker/hostile.db"
sqlite3 "$db" "CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT)"
q "SELECT dbbackup_create('$attacker/own-1.db')" > /dev/null
q "SELECT dbbackup_create('$attacker/own-2.db')" > /dev/null
q "INSERT INTO dbcare_backups (kind, path, created_at, fingerprint, status) VALUES
     ('file', '$victim/app.db', '2000-01-01T00:00:00.000Z', '$app_fp', 'verified'),
     ('file', '$victim/empty.db', '2000-01-01T00:00:00.000Z', '$empty_fp', 'verified'),
     ('file', '$victim/backups/other-1.db', '2000-01-01T00:00:00.000Z', '$other_fp', 'verified')"
out=$(q "SELECT dbbackup_prune(0, NULL, 0)")
[ -f "$victim/app.db" ] || fail "prune deleted the victim's database: $out"
[ -f "$victim/empty.db" ] || fail "prune deleted an empty file: $out"
[ -f "$victim/backups/other-1.db" ] || fail "prune deleted another database's backup: $out"
[ "$(sqlite3 "$victim/app.db" 'SELECT owner FROM accounts')" = alice ] || fail "app.db changed"
[ ! -e "$attacker/own-1.db" ] || fail "prune kept the file's own older backup: $out"
[ -f "$attacker/own-2.db" ] || fail "prune deleted the newest verified backup: $out"
for p in app.db empty.db backups/other-1.db; do
  printf '%s' "$out" | grep -q "\"not_backups\":\[.*\"$victim/$p\"" || fail "not_backups lacks $p: $out"
done
echo "ok: a hostile catalog row deletes nothing the module did not write for this database"

# relative paths are stored resolved; prune from elsewhere
tenant1="$work/tenant1"; tenant2="$work/tenant2"
mkdir -p "$tenant1" "$tenant2"
db="$tenant1/t.db"
sqlite3 "$db" "CREATE TABLE t (x)"
(cd "$tenant1" && q "SELECT dbbackup_create('b1.db')" > /dev/null &&
 q "SELECT dbbackup_create('b2.db')" > /dev/null)
[ "$(q "SELECT group_concat(path, ' ') FROM dbbackup_list")" = "$tenant1/b1.db $tenant1/b2.db" ] ||
  fail "relative paths are not stored resolved: $(q 'SELECT path FROM dbbackup_list')"
cp "$tenant1/b1.db" "$tenant2/b1.db"   # another tenant's file of the same name
(cd "$tenant2" && q "SELECT dbbackup_prune(1, NULL, 0)" > /dev/null)
[ -f "$tenant2/b1.db" ] || fail "prune from another directory deleted that directory's b1.db"
[ ! -e "$tenant1/b1.db" ] || fail "prune kept the old backup"
# a relative row from before the fix: listed against the database's
# directory, never deleted
cp "$tenant1/b2.db" "$tenant1/old.db"
q "INSERT INTO dbcare_backups (kind, path, created_at, fingerprint, status)
   SELECT 'file', 'old.db', '2000-01-01T00:00:00.000Z', fingerprint, 'verified'
     FROM dbcare_backups WHERE path = '$tenant1/b2.db'"
[ "$(cd "$tenant2" && q "SELECT \"exists\" FROM dbbackup_list WHERE path = 'old.db'")" = 1 ] ||
  fail "a relative row is not resolved against the database's directory"
out=$(cd "$tenant1" && q "SELECT dbbackup_prune(0, NULL, 0)")
[ -f "$tenant1/old.db" ] || fail "prune deleted a relative row's file: $out"
printf '%s' "$out" | grep -q '"not_backups":\[.*"old.db"' || fail "not_backups lacks old.db: $out"
echo "ok: backup paths are stored resolved; relative rows are kept"
