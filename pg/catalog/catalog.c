/*
 * pg/catalog/catalog.c — fills the core's schema model from pg_catalog: one set-based
 * query per object kind (never one query per table), except what belongs to
 * the tables found by the first query: their columns, constraints and
 * indexes, read right after it by index scans in C (pg/catalog/catalog_columns.c,
 * pg/catalog/catalog_constraints.c, pg/catalog/catalog_indexes.c). Only names and
 * PostgreSQL's own deparsed definitions reach the model, never OIDs or
 * creation order; the core sorts and canonicalises.
 */
#include "catalog_keys.h"

#include "access/transam.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/syscache.h"
#include "utils/snapmgr.h"

#include <stdlib.h>
#include <string.h>

/* The user's namespaces: not the system's, not a session's temp schemas, not
 * dbcare's bookkeeping schema. */
#define USER_NS(n)                                                                                 \
	"(" n ".nspname NOT IN ('pg_catalog', 'information_schema', 'dbcare') AND " n                  \
	".nspname !~ '^pg_(toast|temp_)')"

/* Objects that belong to an extension (dbcare's own functions, pgTAP's, ...)
 * are the extension's business, not the user's schema. The members are found
 * from the extensions' side (pg_depend's reference index) once per query and
 * hashed: probing pg_depend per catalog row grows with every row read
 * (docs/benchmarks.md, "catalog reader and quick checks at 10,000 tables"). */
#define NOT_MEMBER(catalog, oid)                                                                   \
	oid " NOT IN (SELECT e.objid FROM pg_depend e WHERE e.refclassid = 'pg_extension'::regclass "  \
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

/* What the tables query found, for the readers in C: the tables, in the
 * model's order (rels[i] is s->tables[i]), and the materialized views, whose
 * indexes are read too. */
typedef struct reader {
	dbc_schema *s;
	pgdbc_rel *rels;
	int nrels, caprels;
	pgdbc_rel *matviews;
	int nmatviews, capmatviews;
} reader;

