#!/usr/bin/env bash
# The installed extension's functions are exactly the API table's
# (core/api/functions.h): each C function of the extension read back from
# pg_proc -- name, kind, argument names and types, defaults, result type or
# columns, volatility, strictness, SECURITY DEFINER, PARALLEL, the pinned
# search_path, whether PUBLIC may execute it, the pg_monitor grant and the
# comment -- against the generator's description of the table (api_sql
# pg-expect), both ways. A function written by hand into pg/sql/ or an
# upgrade script, or a generator that drops a clause, shows here.
# dbcare.migrations_registrant (a PL/pgSQL trigger body, pg/sql/20_migrate.sql)
# and dbcare.database_identity_replace (pg/sql/80_backup.sql, the same) are
# the functions outside the table.
set -eu
db=dbcare_api_parity
. "$(dirname "$0")/lib/pg.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
gen="$root/build/gen/api_sql"
[ -x "$gen" ] || fail "$gen is not built (make)"
fresh_db

"$gen" pg-expect | LC_ALL=C sort > "$work/table"
q -F $'\t' > "$work/installed.unsorted" <<'SQL'
SELECT CASE WHEN n.nspname = 'dbcare' THEN 'dbcare.' ELSE '' END || p.proname,
       p.prokind,
       coalesce((SELECT string_agg(coalesce(p.proargnames[a.i], '') || ':' || format_type(a.t, NULL),
                                   ', ' ORDER BY a.i)
                   FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]))
                        WITH ORDINALITY AS a(t, i)
                  WHERE coalesce(p.proargmodes[a.i], 'i') = 'i'), ''),
       coalesce(pg_get_expr(p.proargdefaults, 0), ''),
       CASE WHEN 't' = ANY (p.proargmodes) THEN
         'TABLE(' || (SELECT string_agg(p.proargnames[a.i] || ':' || format_type(a.t, NULL),
                                        ', ' ORDER BY a.i)
                        FROM unnest(p.proallargtypes) WITH ORDINALITY AS a(t, i)
                       WHERE p.proargmodes[a.i] = 't') || ')'
       ELSE format_type(p.prorettype, NULL) END,
       p.provolatile, p.proisstrict, p.prosecdef, p.proparallel,
       coalesce(array_to_string(p.proconfig, ' '), ''),
       EXISTS (SELECT FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x
                WHERE x.grantee = 0 AND x.privilege_type = 'EXECUTE'),
       EXISTS (SELECT FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x
                WHERE x.grantee = 'pg_monitor'::regrole AND x.privilege_type = 'EXECUTE'),
       coalesce(obj_description(p.oid, 'pg_proc'), '')
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dbcare')
   AND p.oid NOT IN ('dbcare.migrations_registrant()'::regprocedure,
                     'dbcare.database_identity_replace()'::regprocedure)
SQL
LC_ALL=C sort "$work/installed.unsorted" > "$work/installed"
[ "$(wc -l < "$work/table")" -gt 30 ] || fail "too few functions in the table: $(wc -l < "$work/table")"
diff -u "$work/table" "$work/installed" ||
  fail "the installed functions differ from core/api/functions.h (above: - table, + pg_proc)"
echo "ok: $(wc -l < "$work/installed") functions as the table declares them"
