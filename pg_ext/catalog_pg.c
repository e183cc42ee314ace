/*
 * catalog_pg.c — fills the core's schema model from pg_catalog: one set-based
 * query per object kind (never one query per table), except the tables'
 * columns, read right after the tables by one index scan each in C
 * (catalog_columns_pg.c). Only names and PostgreSQL's own deparsed
 * definitions reach the model, never OIDs or creation order; the core sorts
 * and canonicalises.
 */
#include "catalog_keys_pg.h"

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

/* Rows of one table usually arrive together, so the last table found is
 * checked first. Otherwise the tables, read in (schema, name) byte order (the
 * type name sorts with the C collation), are searched by bisection: a linear
 * search per row was 15 % of the reader at 10,000 tables. If the order ever
 * differs from strcmp's, the reader falls back to the linear search. */
typedef struct reader {
	dbc_schema *s;
	dbc_table *last;
	bool sorted;
	Oid *oids; /* each table's, in the model's order */
	int capoids;
	pgdbc_attmap *atts; /* the columns read, for naming key columns */
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
	"  ), ''), c.oid::int8 "
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
	if (r->s->ntables > r->capoids) {
		r->capoids = r->capoids ? r->capoids * 2 : 256;
		r->oids = r->oids ? repalloc(r->oids, sizeof(Oid) * r->capoids)
		                  : palloc(sizeof(Oid) * r->capoids);
	}
	r->oids[r->s->ntables - 1] = (Oid)v[5].i;
	r->last = NULL; /* the array may have moved */
	return oom_or_ok(ctx, !ctx->failed);
}

/* -------------------------------------------------------------- constraints */

/* Key columns come as attnum arrays, named from the columns already read
 * (catalog_keys_pg.c); triggers that switch a foreign key off are collected
 * once. pg_get_constraintdef only for CHECK and EXCLUDE, which need
 * deparsing. */
static const char *const constraints_sql =
	"WITH k AS (SELECT k.oid, k.conrelid, k.confrelid, k.conkey, k.confkey, k.conname, k.contype, "
	"    k.confmatchtype, k.confupdtype, k.confdeltype, k.condeferrable, k.condeferred, "
	"    k.convalidated, n.nspname, c.relname "
	"  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
	"  JOIN pg_namespace n ON n.oid = c.relnamespace "
	"  WHERE k.contype IN ('p', 'u', 'f', 'c', 'x') AND c.relkind IN ('r', 'p', 'f') AND "
	USER_REL("c", "n") "), "
	/* An FK is enforced by its RI triggers: disabled ones, or ordinary ones
	 * while session_replication_role = replica, mean it is not enforced now. */
	"off AS (SELECT DISTINCT tg.tgconstraint FROM pg_trigger tg "
	"  WHERE tg.tgconstraint <> 0 AND (tg.tgenabled = 'D' "
	"    OR (tg.tgenabled = 'O' AND current_setting('session_replication_role') = 'replica') "
	"    OR (tg.tgenabled = 'R' AND current_setting('session_replication_role') <> 'replica'))) "
	"SELECT k.nspname, k.relname, k.conname, k.contype::text, k.conkey::text, "
	"  fn.nspname, fc.relname, CASE WHEN k.contype = 'f' THEN k.confkey::text END, "
	"  k.confmatchtype::text, k.confupdtype::text, k.confdeltype::text, "
	"  k.condeferrable, k.condeferred, k.convalidated, "
	"  CASE WHEN k.contype IN ('c', 'x') THEN pg_get_constraintdef(k.oid) END, "
	"  k.contype <> 'f' OR o.tgconstraint IS NULL, k.conrelid::int8, k.confrelid::int8 "
	"FROM k LEFT JOIN off o ON o.tgconstraint = k.oid "
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
	if (!k || pgdbc_key_names(ctx, r->atts, (Oid)v[16].i, cell_str(&v[4]), &k->columns) != DBC_OK)
		return oom_or_ok(ctx, false);
	if (kind == DBC_CON_FOREIGN_KEY) {
		const char *m = cell_str(&v[8]);
		k->ref_schema = dbc_strdup(ctx, cell_str(&v[5]));
		k->ref_table = dbc_strdup(ctx, cell_str(&v[6]));
		if (pgdbc_key_names(ctx, r->atts, (Oid)v[17].i, cell_str(&v[7]), &k->ref_columns) !=
		    DBC_OK)
			return oom_or_ok(ctx, false);
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
 * class without a cache and opens the table), 2 s at 30,000 indexes: the
 * plain case is built in C instead, and the key columns named there from
 * the columns already read (catalog_keys_pg.c). The query gives what that
 * needs: the key arrays as PostgreSQL prints them, and whether the index is
 * simple enough to be a candidate. */
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
	"owned AS (SELECT DISTINCT k.conindid FROM pg_constraint k "
	"  WHERE k.contype IN ('p', 'u', 'x') AND k.conindid <> 0) "
	"SELECT x.nspname, x.iname, x.tname, x.indisunique, x.indisprimary, o.conindid IS NOT NULL, "
	"  x.indisvalid, x.amname::text, pg_get_expr(x.indpred, x.indrelid, true), "
	"  x.indexrelid::int8, x.indrelid::int8, x.indnkeyatts, x.indkey::text, x.indclass::text, "
	"  x.indcollation::text, x.indoption::text, "
	"  x.indexprs IS NULL AND x.indpred IS NULL AND x.reloptions IS NULL "
	"    AND NOT x.indnullsnotdistinct AND x.ikind = 'i' "
	"FROM ix x LEFT JOIN owned o ON o.conindid = x.indexrelid";

