/*
 * pg/health/bloat_measured.c — table_bloat on PostgreSQL: measured where the
 * pgstattuple extension is installed, estimated from pg_stats elsewhere
 * (issue 67). The estimate is off by tens of points on TOAST-heavy rows and
 * narrow columns; pgstattuple_approx reads the visibility and free space
 * maps (and only the pages not all-visible) of the heap and of its TOAST
 * table, so a report measures the largest tables first within
 * health.table_bloat.budget_ms (0: none; above 0, the largest at least)
 * and keeps the estimate beside each
 * measurement with its error. dbcare never creates the extension: the
 * owner does (docs/health.md). Invariant: a table is either measured (its
 * value the measured share) or estimated (the classic rule, unchanged), and
 * the message says how many of each a budget left.
 */
#include "pg/host/glue.h"

#include "health_glue.h"

#include "base/clock.h"

#include <stdlib.h>
#include <string.h>

/* The candidates, largest first (heap and TOAST pages): the schema, the
 * name, the heap's and the TOAST table's oids (NULL: none), and the
 * estimate when every column has statistics the caller may read: its share
 * of the heap not needed, its wasted pages, the pages and rows it read.
 * The estimate is the classic one (check_postgres' bloat action): the
 * pages a table needs are its reltuples times the aligned tuple size --
 * line pointer, 23-byte header with the null bitmap, the columns' average
 * widths from pg_stats weighted by their non-null fraction -- over the page
 * space fillfactor leaves. */
static const char *const candidates_sql =
    "SELECT n.nspname, c.relname, c.oid::text, nullif(c.reltoastrelid, 0)::text, "
    "CASE WHEN ok.ok THEN (100.0 * (c.relpages - e.pages) / c.relpages)::float8 END, "
    "CASE WHEN ok.ok THEN (c.relpages - e.pages)::float8 END, "
    "'about ' || pg_catalog.pg_size_pretty(((c.relpages - e.pages) * b.bs)::bigint) || ' of ' || "
    "pg_catalog.pg_size_pretty((c.relpages * b.bs)::bigint) || ' not needed by its ' || "
    "c.reltuples::bigint || ' rows (estimate)', b.bs::float8 "
    "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "LEFT JOIN pg_catalog.pg_class t ON t.oid = c.reltoastrelid "
    "CROSS JOIN (SELECT current_setting('block_size')::numeric AS bs) b "
    "CROSS JOIN LATERAL (SELECT count(*) AS natts, count(st.attname) AS nstats, "
    "coalesce(sum((1 - st.null_frac) * st.avg_width), 0) AS width, "
    "coalesce(bool_or(st.null_frac > 0), false) AS nulls "
    "FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_stats st ON st.schemaname = n.nspname "
    "AND st.tablename = c.relname AND st.attname = a.attname AND NOT st.inherited "
    "WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) w "
    "CROSS JOIN LATERAL (SELECT coalesce((SELECT pg_catalog.split_part(o, '=', 2)::numeric "
    "FROM pg_catalog.unnest(c.reloptions) o WHERE o LIKE 'fillfactor=%'), 100) AS ff) f "
    "CROSS JOIN LATERAL (SELECT ceil(c.reltuples::numeric * (4 + ceil((23 + CASE WHEN w.nulls "
    "THEN ceil(w.natts / 8.0) ELSE 0 END) / 8.0) * 8 + ceil(w.width / 8.0) * 8) "
    "/ ((b.bs - 24) * f.ff / 100)) AS pages) e "
    "CROSS JOIN LATERAL (SELECT c.relpages >= 128 AND c.reltuples > 0 AND w.natts > 0 "
    "AND w.nstats = w.natts AS ok) ok "
    "WHERE c.relkind IN ('r', 'm') AND c.relpages + coalesce(t.relpages, 0) >= 128 "
    "AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbcare') "
    "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' "
    "ORDER BY c.relpages + coalesce(t.relpages, 0) DESC, 1, 2 LIMIT 1000";

/* The B-tree indexes of the same tables of 128 pages and more, largest
 * first: the schema, the index, its table, its oid, its leaf fillfactor
 * (90 unless set) and the block size. Only valid, ready ones: pgstatindex
 * reads every page of the index, so these share the budget after the
 * tables. */
