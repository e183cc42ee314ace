/*
 * migrate_lint.c — what the migration lint asks a live PostgreSQL database
 * (core/migrate/lint_rules.c; the locks each kind of statement takes are
 * the dialect's, pg/host/dialect.c): row estimates
 * from pg_class (never from the table's rows), which type changes rewrite, which functions are
 * volatile, how far a key's sequence has gone, the share of NULLs ANALYZE saw in a column, and
 * notices.
 */
#include "pg/host/glue.h"

#include "migrate/migrate.h"

#include "catalog/pg_type.h"
#include "parser/parse_coerce.h"
#include "parser/parse_type.h"
#include "utils/elog.h"
#include "utils/memutils.h"

typedef struct rel_facts {
	double reltuples;
	int64_t size;
} rel_facts;

static int take_rel(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	rel_facts *r = arg;
	(void)ctx;
	if (ncol < 2)
		return DBC_OK;
	r->reltuples = c[0].type == DBC_FLOAT ? c[0].f : c[0].type == DBC_INT ? (double)c[0].i : -1;
	r->size = c[1].type == DBC_INT ? c[1].i : 0;
	return DBC_OK;
}

static int take_int(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	if (ncol > 0 && c[0].type == DBC_INT)
		*(int64_t *)arg = c[0].i;
	return DBC_OK;
}

static int take_bool(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	if (ncol > 0 && c[0].type == DBC_BOOL)
		*(bool *)arg = c[0].i != 0;
	return DBC_OK;
}

/* The planner's estimate (ANALYZE, VACUUM, CREATE INDEX keep it); a table
 * without data pages (a partitioned one: none in any partition) holds no
 * row; one with pages and no estimate is unknown (-1). The table itself is
 * never read: reading it would run its row-level policies' expressions,
 * which its owner wrote, with the caller's rights. */
static int pg_rows(dbc_ctx *ctx, const char *schema, const char *table, int64_t *rows)
{
	rel_facts r = {-1, -1};
	dbc_value p[2] = {dbc_text(schema), dbc_text(table)};
	*rows = 0;
	if (ctx->host->query(ctx,
	                     "SELECT CASE WHEN c.relkind = 'p' THEN "
	                     "(SELECT pg_catalog.sum(t.reltuples) FILTER (WHERE t.reltuples > 0) "
	                     "FROM pg_catalog.pg_partition_tree(c.oid) p "
	                     "JOIN pg_catalog.pg_class t ON t.oid = p.relid)::pg_catalog.float8 "
	                     "ELSE c.reltuples::pg_catalog.float8 END, "
	                     "CASE WHEN c.relkind = 'p' THEN "
	                     "(SELECT pg_catalog.sum(pg_catalog.pg_relation_size(p.relid)) "
	                     "FROM pg_catalog.pg_partition_tree(c.oid) p)::pg_catalog.int8 "
	                     "ELSE pg_catalog.pg_relation_size(c.oid) END "
	                     "FROM pg_catalog.pg_class c "
	                     "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	                     "WHERE n.nspname = $1 AND c.relname = $2",
	                     2, p, take_rel, &r) != DBC_OK)
		return DBC_ERROR;
	if (r.size <= 0)
		return DBC_OK; /* no data pages, or not a relation of the catalog */
	*rows = r.reltuples > 0 ? (int64_t)r.reltuples : -1;
	return DBC_OK;
}

/* parseTypeString inside a subtransaction: a type text the lint misread is
 * "unknown", never an error of the call. */
static bool parse_type(dbc_ctx *ctx, const char *text, Oid *oid, int32 *typmod)
{
	volatile bool ok = false;
	MemoryContext cxt = CurrentMemoryContext;
	int level = ctx->host->savepoint(ctx);
	PG_TRY();
	{
		parseTypeString(text, oid, typmod, true);
		ok = OidIsValid(*oid);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		ok = false;
	}
	PG_END_TRY();
	ctx->host->rollback(ctx, level);
	MemoryContextSwitchTo(cxt);
	return ok;
}

