/*
 * unit.h — a tiny TAP producer for the C unit tests of core/, plus a host
 * with no engine behind it (malloc, naive quoting) for code that needs a ctx.
 * The host speaks SQLite's dialect, as its quoting and bookkeeping prefix
 * are SQLite's; tests of the other engine's rules use the PostgreSQL
 * dialect (both are the glues' own, pg/host/dialect.c and sqlite/host/dialect.c).
 * Each test binary prints "ok N - name" / "not ok N - name" and a plan line.
 */
#ifndef DBC_UNIT_H
#define DBC_UNIT_H

#include "base/dbc.h"
#include "health/health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const dbc_dialect sqldbc_dialect, pgdbc_dialect;

static int unit_count, unit_failed;

#define CHECK(cond, name)                                                                          \
	do {                                                                                           \
		unit_count++;                                                                              \
		if (cond) {                                                                                \
			printf("ok %d - %s\n", unit_count, name);                                              \
		} else {                                                                                   \
			unit_failed++;                                                                         \
			printf("not ok %d - %s\n#   at %s:%d: %s\n", unit_count, name, __FILE__, __LINE__,     \
			       #cond);                                                                         \
		}                                                                                          \
	} while (0)

#define CHECK_STR(got, want, name)                                                                 \
	do {                                                                                           \
		const char *g_ = (got), *w_ = (want);                                                      \
		bool eq_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_;                                    \
		CHECK(eq_, name);                                                                          \
		if (!eq_)                                                                                  \
			printf("#   got:  %s\n#   want: %s\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)");        \
	} while (0)

static inline int unit_done(void)
{
	printf("1..%d\n", unit_count);
	return unit_failed ? 1 : 0;
}

static char *unit_quote(dbc_ctx *ctx, const char *s, char q)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_buf_appendc(&b, q);
	for (; *s; s++) {
		if (*s == q)
			dbc_buf_appendc(&b, q);
		dbc_buf_appendc(&b, *s);
	}
	dbc_buf_appendc(&b, q);
	return dbc_buf_finish(&b);
}

static inline char *unit_quote_ident(dbc_ctx *ctx, const char *s)
{
	return unit_quote(ctx, s, '"');
}
static inline char *unit_quote_literal(dbc_ctx *ctx, const char *s)
{
	return unit_quote(ctx, s, '\'');
}
static inline void *unit_alloc(size_t n)
{
	return malloc(n);
}
static inline void unit_free(void *p)
{
	free(p);
}

/* A host without an engine: exec/query fail, quoting and memory work. */
static inline int unit_no_exec(dbc_ctx *ctx, const char *sql)
{
	(void)sql;
	return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "no engine in unit tests");
}
static inline int unit_no_query(dbc_ctx *ctx, const char *sql, int n, const dbc_value *p,
                                dbc_row_fn fn, void *arg)
{
	(void)sql, (void)n, (void)p, (void)fn, (void)arg;
	return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "no engine in unit tests");
}
static inline int unit_book_ensure(dbc_ctx *ctx)
{
	(void)ctx;
	return DBC_OK;
}
static inline int unit_book_exists(dbc_ctx *ctx, bool *e)
{
	(void)ctx;
	*e = false;
	return DBC_OK;
}

static const dbc_settings_source *const unit_settings_sources[] = {&dbc_health_settings, NULL};

static const dbc_host unit_host = {
    .dialect = &sqldbc_dialect,
    .exec = unit_no_exec,
    .query = unit_no_query,
    .quote_ident = unit_quote_ident,
    .quote_literal = unit_quote_literal,
    .book_prefix = "main.dbcare_",
    .book_name_prefix = "dbcare_",
    .book_ensure = unit_book_ensure,
    .book_exists = unit_book_exists,
    .settings_sources = unit_settings_sources,
    .alloc = unit_alloc,
    .free = unit_free,
};

#endif