static const char *const indexes_sql =
    "SELECT n.nspname, x.relname, t.relname, x.oid::text, "
    "coalesce((SELECT pg_catalog.split_part(o, '=', 2)::float8 FROM "
    "pg_catalog.unnest(x.reloptions) o WHERE o LIKE 'fillfactor=%'), 90), "
    "current_setting('block_size')::float8 "
    "FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class x ON x.oid = i.indexrelid "
    "JOIN pg_catalog.pg_class t ON t.oid = i.indrelid "
    "JOIN pg_catalog.pg_namespace n ON n.oid = x.relnamespace "
    "JOIN pg_catalog.pg_am a ON a.oid = x.relam "
    "WHERE a.amname = 'btree' AND x.relkind = 'i' AND i.indisvalid AND i.indisready "
    "AND x.relpersistence <> 't' AND x.relpages >= 128 AND t.relkind IN ('r', 'm') "
    "AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbcare') "
    "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' "
    "ORDER BY x.relpages DESC, 1, 2 LIMIT 1000";

typedef struct index_candidate {
	char *schema, *name, *table, *oid;
	double fillfactor, block;
} index_candidate;

typedef struct index_candidates {
	index_candidate *rows;
	int n, cap;
} index_candidates;

typedef struct bloat_candidate {
	char *schema, *name, *oid, *toast;
	bool estimated;            /* the estimate's columns below are set */
	double est_pct, est_waste; /* share of the heap not needed, pages */
	char *est_detail;
	double block;
} bloat_candidate;

typedef struct candidates {
	bloat_candidate *rows;
	int n, cap;
} candidates;

static char *text_of(dbc_ctx *ctx, const dbc_value *v)
{
	return v->type == DBC_TEXT ? dbc_strdup(ctx, v->s) : NULL;
}

static double number_of(const dbc_value *v)
{
	return v->type == DBC_FLOAT ? v->f : v->type == DBC_INT ? (double)v->i : 0;
}