static void add_rel(pgdbc_rel **items, int *n, int *cap, pgdbc_rel rel)
{
	*items = pgdbc_room(CurrentMemoryContext, *items, *n, cap, sizeof(pgdbc_rel));
	(*items)[(*n)++] = rel;
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

/* The reloptions of column col as "with (a=b, c=d)", each option's text
 * as PostgreSQL keeps it (as written); NULL without options. The model
 * has them by meaning: take_table and take_view pass them through
 * dbc_options_by_meaning (a boolean's on, off, yes... as true or false). */
#define RELOPTIONS(prefix, col)                                                                    \
	"(SELECT '" prefix "(' || string_agg(o, ', ' ORDER BY o) || ')' FROM unnest(" col ") o)"

/* The parents of all tables come from one aggregate over pg_inherits (a
 * partition has exactly one): a correlated subquery per table ran two
 * subplans per row. */
/* clang-format off */
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
    "    CASE WHEN c.reloptions IS NOT NULL THEN " RELOPTIONS("with ", "c.reloptions") " END"
    "  ), ''), c.oid::int8 "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "LEFT JOIN (SELECT i.inhrelid, "
    "    string_agg(pn.nspname || '.' || pc.relname, ', ' ORDER BY i.inhseqno) AS parents "
    "  FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent "
    "  JOIN pg_namespace pn ON pn.oid = pc.relnamespace GROUP BY i.inhrelid) inh "
    "  ON inh.inhrelid = c.oid "
    "WHERE c.relkind IN ('r', 'p', 'f', 'm') AND " USER_REL("c", "n") " "
    "ORDER BY n.nspname, c.relname";
/* clang-format on */

/* Schemas whose objects the reader leaves out while set
 * (pgdbc_catalog_skip_schemas): the generator's scratch place reads only
 * its own schemas, and would otherwise read every live table's columns,
 * constraints and indexes to throw them away. */
static const dbc_strlist *skip_schemas;

void pgdbc_catalog_skip_schemas(const dbc_strlist *schemas)
{
	skip_schemas = schemas;
}

static bool skipped(const char *schema)
{
	for (int i = 0; skip_schemas && schema && i < skip_schemas->n; i++)
		if (strcmp(skip_schemas->items[i], schema) == 0)
			return true;
	return false;
}

static int take_table(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *v)
{
	reader *r = arg;
	const char *kind = cell_str(&v[2]);
	pgdbc_rel rel = {(Oid)v[5].i, NULL, NULL};
	(void)ncol;
	if (skipped(cell_str(&v[0])))
		return DBC_OK;
	if (strcmp(kind, "m") == 0) {
		rel.schema = dbc_strdup(ctx, cell_str(&v[0]));
		rel.name = dbc_strdup(ctx, cell_str(&v[1]));
		add_rel(&r->matviews, &r->nmatviews, &r->capmatviews, rel);
	} else {
		dbc_table *t = dbc_schema_add_table(r->s, cell_str(&v[0]), cell_str(&v[1]));
		if (!t)
			return oom_or_ok(ctx, false);
		t->kind = (char *)(strcmp(kind, "p") == 0   ? "partitioned table"
		                   : strcmp(kind, "f") == 0 ? "foreign table"
		                                            : "table");
		t->partition_of = dbc_strdup(ctx, cell_str(&v[3]));
		t->options = dbc_options_by_meaning(ctx, dbc_strdup(ctx, cell_str(&v[4])));
		rel.schema = t->schema;
		rel.name = t->name;
		add_rel(&r->rels, &r->nrels, &r->caprels, rel);
	}
	return oom_or_ok(ctx, !ctx->failed);
}

/* The tables' columns, constraints and indexes (and the materialized views'
 * indexes), under one snapshot: what the next SPI query would see, a new
 * one at READ COMMITTED, the transaction's at REPEATABLE READ and above. */
static int read_tables_parts_now(dbc_ctx *ctx, reader *r)
{
	Snapshot snap = RegisterSnapshot(GetTransactionSnapshot());
	pgdbc_attmap *atts = pgdbc_attmap_new();
	pgdbc_oids owned;
	int rc;
	pgdbc_oids_init(&owned);
	rc = pgdbc_read_columns(ctx, r->s, snap, r->rels, atts);
	pgdbc_attmap_seal(atts);
	if (rc == DBC_OK)
		rc = pgdbc_read_constraints(ctx, r->s, snap, r->rels, atts, &owned);
	/* the indexes of the tables and of the materialized views */
	for (int i = 0; i < r->nmatviews; i++)
		add_rel(&r->rels, &r->nrels, &r->caprels, r->matviews[i]);
	if (rc == DBC_OK)
		rc = pgdbc_read_indexes(ctx, r->s, snap, r->rels, r->nrels, &owned, atts);
	UnregisterSnapshot(snap);
	return rc;
}

typedef struct parts_args {
	dbc_ctx *ctx;
	reader *r;
	int rc;
} parts_args;

static void parts_body(void *arg)
{
	parts_args *a = arg;
	a->rc = read_tables_parts_now(a->ctx, a->r);
}

/* The readers in C scan catalogs and call PostgreSQL's deparsers directly,
 * not through a host query: guarded like one, so an error there (a cancel,
 * a relation gone) is handled as a failed query's, never left to escape
 * with a savepoint of the core open. */
static int read_tables_parts(dbc_ctx *ctx, reader *r)
{
	parts_args a = {ctx, r, DBC_OK};
	if (pgdbc_guarded(ctx, parts_body, &a) != DBC_OK)
		return DBC_ERROR;
	return a.rc;
}

/* -------------------------------------------------------------- other objects */

/* Every query below returns (type, schema, name, table, definition, enabled). */

/* Views, triggers and sequences are found from the small catalog that only
 * they are in (pg_rewrite's _RETURN rules, pg_trigger, pg_sequence), each
 * one's relation looked up by OID in a subquery kept apart by OFFSET 0. Joined
 * the usual way, the planner hashed the few rows and scanned all of pg_class
 * against them, its statistics from before the migrations counted pg_class
 * small: as costly as reading every table's constraints, for no view,
 * trigger or sequence at all (docs/benchmarks.md, "PostgreSQL apply, third
 * round"). The user's namespaces are matched once per query, not per row. */
#define REL_OF(oid, cols)                                                                          \
	"LATERAL (SELECT " cols ", n.nspname FROM pg_class c JOIN pg_namespace n "                     \
	"  ON n.oid = c.relnamespace WHERE c.oid = " oid " AND c.relnamespace IN "                     \
	"    (SELECT u.oid FROM pg_namespace u WHERE " USER_NS("u") ") OFFSET 0) x"

/* Views: the definition is deparsed in C (take_view), so the view and the
 * relations its query reads (pg_depend of its _RETURN rule, in OID order)
 * can be held first. */
/* clang-format off */
static const char *const views_sql =
    "SELECT CASE x.relkind WHEN 'v' THEN 'view' ELSE 'materialized view' END, x.nspname, "
    "x.relname, "
    "  NULL::text, coalesce(" RELOPTIONS(" WITH ", "x.reloptions") ", ''), true, "
    "  r.ev_class::int8, array_to_string(ARRAY(SELECT DISTINCT d.refobjid FROM pg_depend d "
    "    WHERE d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid "
    "    AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class ORDER BY 1), ' ') "
    "FROM pg_rewrite r, " REL_OF("r.ev_class", "c.relkind, c.relname, c.reloptions") " "
    /* not the views initdb made (information_schema's, the system's): that
     * saves looking up 140 relations */
    "WHERE r.rulename = '_RETURN' AND r.ev_class >= " CppAsString2(FirstNormalObjectId) " "
    "  AND x.relkind IN ('v', 'm') AND " NOT_MEMBER("pg_class", "r.ev_class");
/* clang-format on */

/* Trigger names are unique per table only, so the object is "table.trigger". */
static const char *const triggers_sql =
    "SELECT 'trigger', x.nspname, x.relname || '.' || t.tgname, x.relname::text, "
    "  pg_get_triggerdef(t.oid, true) || CASE t.tgenabled WHEN 'R' THEN ' (enabled replica)' "
    "    WHEN 'A' THEN ' (enabled always)' ELSE '' END, t.tgenabled <> 'D' "
    "FROM pg_trigger t, " REL_OF(
        "t.tgrelid", "c.relname") " "
                                  "WHERE NOT t.tgisinternal AND " NOT_MEMBER("pg_class",
                                                                             "t.tgrelid");

static const char *const sequences_sql =
    "SELECT 'sequence', x.nspname, x.relname, NULL::text, "
    "  format('AS %s START %s INCREMENT %s MINVALUE %s MAXVALUE %s CACHE %s %s', "
    "    format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, "
    "s.seqcache, "
    "    CASE WHEN s.seqcycle THEN 'CYCLE' ELSE 'NO CYCLE' END) "
    "  || coalesce((SELECT ' OWNED BY ' || tn.nspname || '.' || tc.relname || '.' || a.attname "
    "       FROM pg_depend d JOIN pg_class tc ON tc.oid = d.refobjid "
    "       JOIN pg_namespace tn ON tn.oid = tc.relnamespace "
    "       JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
    "      WHERE d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid "
    "        AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')), '') "
    "  || CASE WHEN x.relpersistence = 'u' THEN ' UNLOGGED' ELSE '' END, true "
    "FROM pg_sequence s, " REL_OF(
        "s.seqrelid", "c.relname, c.relpersistence") " "
                                                     "WHERE " NOT_MEMBER("pg_class", "s.seqrelid");

/* pg_get_functiondef refuses aggregates; they get a definition from pg_aggregate. */
static const char *const functions_sql =
    "SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' "
    "END, "
    "  n.nspname, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', "
    "NULL::text, "
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
    "    || coalesce(' COLLATE ' || (SELECT CASE WHEN cn.nspname = 'pg_catalog' THEN "
    "co.collname::text "
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
    "WHERE " USER_NS("n") " AND " NOT_MEMBER(
        "pg_type",
        "t.oid") " AND ("
                 "  t.typtype IN ('e', 'd', 'r') "
                 /* composite types of their own, not tables' row types: one hashed pass
                  * over pg_class, where a lookup per row type was half the query */
                 "  OR (t.typtype = 'c' AND t.typrelid IN (SELECT c.oid FROM pg_class c WHERE "
                 "c.relkind = 'c')) "
                 /* base types, but not the array types PostgreSQL makes for every type */
                 "  OR (t.typtype = 'b' AND NOT EXISTS (SELECT 1 FROM pg_type el WHERE el.typarray "
                 "= t.oid)))";

static const char *const schemas_sql =
    "SELECT 'schema', NULL::text, n.nspname::text, NULL::text, 'CREATE SCHEMA ' || "
    "quote_ident(n.nspname), "
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
	if (skipped(cell_str(&v[1])) ||
	    (strcmp(cell_str(&v[0]), "schema") == 0 && skipped(cell_str(&v[2]))))
		return DBC_OK;
	o = dbc_schema_add_object(r->s, cell_str(&v[0]), cell_str(&v[1]), cell_str(&v[2]));
	if (!o)
		return oom_or_ok(ctx, false);
	o->table = dbc_strdup(ctx, cell_str(&v[3]));
	o->definition = dbc_strdup(ctx, cell_str(&v[4]));
	o->enabled = cell_bool(&v[5]);
	return oom_or_ok(ctx, !ctx->failed);
}