/* ALTER COLUMN TYPE skips the rewrite when the new type is the old one with
 * a typmod that accepts every old value (varchar, bit varying and
 * time-precision widening, numeric precision widening at the same scale, no
 * typmod), or binary-coercible without a typmod (varchar to text). */
static int pg_type_rewrites(dbc_ctx *ctx, const char *from, const char *to, bool *rewrites)
{
	Oid o1, o2;
	int32 m1, m2;
	*rewrites = true;
	if (!parse_type(ctx, from, &o1, &m1) || !parse_type(ctx, to, &o2, &m2))
		return DBC_OK;
	if (o1 == o2) {
		if (m1 == m2)
			*rewrites = false;
		else if (o1 == NUMERICOID)
			*rewrites = !(m2 == -1 ||
			              (m1 != -1 && ((m2 - VARHDRSZ) & 0xffff) == ((m1 - VARHDRSZ) & 0xffff) &&
			               ((m2 - VARHDRSZ) >> 16) >= ((m1 - VARHDRSZ) >> 16)));
		else if (o1 == VARCHAROID || o1 == VARBITOID || o1 == TIMESTAMPOID ||
		         o1 == TIMESTAMPTZOID || o1 == TIMEOID || o1 == TIMETZOID || o1 == INTERVALOID)
			*rewrites = !(m2 == -1 || (m1 != -1 && m2 >= m1));
		return DBC_OK;
	}
	*rewrites = !(m2 == -1 && IsBinaryCoercible(o1, o2));
	return DBC_OK;
}

static int pg_volatile_function(dbc_ctx *ctx, const char *name, bool *is_volatile)
{
	dbc_value p = dbc_text(name);
	*is_volatile = false;
	return ctx->host->query(ctx,
	                        "SELECT COALESCE(pg_catalog.bool_or(provolatile = 'v'), false) "
	                        "FROM pg_catalog.pg_proc WHERE proname = $1",
	                        1, &p, take_bool, is_volatile);
}

/* The last value of the sequence behind a serial or identity key column;
 * -1 when there is none, or when the table or column is not in the catalog
 * (pg_get_serial_sequence would raise an error, and a lint lookup never
 * stops plan or apply). */
static int pg_key_high(dbc_ctx *ctx, const char *schema, const char *table, const char *column,
                       int64_t *high)
{
	dbc_value p[2] = {dbc_text(dbc_quoted_name(ctx, schema, table)), dbc_text(column)};
	*high = -1;
	return ctx->host->query(
	    ctx,
	    "SELECT CASE WHEN s IS NOT NULL AND pg_catalog.has_sequence_privilege(s, 'SELECT') "
	    "THEN COALESCE(pg_catalog.pg_sequence_last_value(s::pg_catalog.regclass), -1) "
	    "ELSE -1 END FROM (SELECT CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_attribute a "
	    "WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attname = $2 AND a.attnum > 0 "
	    "AND NOT a.attisdropped) THEN pg_catalog.pg_get_serial_sequence($1, $2) END AS s) q",
	    2, p, take_int, high);
}

static int take_float(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	if (ncol > 0 && c[0].type == DBC_FLOAT)
		*(double *)arg = c[0].f;
	return DBC_OK;
}

/* The share of NULLs ANALYZE saw in the column (pg_stats: only columns the
 * caller may read; its own statistics, or those of the inheritance tree);
 * -1 when there are none. The table is never read. */
static int pg_null_share(dbc_ctx *ctx, const char *schema, const char *table, const char *column,
                         double *share)
{
	dbc_value p[3] = {dbc_text(schema), dbc_text(table), dbc_text(column)};
	*share = -1;
	return ctx->host->query(ctx,
	                        "SELECT COALESCE(pg_catalog.max(null_frac), -1)::pg_catalog.float8 "
	                        "FROM pg_catalog.pg_stats WHERE schemaname = $1 AND tablename = $2 "
	                        "AND attname = $3",
	                        3, p, take_float, share);
}

static int pg_lock_timeout_set(dbc_ctx *ctx, bool *set)
{
	*set = false;
	return ctx->host->query(ctx, "SELECT pg_catalog.current_setting('lock_timeout') <> '0'", 0,
	                        NULL, take_bool, set);
}

