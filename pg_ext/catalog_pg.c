/*
 * catalog_pg.c — fills the core's schema model from pg_catalog: one set-based
 * query per object kind (never one per table). Only names and PostgreSQL's own
 * deparsed definitions reach the model, never OIDs or creation order; the core
 * sorts and canonicalises.
 */
#include "pgdbc.h"

#include "json.h"

#include "utils/guc.h"

#include <string.h>

/* The user's namespaces: not the system's, not a session's temp schemas, not
 * dbcare's bookkeeping schema. */
#define USER_NS(n)                                                                                 \
	"(" n ".nspname NOT IN ('pg_catalog', 'information_schema', 'dbcare') AND " n                 \
	".nspname !~ '^pg_(toast|temp_)')"

/* Objects that belong to an extension (dbcare's own functions, pgTAP's, ...)
 * are the extension's business, not the user's schema. The members are found
 * from the extensions' side (pg_depend's reference index) once per query and
 * hashed; probing pg_depend per catalog row cost 150 ms at 30,000 constraints. */
#define NOT_MEMBER(catalog, oid)                                                                   \
	oid " NOT IN (SELECT e.objid FROM pg_depend e WHERE e.refclassid = 'pg_extension'::regclass "    \
	"AND e.classid = '" catalog "'::regclass AND e.deptype = 'e')"

#define USER_REL(c, n) USER_NS(n) " AND " NOT_MEMBER("pg_class", c ".oid")

/* -------------------------------------------------------------- cells */

static const char *cell_str(const dbc_value *v)
{
	return v->type == DBC_TEXT ? v->s : NULL;
}

static bool cell_bool(const dbc_value *v)
{
	return (v->type == DBC_BOOL || v->type == DBC_INT) && v->i != 0;
}

/* A JSON array of strings (json_agg of names) into a string list. */
static int add_json_names(dbc_ctx *ctx, dbc_strlist *l, const char *json)
{
	json_t *a;
	size_t i;
	json_t *el;
	int rc = DBC_OK;
	if (!json)
		return DBC_OK;
	a = dbc_json_parse(ctx, json, "catalog name list");
	if (!a)
		return DBC_ERROR;
	json_array_foreach(a, i, el)
	{
		if (rc == DBC_OK)
			rc = dbc_strlist_add(ctx, l, json_is_string(el) ? json_string_value(el) : "");
	}
	json_decref(a);
	return rc;
}

/* Rows of one table usually arrive together, so the last table found is
 * checked first. Otherwise the tables, read in (schema, name) byte order (the
 * type name sorts with the C collation), are searched by bisection: a linear
 * search per row was 15 % of the reader at 10,000 tables. If the order ever
 * differs from strcmp's, the reader falls back to the linear search. */
typedef struct reader {
	dbc_schema *s;
	dbc_table *last;
	bool sorted;
} reader;

static int table_cmp(const dbc_table *t, const char *schema, const char *name)
{
	int c = strcmp(t->schema ? t->schema : "", schema ? schema : "");
	return c ? c : strcmp(t->name, name);
}

