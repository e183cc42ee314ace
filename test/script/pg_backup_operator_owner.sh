#!/usr/bin/env bash
# The content record read at a backup and at a restore runs no code of a
# table owner: an operator =(oid, regclass) the owner made in public,
# which matches better than pg_catalog's oid = oid, once ran as the
# superuser reading (COPY ... TO PROGRAM works in a read-only
# transaction). The reader's search_path is pinned while it reads.
set -eu
db=dbcare_backup_operator
. "$(dirname "$0")/lib/pg.sh"
into=${db}_into
owned_db dbcare_op_owner "$into"
. "$(dirname "$0")/lib/cli.sh"
"$B/psql" -X -q -v ON_ERROR_STOP=1 -U "$owner" -d "$db" >/dev/null <<'SQL'
CREATE TABLE public.t (id int PRIMARY KEY); INSERT INTO public.t VALUES (1);
CREATE FUNCTION public.spy_eq(oid, regclass) RETURNS bool LANGUAGE plpgsql AS $$ BEGIN
  IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
    RAISE WARNING 'owner code ran as %', current_user; END IF;
  RETURN $1 OPERATOR(pg_catalog.=) $2::oid; END $$;
CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = regclass, FUNCTION = public.spy_eq);
SQL
url() { echo "postgresql://$PGUSER@/$1?host=$PGHOST&port=$PGPORT"; }
run 0 backup "$work/op.dump" --db "$(url "$db")"
grep -q "owner code ran as" "$work/err" && fail "the backup ran the owner's operator: $(head -3 "$work/err")"
"$B/psql" -X -q -d postgres -c "CREATE DATABASE $into OWNER $owner" >/dev/null
run 0 restore "$work/op.dump" --db "$(url "$into")"
grep -q "owner code ran as" "$work/err" && fail "the restore ran the owner's operator: $(head -3 "$work/err")"
has "every row count and content hash the source's" out
echo ok
