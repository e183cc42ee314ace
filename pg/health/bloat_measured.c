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

/* pgstattuple_approx qualified by the extension's schema when it is
 * installed and the caller may run it; else NULL, and *why says which. */
static int approx_function(dbc_ctx *ctx, char **fn, const char **why)
{
	char *ns = NULL, *can = NULL;
	*fn = NULL;
	*why = NULL;
	if (dbc_query_text(ctx,
	                   "SELECT n.nspname::text FROM pg_catalog.pg_extension e "
	                   "JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace "
	                   "WHERE e.extname = 'pgstattuple'",
	                   0, NULL, &ns, NULL) != DBC_OK)
		return DBC_ERROR;
	if (!ns)
		return DBC_OK;
	char *name = dbc_printf(ctx, "%s.pgstattuple_approx", ctx->host->quote_ident(ctx, ns));
	char *sig = dbc_printf(ctx, "%s(regclass)", name ? name : "");
	if (!name || !sig)
		return DBC_ERROR;
	dbc_value p = dbc_text(sig);
	if (dbc_query_text(
	        ctx, "SELECT CASE WHEN pg_catalog.has_function_privilege($1, 'EXECUTE') THEN 'yes' END",
	        1, &p, &can, NULL) != DBC_OK)
		return DBC_ERROR;
	if (!can) {
		*why = "pgstattuple is installed but this role may not run pgstattuple_approx "
		       "(GRANT pg_stat_scan_tables TO the role): every table is estimated";
		return DBC_OK;
	}
	*fn = name;
	return DBC_OK;
}

int pgdbc_gather_table_bloat(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                             dbc_health_fact *fact)
{
	(void)eng;
	(void)mode;
	candidates cs = {0};
	char *fn, *budget_text = NULL;
	const char *why;
	/* the budget is read only where there is something to measure */
	if (approx_function(ctx, &fn, &why) != DBC_OK ||
	    (fn && dbc_setting_get(ctx, "health.table_bloat.budget_ms", &budget_text) != DBC_OK) ||
	    ctx->host->query(ctx, candidates_sql, 0, NULL, take_candidate, &cs) != DBC_OK)
		return DBC_ERROR;
	double budget = budget_text ? strtod(budget_text, NULL) : 0;
	double start = dbc_monotonic_ms();
	int nmeasured = 0, nleft = 0;
	for (int i = 0; i < cs.n; i++) {
		const bloat_candidate *b = &cs.rows[i];
		bool ok = false;
		measured m;
		/* the budget is checked before each table but the largest (a budget
		 * above 0 measures it at least): the one under way ends */
		if (fn && budget > 0 && (i == 0 || dbc_monotonic_ms() - start < budget)) {
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
	if (fact->nobjects > 1)
		qsort(fact->objects, (size_t)fact->nobjects, sizeof(*fact->objects), by_value_desc);
	if (why)
		fact->note = dbc_strdup(ctx, why);
	else if (fn && nleft > 0 && budget > 0)
		fact->note = dbc_printf(ctx,
		                        "measured %d of the %d largest tables with pgstattuple_approx "
		                        "before health.table_bloat.budget_ms (%g ms) ran out; the other "
		                        "%d are estimates",
		                        nmeasured, cs.n, budget, nleft);
	else if (fn && nmeasured > 0)
		fact->note = dbc_printf(ctx, "measured %d tables with pgstattuple_approx", nmeasured);
	return ctx->failed ? DBC_ERROR : DBC_OK;
}
