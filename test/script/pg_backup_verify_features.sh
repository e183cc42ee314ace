#!/usr/bin/env bash
# dbcare verify of a pg_dump of a database that uses every dbcare feature
# (issue 50.4): an audited table (with the hash chain) and a soft-deleted
# one carry triggers that call dbcare's functions, a retention policy
# archives into a schema of its own, a CHECK calls dbjson_valid, and the
# bookkeeping holds migrations, health snapshots and backup marks. The
# scratch role that restores the dump used to have no rights in the schema
# dbcare ("permission denied for schema dbcare") and verify marked a good
# dump failed. Now it gets what the dump's dbcare objects need, no more:
# it may call the functions the restored objects name, not change dbcare's
# bookkeeping, and the same role cannot read it either.
set -eu
db=dbcare_backup_verify_features
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
status() { q -c "SELECT status FROM dbcare.backups WHERE path = '$work/$1'"; }

fresh_db
q -c "SELECT dbcare_set('audit.hash_chain', 'on')" \
  -c "CREATE TABLE account (id int PRIMARY KEY, email text NOT NULL,
        profile jsonb CHECK (dbjson_valid(profile, '{\"type\": \"object\", \"required\": [\"name\"]}')))" \
  -c "INSERT INTO account SELECT g, 'u' || g || '@example.com', jsonb_build_object('name', 'u' || g)
        FROM generate_series(1, 500) g" \
  -c "SELECT dbaudit_enable('account')" \
  -c "UPDATE account SET email = upper(email) WHERE id <= 20" \
  -c "CREATE TABLE video (id int PRIMARY KEY, title text)" \
  -c "INSERT INTO video SELECT g, 't' || g FROM generate_series(1, 100) g" \
  -c "SELECT dbsoftdelete_enable('video')" \
  -c "DELETE FROM video WHERE id <= 10" \
  -c "CREATE TABLE message (id int PRIMARY KEY, sent_at timestamptz NOT NULL)" \
  -c "INSERT INTO message SELECT g, now() - g * interval '1 day' FROM generate_series(1, 60) g" \
  -c "CREATE SCHEMA archive" \
  -c "SELECT dbretain_add('messages', 'message', 'sent_at', '30 days', 'archive', 'archive.message')" \
  -c "CALL dbretain_run()" \
  -c "SELECT dbmigrate_add('1', 'tags', 'CREATE TABLE tag (id int PRIMARY KEY, name text)')" \
  -c "SELECT dbmigrate_apply()" \
  -c "SELECT dbhealth_snapshot() IS NOT NULL" \
  -c "SELECT dbbackup_mark('before-verify') IS NOT NULL" >/dev/null
[ "$(q -c "SELECT count(*) FROM archive.message")" -gt 0 ] || fail "the policy archived nothing"
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE hash IS NOT NULL")" -gt 0 ] ||
  fail "the audit trail has no chained entries"

run 0 backup full.dump --db "$url"
# a pg_restore on PATH that, before the last restore step (the tables,
# their rows and triggers), records what the scratch role may do in dbcare
mkdir shim
cat >shim/pg_restore <<SHIM
#!/usr/bin/env bash
for a in "\$@"; do case "\$a" in
  --dbname=*) d="\${a#--dbname=dbname=\'}"; d="\${d%\'}" ;; # dbname='NAME' (a plain name)
  --use-list=*/rest.list) rest=1 ;;
esac; done
if [ -n "\${rest:-}" ]; then
  PGUSER=$PGUSER "$B/psql" -X -At -F ' ' -d "\$d" -c "SELECT
    has_schema_privilege('\$d', 'dbcare', 'USAGE'), has_schema_privilege('\$d', 'dbcare', 'CREATE'),
    has_function_privilege('\$d', 'dbcare.audit_trigger()', 'EXECUTE'),
    has_function_privilege('\$d', 'dbcare.softdelete_row()', 'EXECUTE'),
    has_function_privilege('\$d', 'dbcare.migrations_changed()', 'EXECUTE'),
    has_function_privilege('\$d', 'dbcare.migrations_registrant()', 'EXECUTE'),
    has_table_privilege('\$d', 'dbcare.backups', 'SELECT'),
    has_table_privilege('\$d', 'dbcare.audit_log', 'SELECT,INSERT'),
    has_table_privilege('\$d', 'dbcare.softdelete', 'SELECT,INSERT')" >"$work/privs" 2>&1
fi
exec "$B/pg_restore" "\$@"
SHIM
chmod +x shim/pg_restore
PATH="$work/shim:$B:$PATH" run 0 verify full.dump --db "$url" --json
# USAGE on the schema and EXECUTE on the two trigger functions the dump's
# triggers call; no CREATE there, no other function, no bookkeeping table
[ "$(cat privs)" = "t f t t f f f f f" ] || fail "the scratch role's rights in dbcare: $(cat privs)"
[ "$(json "d['verify']['verified']")" = True ] || fail "the dump did not verify: $(cat out err)"
[ "$(status full.dump)" = verified ] || fail "the dump is not marked verified"
# a dump with only a soft-deleted table: the audit function is not granted
q -c "SELECT dbaudit_disable('account')" >/dev/null
run 0 backup soft.dump --db "$url"
PATH="$work/shim:$B:$PATH" run 0 verify soft.dump --db "$url"
[ "$(cat privs)" = "t f f t f f f f f" ] || fail "the scratch role's rights (soft delete only): $(cat privs)"
[ "$(status soft.dump)" = verified ] || fail "the soft-delete dump is not marked verified"
echo "ok: a dump of a database using every dbcare feature verifies"
