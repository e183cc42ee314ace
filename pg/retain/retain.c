/*
 * retain.c — what PostgreSQL does its own way for soft delete and retention
 * (core/retain/retain.h, dbc_retain_hooks). The functions themselves have
 * the generic glue of pg/api/api.c; the trigger and the procedure are
 * pg/retain/fn_retain.c.
 */
#include "pg/host/glue.h"
#include "purge_scope.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "nodes/makefuncs.h"
#include "storage/lmgr.h"
#include "utils/lsyscache.h"

#include "retain/retain.h"

/* ------------------------------------------------------------ the dialect */

static char *cutoff_sql(dbc_ctx *ctx, const dbc_interval *iv, const char *sample)
{
	(void)sample;
	return dbc_printf(ctx,
	                  "(pg_catalog.now() OPERATOR(pg_catalog.-) pg_catalog.make_interval("
	                  "years => %lld, months => %lld, days => %lld, hours => %lld, "
	                  "mins => %lld, secs => %lld))",
	                  (long long)iv->years, (long long)iv->months, (long long)iv->days,
	                  (long long)iv->hours, (long long)iv->minutes, (long long)iv->seconds);
}

/* Parameters arrive as text or bigint: a cast makes them the column's type
 * (the type text is the catalog's, format_type). */
static char *param_as(dbc_ctx *ctx, int n, const char *type)
{
	if (!type || !*type)
		return dbc_printf(ctx, "$%d", n);
	return dbc_printf(ctx, "CAST($%d AS %s)", n, type);
}

/* The text of a point in time, in UTC with a numeric offset and the era:
 * CAST(... AS text) follows DateStyle and TimeZone, and under DateStyle SQL
 * or Postgres it prints a zone abbreviation that may read back as another
 * zone ("IST" of Asia/Kolkata reads as Israel's), moving a cutoff by hours.
 * A date or timestamp is taken in the session's zone, as comparing it with
 * the timestamptz it reads back as takes it. */
static char *time_text(dbc_ctx *ctx, const char *expr)
{
	return dbc_printf(ctx,
	                  "pg_catalog.to_char(CAST(%s AS timestamp with time zone) AT TIME ZONE 'UTC', "
	                  "'YYYY-MM-DD HH24:MI:SS.US \"+00\" BC')",
	                  expr);
}

/* A plain table's inheritance children hold rows of their own that a
 * DELETE of the parent removes too, firing no trigger of the parent's: soft
 * delete cannot keep them, and refuses such a table (a partitioned table's
 * trigger is cloned onto each partition). */
static int refuse_children(dbc_ctx *ctx, const dbc_table *t)
{
	dbc_value p[2] = {dbc_text(t->schema), dbc_text(t->name)};
	char *child = NULL;
	bool any = false;
	if (dbc_query_text(ctx,
	                   "SELECT i.inhrelid::pg_catalog.regclass::text FROM pg_catalog.pg_inherits i "
	                   "JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) i.inhparent "
	                   "WHERE i.inhparent OPERATOR(pg_catalog.=) pg_catalog.to_regclass("
	                   "pg_catalog.quote_ident($1) OPERATOR(pg_catalog.||) '.' "
	                   "OPERATOR(pg_catalog.||) pg_catalog.quote_ident($2)) "
	                   "AND c.relkind OPERATOR(pg_catalog.=) 'r' ORDER BY 1 LIMIT 1",
	                   2, p, &child, &any) != DBC_OK)
		return DBC_ERROR;
	if (!any)
		return DBC_OK;
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
	          "table %s has inheritance child %s: a DELETE of the parent deletes the child's rows "
	          "for real, so soft delete cannot keep them",
	          dbc_qualified_name(ctx, t->schema, t->name), child ? child : "");
	dbc_error_hint(ctx, "Soft delete a partitioned table, or each table on its own.");
	return DBC_ERROR;
}

static char *trigger_create(dbc_ctx *ctx, const dbc_table *t, const char *column)
{
	if (refuse_children(ctx, t) != DBC_OK)
		return NULL;
	return dbc_printf(ctx,
	                  "CREATE OR REPLACE TRIGGER dbcare_softdelete BEFORE DELETE ON %s "
	                  "FOR EACH ROW EXECUTE FUNCTION dbcare.softdelete_row(%s)",
	                  dbc_quoted_name(ctx, t->schema, t->name),
	                  ctx->host->quote_literal(ctx, column));
}

