#!/usr/bin/env bash
# A plain (unsealed) dump carries the identity of the database dumped:
# dbcare.database_identity is a configuration table pg_dump dumps, and
# the archive's header names the database. `dbcare verify` and the
# restore drill compare them with this database by the rule sealed dumps
# follow (pg_backup_sealed_identity.sh). Another database's plain dump
# copied over a catalogued file, its catalog row's columns copied too
# (same SHA-256, fingerprint, content), is refused naming both
# identities, and the row becomes failed (before: it verified). A clone
# (CREATE DATABASE ... TEMPLATE) keeps the identity: its dump is refused
# by the database name, which only --allow-origin NAME passes. The
# database's own dump verifies; a dump without an identity (its row
# gone, as a dump made before 0.3.9) is compared with nothing, as before.
set -eu
db=dbcare_plain_identity
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/pg_backup_origin.sh"
py=/usr/bin/python3
url_of() { echo "postgresql://$PGUSER@/$1?host=$PGHOST&port=$PGPORT"; }
other=${db}_other clone=${db}_clone renamed=${db}_renamed
pq() { local d=$1; shift; "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$d" "$@"; }
trap '"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $other" \
  -c "DROP DATABASE IF EXISTS $clone" -c "DROP DATABASE IF EXISTS $renamed" >/dev/null 2>&1 || true; cleanup' EXIT

fresh_db
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $other" -c "CREATE DATABASE $other" >/dev/null
pq "$other" -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare"
q -c "CREATE TABLE t (id int PRIMARY KEY, who text); INSERT INTO t SELECT g, 'alice' FROM generate_series(1, 100) g"
pq "$other" -c "CREATE TABLE t (id int PRIMARY KEY, who text); INSERT INTO t SELECT g, 'mallory' FROM generate_series(1, 100) g"
ida=$(q -c "SELECT identity FROM dbcare.database_identity")
idb=$(pq "$other" -c "SELECT identity FROM dbcare.database_identity")
[ ${#ida} = 32 ] && [ ${#idb} = 32 ] && [ "$ida" != "$idb" ] || fail "identities: '$ida' '$idb'"

mkdir shared
run 0 backup shared/app.dump --db "$(url_of "$db")"
head -c 5 shared/app.dump | grep -qF PGDMP || fail "not a plain dump"
mv shared/app.dump a.saved
run 0 backup shared/app.dump --db "$(url_of "$other")"

# the attack: the other's plain dump at this database's catalogued path,
# the other's row's columns over this database's row
dump_swap_refused "dump"

# a clone keeps the identity: its plain dump at the catalogued path is
# refused by the database name it carries
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $clone" -c "DROP DATABASE IF EXISTS $renamed" \
  -c "CREATE DATABASE $clone TEMPLATE $db" >/dev/null
[ "$(pq "$clone" -c "SELECT identity FROM dbcare.database_identity")" = "$ida" ] || fail "the clone's identity"
pq "$clone" -c "UPDATE t SET who = 'clone-fake'"
rm shared/app.dump
run 0 backup shared/app.dump --db "$(url_of "$clone")"
q -c "UPDATE dbcare.backups SET $(pq "$clone" -c "$row") WHERE path = '$work/shared/app.dump'" >/dev/null
run 1 verify shared/app.dump --db "$(url_of "$db")"
has "it is the dump of database $clone, not of this database $db that catalogues it (a copy keeps the identity)" err
run 1 backup drill shared/app.dump --db "$(url_of "$db")" --json
grep -qF "database $clone, not of this database $db" out err || fail "the drill took the clone's dump: $(cat out err)"
# the clone renamed: its own dump verifies once its old name is named
"$B/psql" -X -q -d postgres -c "ALTER DATABASE $clone RENAME TO $renamed" >/dev/null
run 1 verify shared/app.dump --db "$(url_of "$renamed")"
has "if this database moved or was renamed from $clone, name that origin: --allow-origin $clone" err
run 0 verify shared/app.dump --db "$(url_of "$renamed")" --allow-origin "$clone" --json
[ "$(json "d['verify']['verified']")" = True ] || fail "the renamed database does not verify its dump: $(cat out)"

# this database's own dump back: it verifies, and its drill passes
mv a.saved shared/app.dump
q -c "UPDATE dbcare.backups SET $saved, status = 'unverified' WHERE path = '$work/shared/app.dump'" >/dev/null
run 0 verify shared/app.dump --db "$(url_of "$db")" --json
[ "$(json "d['verify']['verified']")" = True ] || fail "the own dump does not verify: $(cat out)"
run 0 backup drill shared/app.dump --db "$(url_of "$db")" --json

# a dump without an identity (the row gone, as before 0.3.9): nothing to
# compare, it verifies as before
q -c "ALTER TABLE dbcare.database_identity DISABLE TRIGGER ALL" -c "DELETE FROM dbcare.database_identity" \
  -c "ALTER TABLE dbcare.database_identity ENABLE ALWAYS TRIGGER dbcare_database_identity_replace" >/dev/null
run 0 backup old-style.dump --db "$(url_of "$db")"
run 0 verify old-style.dump --db "$(url_of "$db")" --json
[ "$(json "d['verify']['verified']")" = True ] || fail "a dump without identity does not verify: $(cat out)"
echo ok