/*
 * pg_get_viewdef of a view as the query found it, or NULL when the view was
 * dropped since. pg_get_viewdef locks the view, then the relations its query
 * reads, holding each; DROP TABLE ... CASCADE locks the table, then the
 * views on it. Deparsing straight away deadlocked with such DDL, so the
 * relations the view reads are held first (each checked to exist: one
 * dropped took the view with it), then the view; all let go after.
 */
static char *view_definition(Oid view, const char *bases)
{
	Oid held[64];
	int nheld = 0;
	bool gone = false;
	char *def = NULL;
	const char *p = bases;
	while (p && *p && !gone) {
		char *end;
		unsigned long oid = strtoul(p, &end, 10);
		if (end == p)
			break;
		p = end;
		if (nheld == lengthof(held)) /* a view of more relations: deparsed as it comes */
			continue;
		if (pgdbc_rel_hold((Oid)oid))
			held[nheld++] = (Oid)oid;
		else
			gone = true;
	}
	if (!gone && pgdbc_rel_hold(view)) {
		Datum args[2] = {ObjectIdGetDatum(view), BoolGetDatum(true)};
		/* pg_get_viewdef reads pg_rewrite under the active snapshot, which
		 * outside the query is the calling statement's: take the one the
		 * query had (this call's own DDL included) */
		PushActiveSnapshot(GetTransactionSnapshot());
		def = pgdbc_builtin_text(pg_get_viewdef_ext, 2, args);
		PopActiveSnapshot();
		pgdbc_rel_release(view);
	}
	while (nheld > 0)
		pgdbc_rel_release(held[--nheld]);
	return def;
}