static char *trigger_drop(dbc_ctx *ctx, const dbc_table *t)
{
	return dbc_printf(ctx, "DROP TRIGGER IF EXISTS dbcare_softdelete ON %s",
	                  dbc_quoted_name(ctx, t->schema, t->name));
}

/* Where a batch's rows are: a TID scan of the picked row versions. */
static char *rows_in(dbc_ctx *ctx, const char *row_id, const char *subquery)
{
	return subquery ? dbc_printf(ctx, "%s OPERATOR(pg_catalog.=) ANY (ARRAY(%s))", row_id, subquery)
	                : NULL;
}

static char *locked_ids(dbc_ctx *ctx, const char *pick)
{
	return pick ? dbc_printf(ctx,
	                         "SELECT CAST(a AS text), pg_catalog.cardinality(a) FROM "
	                         "(SELECT ARRAY(%s) AS a) AS l",
	                         pick)
	            : NULL;
}

static char *rows_among(dbc_ctx *ctx, const char *row_id, int param)
{
	return dbc_printf(ctx, "%s OPERATOR(pg_catalog.=) ANY (CAST($%d AS %s[]))", row_id, param,
	                  ctx->host->dialect->row_id_type);
}

/* The functions comparing a foreign key's columns calls: its operators'
 * and the casts from a column's type (or a domain's base type) to their
 * input types, those owned by a role that is not a superuser (a trusted
 * extension's are the bootstrap superuser's). The functions are listed per
 * key column first and then looked up by oid: a join on "an operator's or
 * a cast's function" scanned every function with a subquery each (0.35 s
 * of every retention call on a table with a foreign key). */
#define FK_UNTRUSTED_SQL                                                                           \
	"SELECT f.oid::pg_catalog.regprocedure::text OPERATOR(pg_catalog.||) ' owned by ' "            \
	"OPERATOR(pg_catalog.||) pg_catalog.quote_ident(r.rolname) "                                   \
	"FROM pg_catalog.pg_constraint con "                                                           \
	"CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(con.conkey), "                                \
	"pg_catalog.unnest(con.confkey), pg_catalog.unnest(con.conpfeqop)) AS k(fk, pk, op) "          \
	"JOIN pg_catalog.pg_operator o ON o.oid OPERATOR(pg_catalog.=) k.op "                          \
	"JOIN pg_catalog.pg_attribute fa ON fa.attrelid OPERATOR(pg_catalog.=) con.conrelid "          \
	"AND fa.attnum OPERATOR(pg_catalog.=) k.fk "                                                   \
	"JOIN pg_catalog.pg_attribute pa ON pa.attrelid OPERATOR(pg_catalog.=) con.confrelid "         \
	"AND pa.attnum OPERATOR(pg_catalog.=) k.pk "                                                   \
	"JOIN pg_catalog.pg_type ft ON ft.oid OPERATOR(pg_catalog.=) fa.atttypid "                     \
	"JOIN pg_catalog.pg_type pt ON pt.oid OPERATOR(pg_catalog.=) pa.atttypid "                     \
	"CROSS JOIN LATERAL (SELECT o.oprcode UNION SELECT c.castfunc FROM pg_catalog.pg_cast c "      \
	"WHERE (c.castsource IN (ft.oid, ft.typbasetype) "                                             \
	"AND c.casttarget OPERATOR(pg_catalog.=) o.oprright) OR (c.castsource IN (pt.oid, "            \
	"pt.typbasetype) AND c.casttarget OPERATOR(pg_catalog.=) o.oprleft)) AS fn(oid) "              \
	"JOIN pg_catalog.pg_proc f ON f.oid OPERATOR(pg_catalog.=) fn.oid "                            \
	"JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) f.proowner AND NOT r.rolsuper "    \
	"WHERE con.conrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(pg_catalog.quote_ident($1) " \
	"OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident($2)) "             \
	"AND con.conname OPERATOR(pg_catalog.=) $3 AND con.contype OPERATOR(pg_catalog.=) 'f' "        \
	"ORDER BY 1 LIMIT 1"

