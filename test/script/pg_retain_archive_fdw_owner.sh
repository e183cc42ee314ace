#!/usr/bin/env bash
# The foreign table of dbretain_archive_attached decides where the moved
# rows go (its server's host and database, its remote table), and its
# owner and its server's owner may change that at any time: a foreign
# table or a server another role owns is refused as an archive before
# anything is picked, as another role's trigger on it is; the same table
# owned by the caller (or a superuser) still takes the batch. Each stage
# is a transaction of its own: none is taken inside a transaction block
# or after another stage in the same transaction.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
db=dbcare_archive_fdw_owner_src
adb=dbcare_archive_fdw_owner_dst
rows=200
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$here/lib/retain_archive_pg.sh"

q <<SQL >/dev/null
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_fdw_other;
CREATE ROLE regress_fdw_other;
CREATE EXTENSION postgres_fdw;
GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO regress_fdw_other;
CREATE SERVER archive FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (dbname '$adb', host '$PGHOST', port '$PGPORT');
CREATE USER MAPPING FOR CURRENT_USER SERVER archive;
GRANT USAGE ON FOREIGN SERVER archive TO regress_fdw_other;
CREATE SERVER elsewhere FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (dbname '$adb', host '$PGHOST', port '$PGPORT');
CREATE USER MAPPING FOR CURRENT_USER SERVER elsewhere;
ALTER SERVER elsewhere OWNER TO regress_fdw_other;
-- theirs: the foreign table another role owns; via: a server another role owns
CREATE SCHEMA theirs;
IMPORT FOREIGN SCHEMA dbcare LIMIT TO (retain_archive) FROM SERVER archive INTO theirs;
ALTER FOREIGN TABLE theirs.retain_archive OWNER TO regress_fdw_other;
CREATE SCHEMA via;
IMPORT FOREIGN SCHEMA dbcare LIMIT TO (retain_archive) FROM SERVER elsewhere INTO via;
CREATE SCHEMA cold;
IMPORT FOREIGN SCHEMA dbcare LIMIT TO (retain_archive) FROM SERVER archive INTO cold;
SQL
cleanup_role() {
  q -c "SET client_min_messages = warning" -c "DROP SCHEMA theirs, via CASCADE" \
    -c "DROP SERVER elsewhere CASCADE" -c "REVOKE ALL ON FOREIGN SERVER archive FROM regress_fdw_other" \
    -c "REVOKE ALL ON FOREIGN DATA WRAPPER postgres_fdw FROM regress_fdw_other" \
    -c "DROP ROLE regress_fdw_other" >/dev/null
}
step() { q -c "SELECT dbretain_archive_attached('old_ev', '$1')::json ->> 'stage'"; }

out=$(step theirs 2>&1) && fail "another role's foreign table taken as the archive: $out"
case "$out" in
  *'dbcare: '*'foreign table theirs.retain_archive'*'regress_fdw_other'*) ;;
  *) fail "theirs: $out" ;;
esac
out=$(step via 2>&1) && fail "a foreign table on another role's server taken as the archive: $out"
case "$out" in
  *'dbcare: '*'server elsewhere'*'regress_fdw_other'*) ;;
  *) fail "via: $out" ;;
esac
[ "$(q -c "SELECT count(*) FROM dbcare.retain_batches")|$(aq -c "SELECT count(*) FROM dbcare.retain_archive")" = "0|0" ] ||
  fail "a refused call left a batch or an archived copy"
cleanup_role

# a transaction around the stages would commit the archive's write and
# the source's together, the remote first: a crash between the two left a
# copy of a batch the source never recorded, picked and stored again under
# a new key. Refused in a transaction block, and for a second stage in one
# transaction (a statement or a DO block calling it twice).
out=$(q -c "BEGIN" -c "SELECT dbretain_archive_attached('old_ev', 'cold')" -c "COMMIT" 2>&1) &&
  fail "a stage taken inside a transaction block: $out"
case "$out" in *'dbcare: an archive into an attached database runs outside a transaction'*) ;; *) fail "block: $out" ;; esac
out=$(q -c "SELECT dbretain_archive_attached('old_ev', 'cold') FROM generate_series(1, 2)" 2>&1) &&
  fail "two stages taken in one transaction: $out"
case "$out" in *'dbcare: an archive into an attached database runs outside a transaction'*) ;; *) fail "two: $out" ;; esac
[ "$(q -c "SELECT count(*) FROM dbcare.retain_batches")|$(aq -c "SELECT count(*) FROM dbcare.retain_archive")" = "0|0" ] ||
  fail "a refused transaction left a batch or an archived copy"

# the caller's own foreign table and server: the whole run
for _ in $(seq 1 20); do [ "$(step cold)" = idle ] && break; done
exact "the caller's own archive"
echo "ok: another role's foreign table or server refused; the caller's own archive used"
