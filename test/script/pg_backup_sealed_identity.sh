#!/usr/bin/env bash
# PostgreSQL databases have an identity (issue 49.5): a random id CREATE
# EXTENSION dbcare makes in dbcare.database_identity, named in the header
# of every sealed dump `dbcare backup` writes. Two databases, each dumped
# once to the same published path (one backup folder and name for
# several databases): the other's sealed dump over the catalogued file,
# its catalog row's columns copied too (same SHA-256, fingerprint,
# content), is refused by `dbcare verify` and by a restore drill, naming
# both identities, and the row becomes failed. (Before, the header named
# the database's name and path only and the path matched: it verified.)
# A clone (CREATE DATABASE ... TEMPLATE) keeps the identity: its dump at
# the catalogued path is refused by the database name the header names,
# which only --allow-origin NAME passes (a renamed database, or one
# restored under another name, verifies its dumps so).
# The database's own dump verifies. pg_dump carries the identity: a
# database restored from a dump (pg_restore into a new database, whose
# CREATE EXTENSION made an identity of its own first) has the origin's,
# and verifies the dumps its restored catalog names; one a dump was never
# restored into keeps its own. A backup job's role reads it and cannot
# change it.
set -eu
db=dbcare_sealed_identity
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/pg_backup_origin.sh"
py=/usr/bin/python3
url_of() { echo "postgresql://$PGUSER@/$1?host=$PGHOST&port=$PGPORT"; }
other=${db}_other restored=${db}_restored clone=${db}_clone renamed=${db}_renamed
pq() { local d=$1; shift; "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$d" "$@"; }
trap '"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $other" -c "DROP DATABASE IF EXISTS $restored" \
  -c "DROP DATABASE IF EXISTS $clone" -c "DROP DATABASE IF EXISTS $renamed" >/dev/null 2>&1 || true; cleanup' EXIT