/* What a DELETE, UPDATE or INSERT ($3) on table $1.$2, its partitions and its
 * inheritance children would run with the caller's rights that is code of
 * an untrusted role: one that is neither a superuser nor a role whose
 * rights the caller has (a superuser has every role's rights by
 * pg_has_role, so for a superuser caller every such role counts).
 * - a trigger for the event whose function such a role owns, and any
 *   trigger of a table such a role owns (its WHEN clause and arguments are
 *   the table owner's), but dbcare's own trigger functions without WHEN;
 * - a rule for the event, a row security policy (SELECT ones too, as the
 *   statements read rows; superusers and BYPASSRLS roles are not bound) of
 *   a table such a role owns;
 * - INSERT and UPDATE: a column default (INSERT) or generated column, a
 *   CHECK constraint, a CHECK of a column's domain, an index expression or
 *   predicate that calls a function (directly, by an operator or a cast)
 *   such a role owns;
 * - UPDATE (a restore by key): a cast or domain CHECK of a key value's type
 *   calling a function such a role owns (KEY_TYPES_SQL).
 * Read under the statement's own lock (dbc_retain_owner_code takes it
 * first), so no trigger, rule or policy can be added between the check and
 * the statement.
 * The first one found, described; no row when there is none. */
/* UPDATE is dbsoftdelete_restore's, which names rows by primary key: each
 * key value arrives as a text, bigint, double precision or boolean parameter
 * and is CAST to the key column's type. That conversion runs, with the
 * caller's rights, a cast function from those types into the column's type
 * or a domain's base type (any role owning the type may create one), and
 * the CHECKs of every domain the value is built of (a domain, an array's
 * element, a composite's attribute, a range's subtype, at any depth): so
 * for UPDATE those types' casts and domain CHECKs count as the table's
 * code. keytype: the key columns' types and every type they are built of. */
#define KEY_TYPES_SQL                                                                              \
	"keytype(typ) AS (SELECT a.atttypid FROM rel JOIN pg_catalog.pg_index x ON x.indrelid "        \
	"OPERATOR(pg_catalog.=) rel.oid AND x.indisprimary JOIN pg_catalog.pg_attribute a ON "         \
	"a.attrelid OPERATOR(pg_catalog.=) rel.oid AND a.attnum OPERATOR(pg_catalog.=) ANY "           \
	"(x.indkey) "                                                                                  \
	"WHERE $3 OPERATOR(pg_catalog.=) 'UPDATE' UNION SELECT p.typ FROM keytype k JOIN "             \
	"pg_catalog.pg_type y ON y.oid OPERATOR(pg_catalog.=) k.typ, LATERAL ("                        \
	"SELECT y.typbasetype AS typ WHERE y.typtype OPERATOR(pg_catalog.=) 'd' "                      \
	"UNION ALL SELECT y.typelem WHERE y.typelem OPERATOR(pg_catalog.<>) 0 "                        \
	"UNION ALL SELECT b.atttypid FROM pg_catalog.pg_attribute b WHERE b.attrelid "                 \
	"OPERATOR(pg_catalog.=) y.typrelid AND y.typrelid OPERATOR(pg_catalog.<>) 0 AND b.attnum "     \
	"OPERATOR(pg_catalog.>) 0 AND NOT b.attisdropped "                                             \
	"UNION ALL SELECT g.rngsubtype FROM pg_catalog.pg_range g WHERE g.rngtypid "                   \
	"OPERATOR(pg_catalog.=) y.oid "                                                                \
	"UNION ALL SELECT g.rngtypid FROM pg_catalog.pg_range g WHERE g.rngmultitypid "                \
	"OPERATOR(pg_catalog.=) y.oid) p), "
#define KEY_CAST_SQL                                                                               \
	"SELECT 'a cast from ' OPERATOR(pg_catalog.||) ca.castsource::pg_catalog.regtype::text "       \
	"OPERATOR(pg_catalog.||) ' to ' OPERATOR(pg_catalog.||) "                                      \
	"ca.casttarget::pg_catalog.regtype::text OPERATOR(pg_catalog.||) ' of a key value "            \
	"(function ' OPERATOR(pg_catalog.||) f.oid::pg_catalog.regprocedure::text "                    \
	"OPERATOR(pg_catalog.||) ', owned by ' OPERATOR(pg_catalog.||) "                               \
	"pg_catalog.quote_ident(fo.rolname) OPERATOR(pg_catalog.||) ')' "                              \
	"FROM pg_catalog.pg_cast ca JOIN pg_catalog.pg_proc f ON f.oid OPERATOR(pg_catalog.=) "        \
	"ca.castfunc JOIN (SELECT oid AS roleid, rolname, rolsuper FROM pg_catalog.pg_roles) fo "      \
	"ON fo.roleid OPERATOR(pg_catalog.=) f.proowner WHERE ca.casttarget IN (SELECT typ FROM "      \
	"keytype) AND ca.castsource IN ('pg_catalog.text'::pg_catalog.regtype, "                       \
	"'pg_catalog.int8'::pg_catalog.regtype, 'pg_catalog.float8'::pg_catalog.regtype, "             \
	"'pg_catalog.bool'::pg_catalog.regtype) AND " UNTRUSTED("fo") " "