static dbc_table *table_of(reader *r, const char *schema, const char *name)
{
	if (r->last && table_cmp(r->last, schema, name) == 0)
		return r->last;
	if (!r->sorted) {
		r->last = dbc_schema_find_table(r->s, schema, name);
		return r->last;
	}
	int lo = 0, hi = r->s->ntables - 1;
	r->last = NULL;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		int c = table_cmp(&r->s->tables[mid], schema, name);
		if (c == 0) {
			r->last = &r->s->tables[mid];
			break;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return r->last;
}

static bool tables_sorted(const dbc_schema *s)
{
	for (int i = 1; i < s->ntables; i++)
		if (table_cmp(&s->tables[i - 1], s->tables[i].schema, s->tables[i].name) >= 0)
			return false;
	return true;
}

static int oom_or_ok(dbc_ctx *ctx, bool ok)
{
	if (ok)
		return DBC_OK;
	if (!ctx->failed)
		dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory while reading the catalog");
	return DBC_ERROR;
}

/* -------------------------------------------------------------- tables */

/* The parents of all tables come from one aggregate over pg_inherits (a
 * partition has exactly one): a correlated subquery per table ran two
 * subplans per row. */
static const char *const tables_sql =
	"SELECT n.nspname, c.relname, c.relkind::text, "
	"  CASE WHEN c.relispartition THEN inh.parents END, "
	"  NULLIF(concat_ws('; ', "
	"    CASE WHEN c.relpersistence = 'u' THEN 'unlogged' END, "
	"    CASE WHEN c.relkind = 'p' THEN 'partition by ' || pg_get_partkeydef(c.oid) END, "
	"    CASE WHEN c.relispartition THEN 'partition ' || pg_get_expr(c.relpartbound, c.oid) END, "
	"    CASE WHEN NOT c.relispartition THEN 'inherits ' || inh.parents END, "
	"    CASE WHEN c.relrowsecurity THEN 'row level security' END, "
	"    CASE WHEN c.relforcerowsecurity THEN 'force row level security' END, "
	"    CASE WHEN c.reloptions IS NOT NULL THEN "
	"      (SELECT 'with (' || string_agg(o, ', ' ORDER BY o) || ')' FROM unnest(c.reloptions) o) END"
	"  ), '') "
	"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	"LEFT JOIN (SELECT i.inhrelid, "
	"    string_agg(pn.nspname || '.' || pc.relname, ', ' ORDER BY i.inhseqno) AS parents "
	"  FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent "
	"  JOIN pg_namespace pn ON pn.oid = pc.relnamespace GROUP BY i.inhrelid) inh "
	"  ON inh.inhrelid = c.oid "
	"WHERE c.relkind IN ('r', 'p', 'f') AND " USER_REL("c", "n") " ORDER BY n.nspname, c.relname";

static int take_table(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *v)
{
	reader *r = arg;
	const char *kind = cell_str(&v[2]);
	dbc_table *t;
	(void)ncol;
	t = dbc_schema_add_table(r->s, cell_str(&v[0]), cell_str(&v[1]));
	if (!t)
		return oom_or_ok(ctx, false);
	t->kind = (char *)(strcmp(kind, "p") == 0   ? "partitioned table"
	                   : strcmp(kind, "f") == 0 ? "foreign table"
	                                            : "table");
	t->partition_of = dbc_strdup(ctx, cell_str(&v[3]));
	t->options = dbc_strdup(ctx, cell_str(&v[4]));
	r->last = NULL; /* the array may have moved */
	return oom_or_ok(ctx, !ctx->failed);
}

/* -------------------------------------------------------------- columns */

/* A column default cannot refer to columns, so it is deparsed without the
 * table as context (relid 0): same text, but pg_get_expr does not open and
 * lock every table (40 us per default, 0.4 s at 10,000 tables). Generated
 * columns do refer to columns and keep their table. */
static const char *const columns_sql =
	"SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
	"  CASE WHEN a.attidentity = 'a' THEN 'generated always as identity' "
	"       WHEN a.attidentity = 'd' THEN 'generated by default as identity' "
	"       WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, 0) END, "
	"  CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END, "
	"  CASE WHEN a.attcollation <> t.typcollation THEN "
	"    CASE WHEN cn.nspname = 'pg_catalog' THEN co.collname::text "
	"         ELSE cn.nspname || '.' || co.collname END END "
	"FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
	"JOIN pg_namespace n ON n.oid = c.relnamespace "
	"JOIN pg_type t ON t.oid = a.atttypid "
	"LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
	"LEFT JOIN pg_collation co ON co.oid = a.attcollation "
	"LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace "
	"WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f') AND " USER_REL("c", "n")
	/* column order is part of a table's definition; dropped columns leave gaps */
	" ORDER BY n.nspname, c.relname, a.attnum";

static int take_column(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *v)
{
	reader *r = arg;
	dbc_table *t = table_of(r, cell_str(&v[0]), cell_str(&v[1]));
	dbc_column *c;
	(void)ncol;
	if (!t)
		return DBC_OK; /* created between the two queries: not in this snapshot */
	c = dbc_table_add_column(ctx, t, cell_str(&v[2]));
	if (!c)
		return oom_or_ok(ctx, false);
	c->type = dbc_strdup(ctx, cell_str(&v[3]));
	c->not_null = cell_bool(&v[4]);
	c->default_expr = dbc_strdup(ctx, cell_str(&v[5]));
	c->generated = dbc_strdup(ctx, cell_str(&v[6]));
	c->collation = dbc_strdup(ctx, cell_str(&v[7]));
	return oom_or_ok(ctx, !ctx->failed);
}

/* -------------------------------------------------------------- constraints */

/* Key column names come from one array of names per relation (indexed by
 * attnum > 0: dropped columns keep their slot) instead of a join to pg_attribute
 * per constraint row; triggers that switch a foreign key off are collected
 * once. The names are picked by an ARRAY() over the key array, which keeps its
 * order, not an ordered aggregate (a sort per row). pg_get_constraintdef only
 * for CHECK and EXCLUDE, which need deparsing. */
static const char *const constraints_sql =
	"WITH k AS (SELECT k.oid, k.conrelid, k.confrelid, k.conkey, k.confkey, k.conname, k.contype, "
	"    k.confmatchtype, k.confupdtype, k.confdeltype, k.condeferrable, k.condeferred, "
	"    k.convalidated, n.nspname, c.relname "
	"  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
	"  JOIN pg_namespace n ON n.oid = c.relnamespace "
	"  WHERE k.contype IN ('p', 'u', 'f', 'c', 'x') AND c.relkind IN ('r', 'p', 'f') AND "
	USER_REL("c", "n") "), "
	"att AS (SELECT r.rel AS attrelid, ARRAY(SELECT a.attname::text FROM pg_attribute a "
	"    WHERE a.attrelid = r.rel AND a.attnum > 0 ORDER BY a.attnum) AS names "
	"  FROM (SELECT conrelid AS rel FROM k UNION SELECT confrelid FROM k WHERE confrelid <> 0) r), "
	/* An FK is enforced by its RI triggers: disabled ones, or ordinary ones
	 * while session_replication_role = replica, mean it is not enforced now. */
	"off AS (SELECT DISTINCT tg.tgconstraint FROM pg_trigger tg "
	"  WHERE tg.tgconstraint <> 0 AND (tg.tgenabled = 'D' "
	"    OR (tg.tgenabled = 'O' AND current_setting('session_replication_role') = 'replica') "
	"    OR (tg.tgenabled = 'R' AND current_setting('session_replication_role') <> 'replica'))) "
	"SELECT k.nspname, k.relname, k.conname, k.contype::text, "
	/* a CHECK may name tableoid, a system column (negative attnum, looked up) */
	"  to_json(ARRAY(SELECT CASE WHEN u > 0 THEN ca.names[u] ELSE (SELECT s.attname::text "
	"    FROM pg_attribute s WHERE s.attrelid = k.conrelid AND s.attnum = u) END "
	"    FROM unnest(k.conkey) u))::text, "
	"  fn.nspname, fc.relname, "
	"  CASE WHEN k.contype = 'f' THEN to_json(ARRAY(SELECT fa.names[u] FROM unnest(k.confkey) u))::text END, "
	"  k.confmatchtype::text, k.confupdtype::text, k.confdeltype::text, "
	"  k.condeferrable, k.condeferred, k.convalidated, "
	"  CASE WHEN k.contype IN ('c', 'x') THEN pg_get_constraintdef(k.oid) END, "
	"  k.contype <> 'f' OR o.tgconstraint IS NULL "
	"FROM k LEFT JOIN att ca ON ca.attrelid = k.conrelid LEFT JOIN att fa ON fa.attrelid = k.confrelid "
	"LEFT JOIN off o ON o.tgconstraint = k.oid "
	"LEFT JOIN pg_class fc ON fc.oid = k.confrelid "
	"LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace";

static const char *fk_action(const char *code)
{
	switch (code ? code[0] : 'a') {
	case 'r':
		return "restrict";
	case 'c':
		return "cascade";
	case 'n':
		return "set null";
	case 'd':
		return "set default";
	default:
		return "no action";
	}
}

static int take_constraint(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *v)
{
	reader *r = arg;
	dbc_table *t = table_of(r, cell_str(&v[0]), cell_str(&v[1]));
	const char *type = cell_str(&v[3]);
	dbc_constraint_kind kind;
	dbc_constraint *k;
	(void)ncol;
	if (!t)
		return DBC_OK;
	switch (type[0]) {
	case 'p':
		kind = DBC_CON_PRIMARY_KEY;
		break;
	case 'u':
		kind = DBC_CON_UNIQUE;
		break;
	case 'f':
		kind = DBC_CON_FOREIGN_KEY;
		break;
	case 'x':
		kind = DBC_CON_EXCLUDE;
		break;
	default:
		kind = DBC_CON_CHECK;
		break;
	}
	k = dbc_table_add_constraint(ctx, t, kind, cell_str(&v[2]));
	if (!k || add_json_names(ctx, &k->columns, cell_str(&v[4])) != DBC_OK)
		return oom_or_ok(ctx, false);
	if (kind == DBC_CON_FOREIGN_KEY) {
		const char *m = cell_str(&v[8]);
		k->ref_schema = dbc_strdup(ctx, cell_str(&v[5]));
		k->ref_table = dbc_strdup(ctx, cell_str(&v[6]));
		if (add_json_names(ctx, &k->ref_columns, cell_str(&v[7])) != DBC_OK)
			return DBC_ERROR;
		k->match = (char *)(m && m[0] == 'f' ? "full" : m && m[0] == 'p' ? "partial" : "simple");
		k->on_update = (char *)fk_action(cell_str(&v[9]));
		k->on_delete = (char *)fk_action(cell_str(&v[10]));
	}
	k->deferrable = cell_bool(&v[11]);
	k->initially_deferred = cell_bool(&v[12]);
	k->validated = cell_bool(&v[13]);
	k->expr = dbc_strdup(ctx, cell_str(&v[14]));
	k->enforced = cell_bool(&v[15]);
	return oom_or_ok(ctx, !ctx->failed);
}

/* -------------------------------------------------------------- indexes */

/* pg_get_indexdef costs 30-45 us per index (it looks up the default operator
 * class without a cache and opens the table), 2 s at 30,000 indexes. For the
 * plain case -- every key a column with its type's own default operator class
 * (exact type match), no opclass options, the column's collation, an ordinary
 * index without expressions, predicate, storage options or NULLS NOT
 * DISTINCT -- the text is built here exactly as pg_get_indexdef writes it:
 * qualified table, identifiers through quote_ident, DESC / NULLS FIRST / NULLS
 * LAST from indoption, INCLUDE columns. Everything else still goes to
 * pg_get_indexdef. */
static const char *const indexes_sql =
	"WITH ix AS (SELECT i.indexrelid, i.indrelid, i.indkey, i.indclass, i.indcollation, i.indoption, "
	"    i.indnkeyatts, i.indisunique, i.indisprimary, i.indisvalid, i.indexprs, i.indpred, "
	"    i.indnullsnotdistinct, n.nspname, ic.relname AS iname, ic.relkind AS ikind, ic.reloptions, "
	"    tc.relname AS tname, am.amname "
	"  FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
	"  JOIN pg_class tc ON tc.oid = i.indrelid "
	"  JOIN pg_namespace n ON n.oid = ic.relnamespace "
	"  JOIN pg_am am ON am.oid = ic.relam "
	"  WHERE tc.relkind IN ('r', 'p', 'm') AND " USER_REL("tc", "n") "), "
	/* one row per index column, sorted once by (index, position): the
	 * aggregates below take them in that order (an ORDER BY inside each
	 * aggregate would sort every index's few rows on its own, 90,000 sorts) */
	"col AS (SELECT x.indexrelid, u.ord <= x.indnkeyatts AS iskey, "
	"    CASE WHEN u.attnum <> 0 THEN a.attname::text "
	"         ELSE pg_get_indexdef(x.indexrelid, u.ord::int, true) END AS name, "
	"    quote_ident(a.attname) || CASE WHEN x.indoption[u.ord - 1] & 1 = 1 "
	"        THEN ' DESC' || CASE WHEN x.indoption[u.ord - 1] & 2 = 0 THEN ' NULLS LAST' ELSE '' END "
	"      WHEN x.indoption[u.ord - 1] & 2 = 2 THEN ' NULLS FIRST' ELSE '' END AS text, "
	"    u.attnum <> 0 AND (u.ord > x.indnkeyatts OR (oc.opcdefault AND oc.opcintype = a.atttypid "
	"      AND ia.attrelid IS NULL "
	"      AND (x.indcollation[u.ord - 1] = 0 OR x.indcollation[u.ord - 1] = a.attcollation))) AS plain "
	"  FROM ix x CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY u(attnum, ord) "
	"  LEFT JOIN LATERAL (SELECT a.attname, a.atttypid, a.attcollation FROM pg_attribute a "
	"    WHERE a.attrelid = x.indrelid AND a.attnum = u.attnum OFFSET 0) a ON true "
	"  LEFT JOIN LATERAL (SELECT ia.attrelid FROM pg_attribute ia WHERE ia.attrelid = x.indexrelid "
	"    AND ia.attnum = u.ord AND ia.attoptions IS NOT NULL OFFSET 0) ia ON true "
	"  LEFT JOIN pg_opclass oc ON oc.oid = x.indclass[u.ord - 1] "
	"  ORDER BY x.indexrelid, u.ord), "
	"cols AS (SELECT indexrelid, json_agg(name) FILTER (WHERE iskey) AS keys, "
	"    string_agg(text, ', ') FILTER (WHERE iskey) AS keytext, "
	"    string_agg(quote_ident(name), ', ') FILTER (WHERE NOT iskey) AS incl, "
	"    bool_and(plain) AS plain "
	"  FROM col GROUP BY indexrelid), "
	"owned AS (SELECT DISTINCT k.conindid FROM pg_constraint k "
	"  WHERE k.contype IN ('p', 'u', 'x') AND k.conindid <> 0) "
	"SELECT x.nspname, x.iname, x.tname, x.indisunique, x.indisprimary, o.conindid IS NOT NULL, "
	"  x.indisvalid, x.amname::text, c.keys::text, pg_get_expr(x.indpred, x.indrelid, true), "
	"  CASE WHEN c.plain AND x.indexprs IS NULL AND x.indpred IS NULL AND x.reloptions IS NULL "
	"        AND NOT x.indnullsnotdistinct AND x.ikind = 'i' "
	"    THEN 'CREATE ' || CASE WHEN x.indisunique THEN 'UNIQUE ' ELSE '' END || 'INDEX ' "
	"      || quote_ident(x.iname) || ' ON ' || quote_ident(x.nspname) || '.' || quote_ident(x.tname) "
	"      || ' USING ' || quote_ident(x.amname) || ' (' || c.keytext || ')' "
	"      || coalesce(' INCLUDE (' || c.incl || ')', '') "
	"    ELSE pg_get_indexdef(x.indexrelid) END "
	"FROM ix x JOIN cols c ON c.indexrelid = x.indexrelid "
	"LEFT JOIN owned o ON o.conindid = x.indexrelid";

static int take_index(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *v)
{
	reader *r = arg;
	dbc_index *ix = dbc_schema_add_index(r->s, cell_str(&v[0]), cell_str(&v[1]));
	(void)ncol;
	if (!ix)
		return oom_or_ok(ctx, false);
	ix->table = dbc_strdup(ctx, cell_str(&v[2]));
	ix->unique = cell_bool(&v[3]);
	ix->primary = cell_bool(&v[4]);
	ix->constraint = cell_bool(&v[5]);
	ix->valid = cell_bool(&v[6]);
	ix->method = dbc_strdup(ctx, cell_str(&v[7]));
	if (add_json_names(ctx, &ix->keys, cell_str(&v[8])) != DBC_OK)
		return DBC_ERROR;
	ix->predicate = dbc_strdup(ctx, cell_str(&v[9]));
	ix->definition = dbc_strdup(ctx, cell_str(&v[10]));
	return oom_or_ok(ctx, !ctx->failed);
}

/* -------------------------------------------------------------- other objects */

/* Every query below returns (type, schema, name, table, definition, enabled). */

static const char *const views_sql =
	"SELECT CASE c.relkind WHEN 'v' THEN 'view' ELSE 'materialized view' END, n.nspname, c.relname, "
	"  NULL::text, pg_get_viewdef(c.oid, true) || coalesce((SELECT ' WITH (' || "
	"    string_agg(o, ', ' ORDER BY o) || ')' FROM unnest(c.reloptions) o), ''), true "
	"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	"WHERE c.relkind IN ('v', 'm') AND " USER_REL("c", "n");

/* Trigger names are unique per table only, so the object is "table.trigger". */
static const char *const triggers_sql =
	"SELECT 'trigger', n.nspname, c.relname || '.' || t.tgname, c.relname::text, "
	"  pg_get_triggerdef(t.oid, true) || CASE t.tgenabled WHEN 'R' THEN ' (enabled replica)' "
	"    WHEN 'A' THEN ' (enabled always)' ELSE '' END, t.tgenabled <> 'D' "
	"FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
	"JOIN pg_namespace n ON n.oid = c.relnamespace "
	"WHERE NOT t.tgisinternal AND " USER_REL("c", "n");

static const char *const sequences_sql =
	"SELECT 'sequence', n.nspname, c.relname, NULL::text, "
	"  format('AS %s START %s INCREMENT %s MINVALUE %s MAXVALUE %s CACHE %s %s', "
	"    format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, "
	"    CASE WHEN s.seqcycle THEN 'CYCLE' ELSE 'NO CYCLE' END) "
	"  || coalesce((SELECT ' OWNED BY ' || tn.nspname || '.' || tc.relname || '.' || a.attname "
	"       FROM pg_depend d JOIN pg_class tc ON tc.oid = d.refobjid "
	"       JOIN pg_namespace tn ON tn.oid = tc.relnamespace "
	"       JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
	"      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid "
	"        AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')), '') "
	"  || CASE WHEN c.relpersistence = 'u' THEN ' UNLOGGED' ELSE '' END, true "
	"FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid "
	"JOIN pg_namespace n ON n.oid = c.relnamespace "
	"WHERE " USER_REL("c", "n");

/* pg_get_functiondef refuses aggregates; they get a definition from pg_aggregate. */
static const char *const functions_sql =
	"SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END, "
	"  n.nspname, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', NULL::text, "
	"  CASE WHEN p.prokind = 'a' THEN "
	"    (SELECT format('AGGREGATE RETURNS %s SFUNC %s STYPE %s FINALFUNC %s COMBINEFUNC %s "
	"INITCOND %s KIND %s', format_type(p.prorettype, NULL), ag.aggtransfn::oid::regprocedure, "
	"       format_type(ag.aggtranstype, NULL), nullif(ag.aggfinalfn::oid, 0)::regprocedure, "
	"       nullif(ag.aggcombinefn::oid, 0)::regprocedure, quote_nullable(ag.agginitval), "
	"       ag.aggkind) FROM pg_aggregate ag WHERE ag.aggfnoid = p.oid) "
	"  ELSE pg_get_functiondef(p.oid) END, true "
	"FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
	"WHERE " USER_NS("n") " AND " NOT_MEMBER("pg_proc", "p.oid");

static const char *const types_sql =
	"SELECT 'type', n.nspname, t.typname::text, NULL::text, "
	"  CASE t.typtype "
	"  WHEN 'e' THEN 'ENUM (' || coalesce((SELECT string_agg(quote_literal(e.enumlabel), ', ' "
	"      ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), '') || ')' "
	"  WHEN 'd' THEN 'DOMAIN AS ' || format_type(t.typbasetype, t.typtypmod) "
	"    || coalesce(' COLLATE ' || (SELECT CASE WHEN cn.nspname = 'pg_catalog' THEN co.collname::text "
	"         ELSE cn.nspname || '.' || co.collname END FROM pg_collation co "
	"         JOIN pg_namespace cn ON cn.oid = co.collnamespace, pg_type bt "
	"        WHERE co.oid = t.typcollation AND bt.oid = t.typbasetype "
	"          AND t.typcollation <> bt.typcollation), '') "
	"    || coalesce(' DEFAULT ' || t.typdefault, '') "
	"    || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END "
	"    || coalesce((SELECT string_agg(' CONSTRAINT ' || quote_ident(k.conname) || ' ' || "
	"         pg_get_constraintdef(k.oid), '' ORDER BY k.conname) "
	"       FROM pg_constraint k WHERE k.contypid = t.oid), '') "
	"  WHEN 'c' THEN 'COMPOSITE (' || coalesce((SELECT string_agg(quote_ident(a.attname) || ' ' || "
	"      format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum) FROM pg_attribute a "
	"      WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped), '') || ')' "
	"  WHEN 'r' THEN (SELECT 'RANGE (SUBTYPE = ' || format_type(r.rngsubtype, NULL) || ')' "
	"      FROM pg_range r WHERE r.rngtypid = t.oid) "
	"  ELSE format('BASE (INPUT = %s, OUTPUT = %s)', t.typinput::oid::regprocedure, "
	"      t.typoutput::oid::regprocedure) END, true "
	"FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
	"WHERE " USER_NS("n") " AND " NOT_MEMBER("pg_type", "t.oid") " AND ("
	"  t.typtype IN ('e', 'd', 'r') "
	"  OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c') "
	/* base types, but not the array types PostgreSQL makes for every type */
	"  OR (t.typtype = 'b' AND NOT EXISTS (SELECT 1 FROM pg_type el WHERE el.typarray = t.oid)))";

static const char *const schemas_sql =
	"SELECT 'schema', NULL::text, n.nspname::text, NULL::text, 'CREATE SCHEMA ' || quote_ident(n.nspname), "
	"  true FROM pg_namespace n WHERE " USER_NS("n") " AND " NOT_MEMBER("pg_namespace", "n.oid");

static const char *const extensions_sql =
	"SELECT 'extension', NULL::text, x.extname::text, NULL::text, "
	"  format('VERSION %s SCHEMA %s', quote_literal(x.extversion), quote_ident(n.nspname)), true "
	"FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace WHERE x.extname <> 'dbcare'";

static int take_object(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *v)
{
	reader *r = arg;
	dbc_object *o;
	(void)ncol;
	o = dbc_schema_add_object(r->s, cell_str(&v[0]), cell_str(&v[1]), cell_str(&v[2]));
	if (!o)
		return oom_or_ok(ctx, false);
	o->table = dbc_strdup(ctx, cell_str(&v[3]));
	o->definition = dbc_strdup(ctx, cell_str(&v[4]));
	o->enabled = cell_bool(&v[5]);
	return oom_or_ok(ctx, !ctx->failed);
}

int pgdbc_read_catalog(dbc_ctx *ctx, dbc_schema *out)
{
	static const struct {
		const char *const *sql;
		dbc_row_fn fn;
	} steps[] = {
		/* tables first: columns and constraints attach to them */
		{&tables_sql, take_table},         {&columns_sql, take_column},
		{&constraints_sql, take_constraint}, {&indexes_sql, take_index},
		{&views_sql, take_object},         {&triggers_sql, take_object},
		{&sequences_sql, take_object},     {&functions_sql, take_object},
		{&types_sql, take_object},         {&schemas_sql, take_object},
		{&extensions_sql, take_object},
	};
	reader r = {out, NULL, false};
	int rc = DBC_OK;
	/* JIT off for these queries: their row estimates are poor (correlated
	 * subqueries per row), so with thousands of tables the planner's cost
	 * crosses jit_above_cost and compiling took longer than running
	 * (0.7 s of the types query's 0.73 s at 10,000 tables). */
	int nest = NewGUCNestLevel();
	(void)set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
	                        false);
	/* The set-based queries hash and sort every index column and constraint
	 * key; with the default 4 MB they spilled to disk at 30,000 indexes. The
	 * memory is bounded by the size of the catalog, not by user data. */
	(void)set_config_option("work_mem", "64MB", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true,
	                        0, false);
	for (size_t i = 0; rc == DBC_OK && i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (ctx->host->interrupted(ctx) ||
		    ctx->host->query(ctx, *steps[i].sql, 0, NULL, steps[i].fn, &r) != DBC_OK)
			rc = DBC_ERROR;
		if (i == 0)
			r.sorted = tables_sorted(out);
	}
	/* A failed query's subtransaction, rolled back by the host, already
	 * popped this GUC level; probe the current level to pop only what is left. */
	{
		int probe = NewGUCNestLevel();
		AtEOXact_GUC(true, probe > nest ? nest : probe);
	}
	return rc;
}
