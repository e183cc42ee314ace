#!/usr/bin/env bash
# An archive table of the same name (archive.invoice) made the plain name
# invoice "ambiguous" for every later dbcare call, although the caller's
# search_path resolves it. A name in several schemas now means the table of
# the first schema on the caller's search_path that has one, as PostgreSQL
# resolves it ($user included); a name on none of the path's schemas stays
# ambiguous, and a qualified name means its schema whatever the path.
set -eu
db=dbcare_retain_search_path
. "$(dirname "$0")/lib/pg.sh"
fresh_db
q <<'SQL' >/dev/null
CREATE SCHEMA archive;
CREATE TABLE invoice (invoice_id int PRIMARY KEY, invoice_date timestamptz NOT NULL);
CREATE TABLE invoice_line (id int PRIMARY KEY, invoice_id int);
INSERT INTO invoice SELECT i, now() - i * interval '10 days' FROM generate_series(1, 20) i;
SELECT dbretain_add('invoices', 'invoice', 'invoice_date', '30 days', 'archive', 'archive.invoice');
SELECT count(*) FROM dbretain_apply('invoices');
SQL
[ "$(q -c "SELECT count(*) FROM archive.invoice")" = 18 ] || fail "the archive was not made"
# the default path ("$user", public): invoice is public.invoice
table_of() { q -c "SELECT table_name FROM dbretain_policies WHERE name = '$1'"; }
q -c "SELECT public.dbretain_add('again', 'invoice', 'invoice_date', '30 days', 'delete')" >/dev/null ||
  fail "invoice is ambiguous under the default search_path"
[ "$(table_of again)" = public.invoice ] || fail "invoice resolved to $(table_of again)"
q -c "SELECT dbcheck_add_relation('lines', 'invoice_line', 'invoice_id', 'invoice', 'invoice_id')" >/dev/null ||
  fail "dbcheck_add_relation: invoice is ambiguous"
q -c "SELECT dbsoftdelete_enable('invoice_line')" >/dev/null
# the caller's path decides: archive first
q -c "SET search_path = archive, public" \
  -c "SELECT public.dbretain_add('first_archive', 'invoice', 'archived_at', '30 days', 'delete')" >/dev/null
[ "$(table_of first_archive)" = archive.invoice ] || fail "archive, public: invoice resolved to $(table_of first_archive)"
# $user: a schema named after the role comes first
q -c "CREATE SCHEMA postgres" -c "CREATE TABLE postgres.invoice (at timestamptz NOT NULL)" >/dev/null
q -c "SELECT public.dbretain_add('mine', 'invoice', 'at', '30 days', 'delete')" >/dev/null
[ "$(table_of mine)" = postgres.invoice ] || fail "\$user: invoice resolved to $(table_of mine)"
# on none of the path's schemas: still ambiguous
out=$(q -c "SET search_path = pg_catalog" \
  -c "SELECT public.dbretain_add('none', 'invoice', 'invoice_date', '30 days', 'delete')" 2>&1) &&
  fail "a name on no schema of the path resolved: $(table_of none)"
case "$out" in *'dbcare: table "invoice" named by argument "table" is ambiguous'*) ;; *) fail "none: $out" ;; esac
# qualified: its schema, whatever the path
q -c "SET search_path = archive" \
  -c "SELECT public.dbretain_add('qualified', 'public.invoice', 'invoice_date', '30 days', 'delete')" >/dev/null
[ "$(table_of qualified)" = public.invoice ] || fail "public.invoice resolved to $(table_of qualified)"
echo "ok: an unqualified name in several schemas resolves by the caller's search_path"