/* r: a row with the role's roleid and rolsuper. */
#define UNTRUSTED(r)                                                                               \
	"(NOT " r ".rolsuper AND ((SELECT super FROM me) OR NOT "                                      \
	"pg_catalog.pg_has_role(CURRENT_USER, " r ".roleid, 'USAGE')))"
#define OWNER_CODE_SQL                                                                             \
	"WITH RECURSIVE rel AS (SELECT pg_catalog.to_regclass(CASE WHEN $1 IS NULL THEN "              \
	"pg_catalog.quote_ident($2) ELSE pg_catalog.quote_ident($1) OPERATOR(pg_catalog.||) '.' "      \
	"OPERATOR(pg_catalog.||) pg_catalog.quote_ident($2) END)::pg_catalog.oid AS oid), "            \
	"tree(oid) AS (SELECT oid FROM rel WHERE oid IS NOT NULL UNION "                               \
	"SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN tree ON i.inhparent "                    \
	"OPERATOR(pg_catalog.=) tree.oid), "                                                           \
	"me AS (SELECT r.rolsuper AS super, r.rolsuper OR r.rolbypassrls AS free "                     \
	"FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) "                           \
	"CURRENT_USER), " KEY_TYPES_SQL                                                                \
	"t AS (SELECT c.oid, c.relrowsecurity, o.oid AS roleid, o.rolname, o.rolsuper "                \
	"FROM tree JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) tree.oid "               \
	"JOIN pg_catalog.pg_roles o ON o.oid OPERATOR(pg_catalog.=) c.relowner) "                      \
	"SELECT d FROM ("                                                                              \
	"SELECT 'trigger ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(g.tgname) "                  \
	"OPERATOR(pg_catalog.||) ' of ' OPERATOR(pg_catalog.||) t.oid::pg_catalog.regclass::text "     \
	"OPERATOR(pg_catalog.||) ' (function ' OPERATOR(pg_catalog.||) "                               \
	"f.oid::pg_catalog.regprocedure::text OPERATOR(pg_catalog.||) ', owned by ' "                  \
	"OPERATOR(pg_catalog.||) pg_catalog.quote_ident(fo.rolname) OPERATOR(pg_catalog.||) "          \
	"'; table owned by ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(t.rolname) "               \
	"OPERATOR(pg_catalog.||) ')' AS d "                                                            \
	"FROM t JOIN pg_catalog.pg_trigger g ON g.tgrelid OPERATOR(pg_catalog.=) t.oid "               \
	"JOIN pg_catalog.pg_proc f ON f.oid OPERATOR(pg_catalog.=) g.tgfoid "                          \
	"JOIN (SELECT oid AS roleid, rolname, rolsuper FROM pg_catalog.pg_roles) fo "                  \
	"ON fo.roleid OPERATOR(pg_catalog.=) f.proowner "                                              \
	"WHERE NOT g.tgisinternal AND g.tgenabled OPERATOR(pg_catalog.<>) 'D' "                        \
	"AND (g.tgtype::integer OPERATOR(pg_catalog.&) CASE $3 WHEN 'DELETE' THEN 8 "                  \
	"WHEN 'UPDATE' THEN 16 ELSE 4 END) "                                                           \
	"OPERATOR(pg_catalog.<>) 0 "                                                                   \
	"AND (" UNTRUSTED("fo") " OR (" UNTRUSTED(                                                     \
	    "t") " AND (g.tgqual IS NOT NULL OR "                                                      \
	         "f.pronamespace OPERATOR(pg_catalog.<>) ALL (SELECT n.oid FROM "                      \
	         "pg_catalog.pg_namespace n "                                                          \
	         "WHERE n.nspname OPERATOR(pg_catalog.=) 'dbcare')))) "                                \
	         "UNION ALL "                                                                          \
	         "SELECT 'rule ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(w.rulename) "          \
	         "OPERATOR(pg_catalog.||) ' of ' OPERATOR(pg_catalog.||) "                             \
	         "t.oid::pg_catalog.regclass::text "                                                   \
	         "OPERATOR(pg_catalog.||) ' (owned by ' OPERATOR(pg_catalog.||) "                      \
	         "pg_catalog.quote_ident(t.rolname) OPERATOR(pg_catalog.||) ')' "                      \
	         "FROM t JOIN pg_catalog.pg_rewrite w ON w.ev_class OPERATOR(pg_catalog.=) t.oid "     \
	         "WHERE w.ev_type OPERATOR(pg_catalog.=) CASE $3 WHEN 'DELETE' THEN '4' WHEN "         \
	         "'UPDATE' THEN '2' "                                                                  \
	         "ELSE '3' END::\"char\" "                                                             \
	         "AND w.ev_enabled OPERATOR(pg_catalog.<>) 'D' AND " UNTRUSTED(                        \
	             "t") " "                                                                          \
	                  "UNION ALL "                                                                 \
	                  "SELECT 'row security policy ' OPERATOR(pg_catalog.||) "                     \
	                  "pg_catalog.quote_ident(p.polname) "                                         \
	                  "OPERATOR(pg_catalog.||) ' of ' OPERATOR(pg_catalog.||) "                    \
	                  "t.oid::pg_catalog.regclass::text "                                          \
	                  "OPERATOR(pg_catalog.||) ' (owned by ' OPERATOR(pg_catalog.||) "             \
	                  "pg_catalog.quote_ident(t.rolname) OPERATOR(pg_catalog.||) ')' "             \
	                  "FROM t JOIN pg_catalog.pg_policy p ON p.polrelid OPERATOR(pg_catalog.=) "   \
	                  "t.oid "                                                                     \
	                  "WHERE t.relrowsecurity "                                                    \
	                  "AND p.polcmd IN ('*', 'r', CASE $3 WHEN 'DELETE' THEN 'd' WHEN 'UPDATE' "   \
	                  "THEN 'w' "                                                                  \
	                  "ELSE 'a' END::\"char\") "                                                   \
	                  "AND NOT (SELECT free FROM me) AND " UNTRUSTED(                              \
	                      "t") " "                                                                 \
	                           "UNION ALL "                                                        \
	                           "SELECT 'an expression of ' OPERATOR(pg_catalog.||) "               \
	                           "t.oid::pg_catalog.regclass::text "                                 \
	                           "OPERATOR(pg_catalog.||) ' (a default, CHECK, domain or index "     \
	                           "calling ' "                                                        \
	                           "OPERATOR(pg_catalog.||) "                                          \
	                           "f.oid::pg_catalog.regprocedure::text OPERATOR(pg_catalog.||) ', "  \
	                           "owned by ' "                                                       \
	                           "OPERATOR(pg_catalog.||) pg_catalog.quote_ident(fo.rolname) "       \
	                           "OPERATOR(pg_catalog.||) ')' "                                      \
	                           "FROM t JOIN pg_catalog.pg_depend d ON "                            \
	                           "(d.classid OPERATOR(pg_catalog.=) "                                \
	                           "'pg_catalog.pg_attrdef'::pg_catalog.regclass AND d.objid "         \
	                           "IN (SELECT a.oid FROM pg_catalog.pg_attrdef a JOIN "               \
	                           "pg_catalog.pg_attribute c ON "                                     \
	                           "c.attrelid OPERATOR(pg_catalog.=) a.adrelid AND c.attnum "         \
	                           "OPERATOR(pg_catalog.=) a.adnum "                                   \
	                           "WHERE a.adrelid OPERATOR(pg_catalog.=) t.oid AND ($3 "             \
	                           "OPERATOR(pg_catalog.=) 'INSERT' "                                  \
	                           "OR c.attgenerated OPERATOR(pg_catalog.=) 's'))) "                  \
	                           "OR (d.classid OPERATOR(pg_catalog.=) "                             \
	                           "'pg_catalog.pg_constraint'::pg_catalog.regclass AND "              \
	                           "d.objid IN (SELECT k.oid FROM pg_catalog.pg_constraint k WHERE "   \
	                           "k.conrelid "                                                       \
	                           "OPERATOR(pg_catalog.=) t.oid AND k.contype "                       \
	                           "OPERATOR(pg_catalog.=) 'c' UNION ALL "                             \
	                           "SELECT k.oid FROM pg_catalog.pg_constraint k JOIN "                \
	                           "pg_catalog.pg_attribute c "                                        \
	                           "ON c.atttypid OPERATOR(pg_catalog.=) k.contypid WHERE c.attrelid " \
	                           "OPERATOR(pg_catalog.=) "                                           \
	                           "t.oid AND c.attnum OPERATOR(pg_catalog.>) 0 AND NOT "              \
	                           "c.attisdropped UNION ALL SELECT k.oid FROM "                       \
	                           "pg_catalog.pg_constraint k WHERE k.contypid IN (SELECT typ FROM "  \
	                           "keytype))) "                                                       \
	                           "OR (d.classid OPERATOR(pg_catalog.=) "                             \
	                           "'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid "           \
	                           "IN (SELECT x.indexrelid FROM pg_catalog.pg_index x WHERE "         \
	                           "x.indrelid OPERATOR(pg_catalog.=) "                                \
	                           "t.oid)) "                                                          \
	                           "LEFT JOIN pg_catalog.pg_operator op ON d.refclassid "              \
	                           "OPERATOR(pg_catalog.=) "                                           \
	                           "'pg_catalog.pg_operator'::pg_catalog.regclass AND op.oid "         \
	                           "OPERATOR(pg_catalog.=) d.refobjid "                                \
	                           "LEFT JOIN pg_catalog.pg_cast ca ON d.refclassid "                  \
	                           "OPERATOR(pg_catalog.=) "                                           \
	                           "'pg_catalog.pg_cast'::pg_catalog.regclass AND ca.oid "             \
	                           "OPERATOR(pg_catalog.=) d.refobjid "                                \
	                           "JOIN pg_catalog.pg_proc f ON f.oid OPERATOR(pg_catalog.=) CASE "   \
	                           "WHEN d.refclassid OPERATOR(pg_catalog.=) "                         \
	                           "'pg_catalog.pg_proc'::pg_catalog.regclass "                        \
	                           "THEN d.refobjid WHEN op.oid IS NOT NULL THEN "                     \
	                           "op.oprcode::pg_catalog.oid "                                       \
	                           "ELSE ca.castfunc END "                                             \
	                           "JOIN (SELECT oid AS roleid, rolname, rolsuper FROM "               \
	                           "pg_catalog.pg_roles) fo "                                          \
	                           "ON fo.roleid OPERATOR(pg_catalog.=) f.proowner "                   \
	                           "WHERE $3 IN ('INSERT', 'UPDATE') AND " UNTRUSTED(                  \
	                               "fo") " "                                                       \
	                                     "UNION ALL " KEY_CAST_SQL ") x ORDER BY 1 LIMIT 1"