static int take_candidate(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	candidates *cs = arg;
	if (ncol != 8)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected table_bloat row");
	if (dbc_grow(ctx, &cs->rows, cs->n, &cs->cap, sizeof(*cs->rows), 16) != DBC_OK)
		return DBC_ERROR;
	bloat_candidate *b = &cs->rows[cs->n++];
	memset(b, 0, sizeof(*b));
	b->schema = text_of(ctx, &c[0]);
	b->name = text_of(ctx, &c[1]);
	b->oid = text_of(ctx, &c[2]);
	b->toast = text_of(ctx, &c[3]);
	b->estimated = c[4].type != DBC_NULL;
	b->est_pct = number_of(&c[4]);
	b->est_waste = number_of(&c[5]);
	b->est_detail = text_of(ctx, &c[6]);
	b->block = number_of(&c[7]);
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

static int take_index(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	index_candidates *xs = arg;
	if (ncol != 6)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected table_bloat index row");
	if (dbc_grow(ctx, &xs->rows, xs->n, &xs->cap, sizeof(*xs->rows), 16) != DBC_OK)
		return DBC_ERROR;
	index_candidate *x = &xs->rows[xs->n++];
	x->schema = text_of(ctx, &c[0]);
	x->name = text_of(ctx, &c[1]);
	x->table = text_of(ctx, &c[2]);
	x->oid = text_of(ctx, &c[3]);
	x->fillfactor = number_of(&c[4]);
	x->block = number_of(&c[5]);
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

/* What pgstattuple_approx measured of one relation: bytes, and bytes not
 * held by live rows (free space and dead tuples). */
typedef struct measured {
	double len, wasted;
} measured;

static int take_measured(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	measured *m = arg;
	if (ncol != 2)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected pgstattuple_approx row");
	m->len += number_of(&c[0]);
	m->wasted += number_of(&c[1]);
	return DBC_OK;
}

/* Measures b's heap and TOAST table with fn (ns.pgstattuple_approx) in a
 * subtransaction: a table dropped meanwhile, or a relation the function
 * refuses, leaves b to its estimate (*ok false) and the report going. */
static int measure(dbc_ctx *ctx, const char *fn, const bloat_candidate *b, measured *m, bool *ok)
{
	char *sql = dbc_printf(ctx,
	                       "SELECT a.table_len::float8, (a.approx_free_space + a.dead_tuple_len)"
	                       "::float8 FROM %s($1::oid::regclass) a",
	                       fn);
	if (!sql)
		return DBC_ERROR;
	memset(m, 0, sizeof(*m));
	*ok = false;
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	dbc_value heap = dbc_text(b->oid), toast = dbc_text(b->toast);
	if (ctx->host->query(ctx, sql, 1, &heap, take_measured, m) != DBC_OK ||
	    (b->toast && ctx->host->query(ctx, sql, 1, &toast, take_measured, m) != DBC_OK)) {
		if (strcmp(ctx->sqlstate, DBC_SQLSTATE_CANCELED) == 0)
			return DBC_ERROR;
		dbc_error_clear(ctx);
		return ctx->host->rollback(ctx, level);
	}
	*ok = m->len > 0;
	return ctx->host->release(ctx, level);
}

/* What pgstatindex measured of one B-tree index: its bytes, its leaf
 * pages, the empty and deleted ones and the leaf pages' average density. */
typedef struct index_measured {
	double size, leaf, empty, density;
	bool read;
} index_measured;

static int take_index_measured(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	index_measured *m = arg;
	if (ncol != 4)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected pgstatindex row");
	m->size = number_of(&c[0]);
	m->leaf = number_of(&c[1]);
	m->empty = number_of(&c[2]);
	m->density = number_of(&c[3]);
	m->read = c[3].type != DBC_NULL;
	return DBC_OK;
}

/* Measures index x with fn (ns.pgstatindex) in a subtransaction, as measure(). */
static int measure_index(dbc_ctx *ctx, const char *fn, const index_candidate *x, index_measured *m,
                         bool *ok)
{
	char *sql = dbc_printf(ctx,
	                       "SELECT s.index_size::float8, s.leaf_pages::float8, "
	                       "(s.empty_pages + s.deleted_pages)::float8, "
	                       "CASE WHEN s.avg_leaf_density = 'NaN' THEN NULL "
	                       "ELSE s.avg_leaf_density END::float8 FROM %s($1::oid::regclass) s",
	                       fn);
	if (!sql)
		return DBC_ERROR;
	memset(m, 0, sizeof(*m));
	*ok = false;
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	dbc_value oid = dbc_text(x->oid);
	if (ctx->host->query(ctx, sql, 1, &oid, take_index_measured, m) != DBC_OK) {
		if (strcmp(ctx->sqlstate, DBC_SQLSTATE_CANCELED) == 0)
			return DBC_ERROR;
		dbc_error_clear(ctx);
		return ctx->host->rollback(ctx, level);
	}
	*ok = m->read && m->size > 0;
	return ctx->host->release(ctx, level);
}

/* An index's waste: its leaf pages' room past what its fillfactor leaves
 * free, and its empty and deleted pages. Judged as a table is: from 128
 * pages of waste. Its object carries the index for the plan's REINDEX. */
static int add_index(dbc_ctx *ctx, dbc_health_fact *fact, const index_candidate *x,
                     const index_measured *m)
{
	double full = x->fillfactor > 0 ? x->fillfactor : 90;
	double sparse = m->density < full ? 1 - m->density / full : 0;
	double wasted = (m->leaf * sparse + m->empty) * x->block;
	if (wasted < 128 * x->block)
		return DBC_OK;
	double pct = 100.0 * wasted / m->size;
	char *detail = dbc_printf(ctx,
	                          "B-tree index on %s: measured %.1f%%: %.1f MB of %.1f MB unused "
	                          "(pgstatindex: leaf density %.1f%% against its fillfactor %g, %.0f "
	                          "empty or deleted pages)",
	                          x->table, pct, wasted / 1048576.0, m->size / 1048576.0, m->density,
	                          full, m->empty);
	if (!detail ||
	    dbc_health_add_object(ctx, fact, x->schema, x->name, x->table, pct, detail) != DBC_OK)
		return DBC_ERROR;
	fact->objects[fact->nobjects - 1].index = dbc_strdup(ctx, x->name);
	return fact->objects[fact->nobjects - 1].index ? DBC_OK : DBC_ERROR;
}

static int add_measured(dbc_ctx *ctx, dbc_health_fact *fact, const bloat_candidate *b,
                        const measured *m)
{
	double pct = 100.0 * m->wasted / m->len;
	/* as the estimate: a table wasting less than 128 pages is not judged */
	if (m->wasted < 128 * b->block)
		return DBC_OK;
	char *estimate =
	    b->estimated ? dbc_printf(ctx, "the estimate from pg_stats %.1f%% (off by %+.1f points)",
	                              b->est_pct, b->est_pct - pct)
	                 : dbc_strdup(ctx, "no estimate (its columns lack statistics)");
	char *detail = dbc_printf(ctx,
	                          "measured %.1f%%: %.1f MB of %.1f MB hold no live row "
	                          "(pgstattuple_approx, heap%s); %s",
	                          pct, m->wasted / 1048576.0, m->len / 1048576.0,
	                          b->toast ? " and TOAST" : "", estimate ? estimate : "");
	if (!estimate || !detail)
		return DBC_ERROR;
	return dbc_health_add_object(ctx, fact, b->schema, b->name, b->name, pct, detail);
}

static int add_estimated(dbc_ctx *ctx, dbc_health_fact *fact, const bloat_candidate *b)
{
	if (!b->estimated || b->est_waste < 128)
		return DBC_OK;
	return dbc_health_add_object(ctx, fact, b->schema, b->name, b->name, b->est_pct, b->est_detail);
}

static int by_value_desc(const void *a, const void *b)
{
	double x = ((const dbc_health_object *)a)->value, y = ((const dbc_health_object *)b)->value;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* pgstattuple's function NAME(regclass) qualified by the extension's
 * schema ns when the caller may run it, else NULL. */
static int runnable(dbc_ctx *ctx, const char *ns, const char *name, char **fn)
{
	char *can = NULL;
	char *q = dbc_printf(ctx, "%s.%s", ctx->host->quote_ident(ctx, ns), name);
	char *sig = dbc_printf(ctx, "%s(regclass)", q ? q : "");
	*fn = NULL;
	if (!q || !sig)
		return DBC_ERROR;
	dbc_value p = dbc_text(sig);
	if (dbc_query_text(
	        ctx, "SELECT CASE WHEN pg_catalog.has_function_privilege($1, 'EXECUTE') THEN 'yes' END",
	        1, &p, &can, NULL) != DBC_OK)
		return DBC_ERROR;
	*fn = can ? q : NULL;
	return DBC_OK;
}

/* pgstattuple_approx and pgstatindex qualified by the extension's schema
 * when it is installed and the caller may run them; else NULL, and *why
 * says which. */
static int measuring_functions(dbc_ctx *ctx, char **fn, char **ifn, const char **why)
{
	char *ns = NULL;
	*fn = *ifn = NULL;
	*why = NULL;
	if (dbc_query_text(ctx,
	                   "SELECT n.nspname::text FROM pg_catalog.pg_extension e "
	                   "JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace "
	                   "WHERE e.extname = 'pgstattuple'",
	                   0, NULL, &ns, NULL) != DBC_OK)
		return DBC_ERROR;
	if (!ns)
		return DBC_OK;
	if (runnable(ctx, ns, "pgstattuple_approx", fn) != DBC_OK ||
	    runnable(ctx, ns, "pgstatindex", ifn) != DBC_OK)
		return DBC_ERROR;
	if (!*fn)
		*why = "pgstattuple is installed but this role may not run pgstattuple_approx "
		       "(GRANT pg_stat_scan_tables TO the role): every table is estimated";
	return DBC_OK;
}

/* How long a measurement waits for its relation's lock (lock_timeout). */
#define LOCK_WAIT_MS "100ms"

static int set_lock_timeout(dbc_ctx *ctx, const char *value)
{
	char *out = NULL;
	dbc_value p = dbc_text(value);
	return dbc_query_text(ctx, "SELECT pg_catalog.set_config('lock_timeout', $1, true)", 1, &p,
	                      &out, NULL);
}

/* Whether the budget lets relation number i (0: the largest table) be
 * measured: a budget above 0 measures the largest at least. */
static bool within(double budget, double start, int i)
{
	return budget > 0 && (i == 0 || dbc_monotonic_ms() - start < budget);
}

int pgdbc_gather_table_bloat(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                             dbc_health_fact *fact)
{
	(void)eng;
	(void)mode;
	candidates cs = {0};
	index_candidates xs = {0};
	char *fn, *ifn, *budget_text = NULL;
	const char *why;
	/* the budget and the indexes are read only where there is something
	 * to measure */
	if (measuring_functions(ctx, &fn, &ifn, &why) != DBC_OK ||
	    (fn && dbc_setting_get(ctx, "health.table_bloat.budget_ms", &budget_text) != DBC_OK) ||
	    ctx->host->query(ctx, candidates_sql, 0, NULL, take_candidate, &cs) != DBC_OK ||
	    (fn && ifn && ctx->host->query(ctx, indexes_sql, 0, NULL, take_index, &xs) != DBC_OK))
		return DBC_ERROR;
	double budget = budget_text ? strtod(budget_text, NULL) : 0;
	/* a measurement takes an ACCESS SHARE lock: a relation someone holds
	 * exclusively (a VACUUM FULL, an ALTER) is left to its estimate after
	 * LOCK_WAIT_MS instead of holding the report; the caller's own
	 * lock_timeout is put back after (set_config local, as it was) */
	char *saved_wait = NULL;
	if (fn && (dbc_query_text(ctx, "SELECT pg_catalog.current_setting('lock_timeout')", 0, NULL,
	                          &saved_wait, NULL) != DBC_OK ||
	           set_lock_timeout(ctx, LOCK_WAIT_MS) != DBC_OK))
		return DBC_ERROR;
	double start = dbc_monotonic_ms();
	int nmeasured = 0, nleft = 0, nindexes = 0, nindexes_left = 0;
	for (int i = 0; i < cs.n; i++) {
		const bloat_candidate *b = &cs.rows[i];
		bool ok = false;
		measured m;
		/* the budget is checked before each table: the one under way ends */
		if (fn && within(budget, start, i)) {
			if (measure(ctx, fn, b, &m, &ok) != DBC_OK)
				return DBC_ERROR;
		} else if (fn) {
			nleft++;
		}
		if (ok)
			nmeasured++;
		if ((ok ? add_measured(ctx, fact, b, &m) : add_estimated(ctx, fact, b)) != DBC_OK)
			return DBC_ERROR;
	}
	/* then the B-tree indexes, in what the budget leaves (no estimate:
	 * an index not measured is not judged) */
	for (int i = 0; i < xs.n; i++) {
		bool ok = false;
		index_measured m;
		if (!within(budget, start, cs.n + i)) {
			nindexes_left++;
			continue;
		}
		if (measure_index(ctx, ifn, &xs.rows[i], &m, &ok) != DBC_OK ||
		    (ok && add_index(ctx, fact, &xs.rows[i], &m) != DBC_OK))
			return DBC_ERROR;
		nindexes += ok;
	}
	if (fn && set_lock_timeout(ctx, saved_wait ? saved_wait : "0") != DBC_OK)
		return DBC_ERROR;
	if (fact->nobjects > 1)
		qsort(fact->objects, (size_t)fact->nobjects, sizeof(*fact->objects), by_value_desc);
	char *indexes =
	    nindexes_left > 0
	        ? dbc_printf(ctx, ", %d of %d B-tree indexes with pgstatindex", nindexes, xs.n)
	    : nindexes > 0 ? dbc_printf(ctx, " and %d B-tree index%s with pgstatindex", nindexes,
	                                nindexes == 1 ? "" : "es")
	                   : dbc_strdup(ctx, "");
	if (!indexes)
		return DBC_ERROR;
	if (why)
		fact->note = dbc_strdup(ctx, why);
	else if (fn && (nleft > 0 || nindexes_left > 0) && budget > 0)
		fact->note = dbc_printf(ctx,
		                        "measured %d of the %d largest tables with pgstattuple_approx%s "
		                        "before health.table_bloat.budget_ms (%g ms) ran out; the other "
		                        "%d tables are estimates",
		                        nmeasured, cs.n, indexes, budget, nleft);
	else if (fn && nmeasured + nindexes > 0)
		fact->note =
		    dbc_printf(ctx, "measured %d tables with pgstattuple_approx%s", nmeasured, indexes);
	return ctx->failed ? DBC_ERROR : DBC_OK;
}