/* Row-level security applies to the caller on the table: a read would run
 * the policies' expressions, which the owner wrote, with the caller's
 * rights. */
static int pg_read_runs_owner_code(dbc_ctx *ctx, const char *schema, const char *table, bool *yes)
{
	dbc_value p[1] = {dbc_text(dbc_quoted_name(ctx, schema, table))};
	*yes = false;
	return ctx->host->query(ctx, "SELECT pg_catalog.row_security_active($1::pg_catalog.regclass)",
	                        1, p, take_bool, yes);
}

static int take_text(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	if (ncol > 0 && c[0].type == DBC_TEXT && c[0].s)
		*(char **)arg = dbc_strdup(ctx, c[0].s);
	return DBC_OK;
}

/* What a table dropped and made again by name (the generator's column
 * reorder) would not carry, of what the schema model does not read: each
 * named, NULL when nothing. Read from the catalog, never from the rows. */
static int pg_remake_loses(dbc_ctx *ctx, const char *schema, const char *table, char **lost)
{
	dbc_value p[1] = {dbc_text(dbc_quoted_name(ctx, schema, table))};
	*lost = NULL;
	return ctx->host->query(
	    ctx,
	    "SELECT NULLIF(pg_catalog.concat_ws(', ', "
	    "CASE WHEN c.relkind <> 'r' THEN 'its kind' END, "
	    "CASE WHEN c.relacl <> pg_catalog.acldefault('r', c.relowner) THEN 'its grants' END, "
	    "CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid "
	    "  AND a.attnum > 0 AND NOT a.attisdropped AND (a.attacl IS NOT NULL "
	    "  OR a.attstattarget >= 0 OR a.attcompression <> '' "
	    /* the column options ALTER COLUMN SET can give (n_distinct, ...) */
	    "  OR EXISTS (SELECT FROM pg_catalog.unnest(a.attoptions) o WHERE o LIKE 'n\\_distinct%') "
	    "  OR a.attstorage <> (SELECT t.typstorage FROM pg_catalog.pg_type t "
	    "    WHERE t.oid = a.atttypid))) THEN 'column grants, options or storage' END, "
	    "CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_policy y WHERE y.polrelid = c.oid) "
	    "  THEN 'its policies' END, "
	    "CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_description d WHERE d.objoid = c.oid "
	    "  AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass) THEN 'comments' END, "
	    "CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_seclabel l WHERE l.objoid = c.oid "
	    "  AND l.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass) "
	    "  THEN 'security labels' END, "
	    "CASE WHEN c.reloptions IS NOT NULL THEN 'storage options' END, "
	    "CASE WHEN c.reltablespace <> 0 THEN 'its tablespace' END, "
	    "CASE WHEN c.relreplident <> 'd' THEN 'its replica identity' END, "
	    "CASE WHEN c.relpersistence <> 'p' THEN 'its persistence' END, "
	    "CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_publication_rel r WHERE r.prrelid = c.oid) "
	    "  THEN 'publications' END, "
	    "CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid "
	    "  OR i.inhparent = c.oid) THEN 'inheritance' END, "
	    "CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_rewrite w WHERE w.ev_class = c.oid) "
	    "  THEN 'rules' END, "
	    "CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_statistic_ext x WHERE x.stxrelid = c.oid) "
	    "  THEN 'extended statistics' END, "
	    /* what the step drops and makes again with the table: its
	     * indexes', keys' and triggers' comments, the views on it and the
	     * functions of its row type with their grants and comments */
	    "CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_description d WHERE "
	    "  (d.classoid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND d.objoid IN "
	    "    (SELECT k.oid FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.oid)) "
	    "  OR (d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objoid IN "
	    "    (SELECT i.indexrelid FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid)) "
	    "  OR (d.classoid = 'pg_catalog.pg_trigger'::pg_catalog.regclass AND d.objoid IN "
	    "    (SELECT t.oid FROM pg_catalog.pg_trigger t WHERE t.tgrelid = c.oid))) "
	    "  THEN 'comments on its keys, indexes or triggers' END, "
	    "CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_depend d "
	    "  JOIN pg_catalog.pg_rewrite w ON w.oid = d.objid "
	    "  JOIN pg_catalog.pg_class v ON v.oid = w.ev_class "
	    "  WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass "
	    "  AND d.refobjid = c.oid AND v.oid <> c.oid "
	    "  AND (v.relacl <> pg_catalog.acldefault('r', v.relowner) "
	    "    OR EXISTS (SELECT FROM pg_catalog.pg_description e WHERE e.objoid = v.oid "
	    "      AND e.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass))) "
	    "  THEN 'a view on it with grants or comments' END, "
	    "CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_proc p "
	    "  WHERE (p.prorettype = c.reltype OR c.reltype = ANY (p.proargtypes)) "
	    "  AND (p.proacl <> pg_catalog.acldefault('f', p.proowner) "
	    "    OR EXISTS (SELECT FROM pg_catalog.pg_description e WHERE e.objoid = p.oid "
	    "      AND e.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass))) "
	    "  THEN 'a function of its row type with grants or comments' END, "
	    "CASE WHEN c.relowner <> (SELECT r.oid FROM pg_catalog.pg_roles r "
	    "  WHERE r.rolname = CURRENT_USER) THEN 'its owner' END), '') "
	    "FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass($1)",
	    1, p, take_text, lost);
}