static int columns(dbc_ctx *ctx, const char *schema, const char *table, dbc_row_fn each, void *arg)
{
	dbc_value p[2] = {schema ? dbc_text(schema) : dbc_null(), dbc_text(table)};
	return ctx->host->query(
	    ctx,
	    "SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod) "
	    "FROM pg_catalog.pg_attribute a WHERE a.attrelid = pg_catalog.to_regclass("
	    "pg_catalog.quote_ident($1) OPERATOR(pg_catalog.||) '.' "
	    "OPERATOR(pg_catalog.||) pg_catalog.quote_ident($2)) "
	    "AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped ORDER BY a.attnum",
	    2, p, each, arg);
}

static int schema_exists(dbc_ctx *ctx, const char *schema, bool *exists)
{
	dbc_value p = dbc_text(schema);
	char *one = NULL;
	return dbc_query_text(ctx, "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", 1, &p,
	                      &one, exists);
}

static int fk_untrusted(dbc_ctx *ctx, const char *schema, const char *table, const char *fk,
                        char **fn, bool *found)
{
	dbc_value v[3] = {schema ? dbc_text(schema) : dbc_null(), dbc_text(table), dbc_text(fk)};
	return dbc_query_text(ctx, FK_UNTRUSTED_SQL, 3, v, fn, found);
}