static int take_view(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *v)
{
	char *def;
	dbc_value row[6];
	(void)ncol;
	if (skipped(cell_str(&v[1])))
		return DBC_OK;
	def = view_definition((Oid)v[6].i, cell_str(&v[7]));
	if (!def)
		return DBC_OK; /* dropped since the query's snapshot: not in the model */
	memcpy(row, v, sizeof(row));
	row[4] = dbc_text(dbc_options_by_meaning(
	    ctx, dbc_printf(ctx, "%s%s", def, cell_str(&v[4]) ? cell_str(&v[4]) : "")));
	pfree(def);
	if (!row[4].s)
		return oom_or_ok(ctx, false);
	return take_object(ctx, arg, 6, row);
}

int pgdbc_read_catalog(dbc_ctx *ctx, dbc_schema *out)
{
	static const struct {
		const char *const *sql;
		dbc_row_fn fn;
	} steps[] = {
	    /* tables first: their columns, constraints and indexes are read
	     * right after them */
	    {&tables_sql, take_table},     {&views_sql, take_view},        {&triggers_sql, take_object},
	    {&sequences_sql, take_object}, {&functions_sql, take_object},  {&types_sql, take_object},
	    {&schemas_sql, take_object},   {&extensions_sql, take_object},
	};
	reader r = {out, NULL, 0, 0, NULL, 0, 0};
	int rc = DBC_OK;
	/* JIT is off for these queries as for every query of the host
	 * (pg/host/host_query.c): their row estimates are poor (correlated subqueries per
	 * row), so with thousands of tables the planner's cost crosses
	 * jit_above_cost (docs/benchmarks.md, "PostgreSQL catalog reader with
	 * JIT"). */
	int nest = NewGUCNestLevel();
	/* The set-based queries hash and sort every index column and constraint
	 * key; with the default 4 MB they spilled to disk at 30,000 indexes. The
	 * memory is bounded by the size of the catalog, not by user data. */
	(void)set_config_option("work_mem", "64MB", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true,
	                        0, false);
	for (size_t i = 0; rc == DBC_OK && i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (ctx->host->interrupted(ctx) ||
		    ctx->host->query(ctx, *steps[i].sql, 0, NULL, steps[i].fn, &r) != DBC_OK)
			rc = DBC_ERROR;
		if (i == 0 && rc == DBC_OK)
			rc = read_tables_parts(ctx, &r);
	}
	/* A failed query's subtransaction, rolled back by the host, already
	 * popped this GUC level; probe the current level to pop only what is left. */
	{
		int probe = NewGUCNestLevel();
		AtEOXact_GUC(true, probe > nest ? nest : probe);
	}
	return rc;
}