static int take_index(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *v)
{
	reader *r = arg;
	dbc_index *ix = dbc_schema_add_index(r->s, cell_str(&v[0]), cell_str(&v[1]));
	pgdbc_index_row row;
	(void)ncol;
	if (!ix)
		return oom_or_ok(ctx, false);
	ix->table = dbc_strdup(ctx, cell_str(&v[2]));
	ix->unique = cell_bool(&v[3]);
	ix->primary = cell_bool(&v[4]);
	ix->constraint = cell_bool(&v[5]);
	ix->valid = cell_bool(&v[6]);
	ix->method = dbc_strdup(ctx, cell_str(&v[7]));
	ix->predicate = dbc_strdup(ctx, cell_str(&v[8]));
	row = (pgdbc_index_row){
	    .index = (Oid)v[9].i,
	    .table = (Oid)v[10].i,
	    .index_name = cell_str(&v[1]),
	    .schema = cell_str(&v[0]),
	    .table_name = cell_str(&v[2]),
	    .method = cell_str(&v[7]),
	    .unique = ix->unique,
	    .simple = cell_bool(&v[16]),
	    .key_count = (int)v[11].i,
	    .attnums = cell_str(&v[12]),
	    .opclasses = cell_str(&v[13]),
	    .collations = cell_str(&v[14]),
	    .options = cell_str(&v[15]),
	};
	if (pgdbc_index_keys(ctx, r->atts, &row, ix) != DBC_OK)
		return oom_or_ok(ctx, false);
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
		/* tables first: columns (catalog_columns_pg.c, right after the
		 * tables) and constraints attach to them */
		{&tables_sql, take_table},         {&constraints_sql, take_constraint},
		{&indexes_sql, take_index},
		{&views_sql, take_object},         {&triggers_sql, take_object},
		{&sequences_sql, take_object},     {&functions_sql, take_object},
		{&types_sql, take_object},         {&schemas_sql, take_object},
		{&extensions_sql, take_object},
	};
	reader r = {out, NULL, false, NULL, 0, pgdbc_attmap_new()};
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
		if (i == 0 && rc == DBC_OK) {
			r.sorted = tables_sorted(out);
			rc = pgdbc_read_columns(ctx, out, r.oids, r.atts);
			pgdbc_attmap_seal(r.atts);
		}
	}
	/* A failed query's subtransaction, rolled back by the host, already
	 * popped this GUC level; probe the current level to pop only what is left. */
	{
		int probe = NewGUCNestLevel();
		AtEOXact_GUC(true, probe > nest ? nest : probe);
	}
	return rc;
}