typedef struct foreign_lock {
	const char *schema, *table;
	bool foreign;
} foreign_lock;

/* LOCK TABLE refuses a foreign table (the archive of
 * dbretain_archive_attached): one is locked here the way its INSERT
 * would lock it, in the lock manager itself. */
static void foreign_lock_body(void *arg)
{
	foreign_lock *a = arg;
	RangeVar *rv = makeRangeVar(a->schema ? pstrdup(a->schema) : NULL, pstrdup(a->table), -1);
	Oid relid = RangeVarGetRelid(rv, NoLock, true);
	a->foreign = OidIsValid(relid) && get_rel_relkind(relid) == RELKIND_FOREIGN_TABLE;
	if (a->foreign)
		LockRelationOid(relid, RowExclusiveLock);
}

/* ROW EXCLUSIVE is the lock a DELETE, UPDATE or INSERT takes; CREATE
 * TRIGGER, CREATE RULE and CREATE POLICY wait for it. */
static int owner_code(dbc_ctx *ctx, const char *schema, const char *table, const char *event,
                      char **code, bool *found)
{
	foreign_lock fl = {schema, table, false};
	if (pgdbc_guarded(ctx, foreign_lock_body, &fl) != DBC_OK)
		return DBC_ERROR;
	char *lock =
	    dbc_printf(ctx, "LOCK TABLE %s IN ROW EXCLUSIVE MODE", dbc_quoted_name(ctx, schema, table));
	if (!fl.foreign && (!lock || ctx->host->exec(ctx, lock) != DBC_OK))
		return DBC_ERROR;
	dbc_value v[3] = {schema ? dbc_text(schema) : dbc_null(), dbc_text(table), dbc_text(event)};
	return dbc_query_text_latest(ctx, OWNER_CODE_SQL, 3, v, code, found);
}