fresh_db
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $other" -c "CREATE DATABASE $other" >/dev/null
pq "$other" -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare"
q -c "CREATE TABLE t (id int PRIMARY KEY, who text); INSERT INTO t SELECT g, 'alice' FROM generate_series(1, 100) g"
pq "$other" -c "CREATE TABLE t (id int PRIMARY KEY, who text); INSERT INTO t SELECT g, 'mallory' FROM generate_series(1, 100) g"
ida=$(q -c "SELECT identity FROM dbcare.database_identity")
idb=$(pq "$other" -c "SELECT identity FROM dbcare.database_identity")
[ ${#ida} = 32 ] && [ ${#idb} = 32 ] && [ "$ida" != "$idb" ] || fail "identities: '$ida' '$idb'"
[ "$(q -c "SELECT count(*) FROM dbcare.database_identity")" = 1 ] || fail "more than one identity"

mkdir shared
run 0 backup shared/app.dump --compress zstd --db "$(url_of "$db")"
grep -qaF "id:$ida $db" shared/app.dump || fail "the sealed dump's header names no identity: $(head -c 300 shared/app.dump | tr -c "[:print:]" .)"
mv shared/app.dump a.saved
run 0 backup shared/app.dump --compress zstd --db "$(url_of "$other")"
grep -qaF "id:$idb $other" shared/app.dump || fail "the other's header names no identity"

# the attack: the other's dump at this database's catalogued path, the
# other's row's columns over this database's row
dump_swap_refused "sealed dump"

# a clone keeps the identity: its dump at this database's catalogued
# path, its row's columns over this database's row; the identities and
# the published paths match, the database names do not
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $clone" -c "DROP DATABASE IF EXISTS $renamed" \
  -c "CREATE DATABASE $clone TEMPLATE $db" >/dev/null
[ "$(pq "$clone" -c "SELECT identity FROM dbcare.database_identity")" = "$ida" ] || fail "the clone's identity"
pq "$clone" -c "UPDATE t SET who = 'clone-fake'"
rm shared/app.dump
run 0 backup shared/app.dump --compress zstd --db "$(url_of "$clone")"
grep -qaF "id:$ida $clone" shared/app.dump || fail "the clone's header"
q -c "UPDATE dbcare.backups SET $(pq "$clone" -c "$row") WHERE path = '$work/shared/app.dump'" >/dev/null
run 1 verify shared/app.dump --db "$(url_of "$db")"
has "it is the sealed dump of database $clone, not of this database $db that catalogues it (a copy keeps the identity)" err
run 1 backup drill shared/app.dump --db "$(url_of "$db")" --json
grep -qF "database $clone, not of this database $db" out err || fail "the drill took the clone's dump: $(cat out err)"
[ "$(q -c "SELECT count(*) FROM t WHERE who = 'alice'")" = 100 ] || fail "the database changed"
# the clone renamed: its own dump is refused until its old name is named
"$B/psql" -X -q -d postgres -c "ALTER DATABASE $clone RENAME TO $renamed" >/dev/null
run 1 verify shared/app.dump --db "$(url_of "$renamed")"
has "if this database moved or was renamed from $clone, name that origin: --allow-origin $clone" err
run 1 verify shared/app.dump --db "$(url_of "$renamed")" --allow-origin "$other"
run 0 verify shared/app.dump --db "$(url_of "$renamed")" --allow-origin "$clone" --json
[ "$(json "d['verify']['verified']")" = True ] || fail "the renamed database does not verify its dump: $(cat out)"
run 0 backup drill shared/app.dump --db "$(url_of "$renamed")" --allow-origin "$clone" --json

# this database's own dump back: it verifies
mv a.saved shared/app.dump
q -c "UPDATE dbcare.backups SET $saved, status = 'unverified' WHERE path = '$work/shared/app.dump'" >/dev/null
run 0 verify shared/app.dump --db "$(url_of "$db")" --json
[ "$(json "d['verify']['verified']")" = True ] || fail "the own dump does not verify: $(cat out)"

# pg_dump carries the identity: restored into a new database (its CREATE
# EXTENSION makes one first, which the dumped row replaces), the copy is
# this database under another name: it verifies the dumps its catalog
# names once that name is named as their origin
"$B/pg_dump" -Fc -f plain.dump "$db"
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $restored" -c "CREATE DATABASE $restored" >/dev/null
"$B/pg_restore" --exit-on-error -d "$restored" plain.dump
[ "$(pq "$restored" -c "SELECT identity FROM dbcare.database_identity")" = "$ida" ] ||
  fail "the restored database's identity: $(pq "$restored" -c "SELECT * FROM dbcare.database_identity")"
run 1 verify shared/app.dump --db "$(url_of "$restored")"
has "it is the sealed dump of database $db, not of this database $restored that catalogues it" err
run 0 verify shared/app.dump --db "$(url_of "$restored")" --allow-origin "$db" --json
[ "$(json "d['verify']['verified']")" = True ] || fail "the restored database does not verify its dump: $(cat out)"
[ "$(pq "$other" -c "SELECT identity FROM dbcare.database_identity")" = "$idb" ] || fail "the other's identity changed"
# a backup job's role (USAGE on the schema dbcare, docs/backups.md) reads
# it, as `dbcare backup` must to seal a dump; nobody but the owner writes it
pq "$db" -c "DROP ROLE IF EXISTS dbcare_identity_reader" -c "CREATE ROLE dbcare_identity_reader" \
  -c "GRANT USAGE ON SCHEMA dbcare TO dbcare_identity_reader"
[ "$(pq "$db" -c "SET ROLE dbcare_identity_reader" -c "SELECT identity FROM dbcare.database_identity")" = "$ida" ] ||
  fail "the identity is not readable"
pq "$db" -c "SET ROLE dbcare_identity_reader" -c "UPDATE dbcare.database_identity SET identity = '$idb'" 2>/dev/null &&
  fail "a role without rights changed the identity"
pq "$db" -c "REVOKE USAGE ON SCHEMA dbcare FROM dbcare_identity_reader" -c "DROP ROLE dbcare_identity_reader"
echo ok