typedef struct replicated_names {
	dbc_ctx *ctx;
	char **pubs, **subs;
} replicated_names;

static int take_two_texts(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	replicated_names *n = arg;
	if (ncol >= 2 && c[0].type == DBC_TEXT && c[0].s)
		*n->pubs = dbc_strdup(ctx, c[0].s);
	if (ncol >= 2 && c[1].type == DBC_TEXT && c[1].s)
		*n->subs = dbc_strdup(ctx, c[1].s);
	return DBC_OK;
}

/* The publications here that publish the table (FOR ALL TABLES, a schema
 * or the table itself: pg_publication_tables) and the subscriptions that
 * replicate into it (pg_subscription_rel), each list named in words. */
static int pg_replicated(dbc_ctx *ctx, const char *schema, const char *table, char **pubs,
                         char **subs)
{
	dbc_value p[2] = {dbc_text(schema), dbc_text(table)};
	replicated_names n = {ctx, pubs, subs};
	*pubs = *subs = NULL;
	return ctx->host->query(
	    ctx,
	    "SELECT (SELECT CASE pg_catalog.count(*) WHEN 0 THEN NULL WHEN 1 THEN 'publication ' "
	    "  ELSE 'publications ' END || pg_catalog.string_agg(pg_catalog.quote_ident(t.pubname), "
	    "  ', ' ORDER BY t.pubname) FROM pg_catalog.pg_publication_tables t "
	    "  WHERE t.schemaname = $1 AND t.tablename = $2), "
	    "(SELECT CASE pg_catalog.count(*) WHEN 0 THEN NULL WHEN 1 THEN 'subscription ' "
	    "  ELSE 'subscriptions ' END || pg_catalog.string_agg(pg_catalog.quote_ident(s.subname), "
	    "  ', ' ORDER BY s.subname) FROM pg_catalog.pg_subscription_rel r "
	    "  JOIN pg_catalog.pg_subscription s ON s.oid = r.srsubid "
	    "  JOIN pg_catalog.pg_class c ON c.oid = r.srrelid "
	    "  JOIN pg_catalog.pg_namespace ns ON ns.oid = c.relnamespace "
	    "  WHERE ns.nspname = $1 AND c.relname = $2)",
	    2, p, take_two_texts, &n);
}

const dbc_lint_hooks pgdbc_lint_hooks = {
    .replicated = pg_replicated,
    .remake_loses = pg_remake_loses,
    .rows = pg_rows,
    .read_runs_owner_code = pg_read_runs_owner_code,
    .type_rewrites = pg_type_rewrites,
    .volatile_function = pg_volatile_function,
    .key_high = pg_key_high,
    .null_share = pg_null_share,
    .lock_timeout_set = pg_lock_timeout_set,
};