/* Two runs of one policy take turns until the transaction (or batch) ends. */
#define RETAIN_LOCK_CLASS 1684173428 /* "dbrt" */

static int policy_lock(dbc_ctx *ctx, const char *name)
{
	dbc_value v = dbc_text(name);
	return ctx->host->query(ctx,
	                        "SELECT pg_catalog.pg_advisory_xact_lock(" CppAsString2(
	                            RETAIN_LOCK_CLASS) ", pg_catalog.hashtext($1))",
	                        1, &v, NULL, NULL);
}

/* The foreign table $1.retain_archive or its server when owned by a role
 * UNTRUSTED (neither a superuser nor one whose rights the caller has). */
#define ATTACHED_OWNERS_SQL                                                                        \
	"WITH me AS (SELECT r.rolsuper AS super FROM pg_catalog.pg_roles r "                           \
	"WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER), "                                       \
	"ft AS (SELECT c.oid, c.relowner, f.ftserver FROM pg_catalog.pg_class c "                      \
	"JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "               \
	"JOIN pg_catalog.pg_foreign_table f ON f.ftrelid OPERATOR(pg_catalog.=) c.oid "                \
	"WHERE n.nspname OPERATOR(pg_catalog.=) $1 "                                                   \
	"AND c.relname OPERATOR(pg_catalog.=) 'retain_archive'), "                                     \
	"o AS (SELECT oid AS roleid, rolname, rolsuper FROM pg_catalog.pg_roles) "                     \
	"SELECT d FROM (SELECT 'foreign table ' OPERATOR(pg_catalog.||) "                              \
	"ft.oid::pg_catalog.regclass::text OPERATOR(pg_catalog.||) ' (owned by ' "                     \
	"OPERATOR(pg_catalog.||) pg_catalog.quote_ident(o.rolname) OPERATOR(pg_catalog.||) ')' AS d "  \
	"FROM ft JOIN o ON o.roleid OPERATOR(pg_catalog.=) ft.relowner WHERE " UNTRUSTED(              \
	    "o") " "                                                                                   \
	         "UNION ALL SELECT 'server ' OPERATOR(pg_catalog.||) "                                 \
	         "pg_catalog.quote_ident(s.srvname) "                                                  \
	         "OPERATOR(pg_catalog.||) ' (owned by ' OPERATOR(pg_catalog.||) "                      \
	         "pg_catalog.quote_ident(o.rolname) OPERATOR(pg_catalog.||) ')' "                      \
	         "FROM ft JOIN pg_catalog.pg_foreign_server s ON s.oid OPERATOR(pg_catalog.=) "        \
	         "ft.ftserver "                                                                        \
	         "JOIN o ON o.roleid OPERATOR(pg_catalog.=) s.srvowner WHERE " UNTRUSTED(              \
	             "o") ") x LIMIT 1"

/* The archive of dbretain_archive_attached: the foreign table
 * schema.retain_archive, imported with postgres_fdw from the archive
 * database's dbcare schema. postgres_fdw commits the remote transaction
 * before the local one, so a batch stored there and then deleted here is
 * never lost to a crash between the two commits. */
static int attached_archive(dbc_ctx *ctx, const char *schema, char **prefix, bool *exists)
{
	dbc_value p = dbc_text(schema);
	char *kind = NULL;
	bool found = false;
	if (dbc_query_text(ctx,
	                   "SELECT c.relkind::text FROM pg_catalog.pg_class c JOIN "
	                   "pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
	                   "WHERE n.nspname OPERATOR(pg_catalog.=) $1 AND c.relname "
	                   "OPERATOR(pg_catalog.=) 'retain_archive'",
	                   1, &p, &kind, &found) != DBC_OK)
		return DBC_ERROR;
	if (!found || strcmp(kind, "f") != 0) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "schema \"%s\" holds no foreign table retain_archive of an archive database",
		          schema);
		dbc_error_hint(ctx,
		               "In the archive database: CREATE EXTENSION dbcare. Here: CREATE SCHEMA %s; "
		               "IMPORT FOREIGN SCHEMA dbcare LIMIT TO (retain_archive) FROM SERVER "
		               "<the archive's postgres_fdw server> INTO %s.",
		               schema, schema);
		return DBC_ERROR;
	}
	/* Each stage commits alone: a transaction holding the source's pick
	 * and the archive's store commits the remote first, and a crash before
	 * the local commit leaves a copy of a batch the source never recorded
	 * (stored again under a new key). A transaction block, or one that has
	 * written already (an earlier stage in the same statement or DO
	 * block), is refused; after the schema's check, so a wrong schema
	 * fails alike in and out of a transaction. */
	if (IsTransactionBlock() || TransactionIdIsValid(GetTopTransactionIdIfAny())) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "an archive into an attached database runs outside a transaction");
		dbc_error_hint(ctx, "COMMIT first, and call it once per transaction: each call commits "
		                    "one stage of a batch in one database.");
		return DBC_ERROR;
	}
	/* The foreign table's owner and its server's owner decide where the
	 * rows go (remote table, host, database) and may change it at any
	 * time: both must be the caller's or a superuser's, as code on the
	 * table must be (owner_code). The table is locked first, as its
	 * INSERT will lock it: no owner change or drop and re-creation slips
	 * in between the check and the stage (a server's owner can still
	 * change; the next call checks it again). */
	foreign_lock fl = {schema, "retain_archive", false};
	char *other = NULL;
	if (pgdbc_guarded(ctx, foreign_lock_body, &fl) != DBC_OK ||
	    dbc_query_text(ctx, ATTACHED_OWNERS_SQL, 1, &p, &other, &found) != DBC_OK)
		return DBC_ERROR;
	if (found) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "schema \"%s\": the archive's rows would go where %s says; dbcare will not",
		          schema, other);
		dbc_error_hint(ctx, "Import the foreign table yourself, from a server you or a superuser "
		                    "own.");
		return DBC_ERROR;
	}
	const char *q = ctx->host->quote_ident(ctx, schema);
	*prefix = q ? dbc_printf(ctx, "%s.", q) : NULL;
	*exists = true;
	return *prefix ? DBC_OK : DBC_ERROR;
}

/* The foreign table is made in the archive database (by its dbcare), never
 * from here: attached_archive finds it or refuses first. */
static int attached_archive_make(dbc_ctx *ctx, const char *schema)
{
	return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "schema \"%s\" holds no archive table", schema);
}

static const dbc_retain_hooks pg_retain = {
    .cutoff_sql = cutoff_sql,
    .param_as = param_as,
    .time_text = time_text,
    .trigger_create = trigger_create,
    .trigger_drop = trigger_drop,
    .purge_through = pgdbc_purge_begin,
    .purge_end = pgdbc_purge_end_to,
    .columns = columns,
    .schema_exists = schema_exists,
    .text_dates_probe = NULL,
    .rows_in = rows_in,
    .locked_ids = locked_ids,
    .rows_among = rows_among,
    .fk_untrusted = fk_untrusted,
    .owner_code = owner_code,
    .policy_lock = policy_lock,
    .attached_archive = attached_archive,
    .attached_archive_make = attached_archive_make,
};

const struct dbc_retain_hooks *pgdbc_retain_hooks(void)
{
	return &pg_retain;
}

void pgdbc_retain_register(dbc_api_hooks *api)
{
	api->retain = pgdbc_retain_hooks;
}
