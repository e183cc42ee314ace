/*
 * health_monitor.c — dbmonitor for SQLite: a sqlite3_trace_v2 profile callback
 * that keeps the slowest distinct statements of one connection in a fixed
 * number of slots (the fastest one gives way), opt-in, freed on stop and close.
 *
 * A connection has one trace callback, and SQLite's API can neither report it
 * nor hand it back, so the application's own callback could be replaced
 * without anyone noticing. Hence: dbmonitor takes the callback only when the
 * caller says nothing else traces the connection (replace_trace), and
 * whether it still holds it is asked by running a statement and seeing
 * whether on_trace hears of it (monitor_installed): a callback the
 * application set later is never turned off by dbmonitor_stop, nor taken
 * back without that word.
 */
#include "health_glue.h"

#include "base/sha256.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MON_SLOTS   100
#define MON_SQL_MAX 4000

typedef struct mon_entry {
	char *sql;
	int64_t calls;
	double total_ms;
	double max_ms;
	double last_epoch;
} mon_entry;

typedef struct sqldbc_monitor {
	double threshold_ms;
	sqlite3_stmt *probe; /* monitor_installed's statement while it runs */
	bool probe_heard;
	bool closing; /* on_trace heard the connection close */
	int n;
	mon_entry e[MON_SLOTS];
} sqldbc_monitor;

static void monitor_release(sqldbc_monitor *m)
{
	for (int i = 0; i < m->n; i++)
		sqlite3_free(m->e[i].sql);
	sqlite3_free(m);
}

/* Called when the connection state is freed (conn_life.c): at close, or
 * while the connection lives on (before SQLite 3.44, the application removed
 * every function of the module). Then a tracer still installed would read
 * the freed state at the next statement, so it is removed first: unless
 * SQLite said the connection closes (it goes with it), the callback is
 * turned off, the application's own too if it replaced dbmonitor's since
 * (the statement monitor_installed would run to tell cannot run here). */
static void monitor_free_with_state(sqldbc_conn *conn)
{
	sqldbc_monitor *m = conn->monitor;
	if (!m)
		return;
	if (!m->closing)
		sqlite3_trace_v2(conn->db, 0, NULL, NULL);
	monitor_release(m);
	conn->monitor = NULL;
}

/* A copy cut at MON_SQL_MAX bytes, never inside a UTF-8 sequence. */
static char *copy_sql(const char *sql)
{
	size_t n = strlen(sql);
	if (n > MON_SQL_MAX) {
		n = MON_SQL_MAX;
		while (n > 0 && ((unsigned char)sql[n] & 0xC0) == 0x80)
			n--;
	}
	char *s = sqlite3_malloc64(n + 1);
	if (s) {
		memcpy(s, sql, n);
		s[n] = '\0';
	}
	return s;
}

static int on_trace(unsigned type, void *arg, void *p, void *x)
{
	sqldbc_monitor *m = arg;
	if (type == SQLITE_TRACE_CLOSE && m)
		m->closing = true;
	if (type != SQLITE_TRACE_PROFILE || !m)
		return 0;
	if (p == m->probe && m->probe) {
		m->probe_heard = true;
		return 0;
	}
	double ms = (double)*(sqlite3_int64 *)x / 1e6;
	if (ms < m->threshold_ms)
		return 0;
	const char *sql = sqlite3_sql((sqlite3_stmt *)p);
	if (!sql)
		return 0;
	size_t len = strlen(sql);
	mon_entry *slot = NULL;
	for (int i = 0; i < m->n && !slot; i++) {
		/* stored texts may be cut: compare the stored prefix and the length rule */
		size_t sl = strlen(m->e[i].sql);
		if (strncmp(m->e[i].sql, sql, sl) == 0 && (sl == len || sl >= MON_SQL_MAX - 3))
			slot = &m->e[i];
	}
	if (!slot) {
		char *copy = copy_sql(sql);
		if (!copy)
			return 0;
		if (m->n < MON_SLOTS) {
			slot = &m->e[m->n++];
		} else {
			/* full: the new statement replaces the fastest one, if it is slower */
			slot = &m->e[0];
			for (int i = 1; i < m->n; i++)
				if (m->e[i].max_ms < slot->max_ms)
					slot = &m->e[i];
			if (slot->max_ms >= ms) {
				sqlite3_free(copy);
				return 0;
			}
			sqlite3_free(slot->sql);
		}
		memset(slot, 0, sizeof(*slot));
		slot->sql = copy;
	}
	slot->calls++;
	slot->total_ms += ms;
	if (ms > slot->max_ms)
		slot->max_ms = ms;
	slot->last_epoch = dbc_now_epoch();
	return 0;
}

/* Whether on_trace is still the connection's trace callback: a statement run
 * now reaches it only if so (its profile event comes when it ends). */
static int monitor_installed(dbc_ctx *ctx, sqlite3 *db, sqldbc_monitor *m, bool *installed)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT 1", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		m->probe = st;
		m->probe_heard = false;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
		m->probe = NULL;
		sqlite3_finalize(st);
	}
	if (rc != SQLITE_OK && rc != SQLITE_DONE)
		return dbc_error(ctx,
		                 rc == SQLITE_INTERRUPT ? DBC_SQLSTATE_CANCELED : DBC_SQLSTATE_INTERNAL,
		                 "%s", sqlite3_errstr(rc));
	*installed = m->probe_heard;
	return DBC_OK;
}

static int refuse_to_replace(dbc_ctx *ctx, bool replaced_since)
{
	if (replaced_since)
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "the application replaced dbmonitor's trace callback since dbmonitor_start");
	else
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "dbmonitor_start would replace this connection's trace callback, and SQLite "
		          "cannot tell whether the application set one");
	dbc_error_detail(ctx, "A connection has one trace callback (sqlite3_trace_v2, sqlite3_trace, "
	                      "sqlite3_profile; Python's set_trace_callback; the shell's .trace), and "
	                      "SQLite cannot give a replaced one back.");
	dbc_error_hint(
	    ctx, "If nothing else traces this connection, call dbmonitor_start(<threshold_ms>, 1).");
	return DBC_ERROR;
}

int sqldbc_monitor_start(dbc_ctx *ctx, sqldbc_conn *conn, double threshold_ms, bool replace_trace)
{
	sqldbc_monitor *m = conn->monitor;
	bool installed = false;
	if (m && monitor_installed(ctx, conn->db, m, &installed) != DBC_OK)
		return DBC_ERROR;
	if (installed) { /* a new threshold; what was recorded stays */
		m->threshold_ms = threshold_ms;
		return DBC_OK;
	}
	if (!replace_trace)
		return refuse_to_replace(ctx, m != NULL);
	if (!m) {
		m = sqlite3_malloc64(sizeof(*m));
		if (!m)
			return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		memset(m, 0, sizeof(*m));
		conn->monitor = m;
		conn->monitor_free = monitor_free_with_state;
	}
	m->threshold_ms = threshold_ms;
	m->closing = false;
	int rc = sqlite3_trace_v2(conn->db, SQLITE_TRACE_PROFILE | SQLITE_TRACE_CLOSE, on_trace, m);
	if (rc != SQLITE_OK)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "could not install the tracer: %s",
		                 sqlite3_errstr(rc));
	return DBC_OK;
}

int sqldbc_monitor_stop(dbc_ctx *ctx, sqldbc_conn *conn, bool *was_running)
{
	*was_running = conn->monitor != NULL;
	if (!conn->monitor)
		return DBC_OK;
	/* Turned off only while it is ours: a callback the application set
	 * since stays. Either way SQLite no longer holds the state after this. */
	bool installed;
	if (monitor_installed(ctx, conn->db, conn->monitor, &installed) != DBC_OK)
		return DBC_ERROR;
	if (installed)
		sqlite3_trace_v2(conn->db, 0, NULL, NULL);
	monitor_release(conn->monitor);
	conn->monitor = NULL;
	return DBC_OK;
}

static int cmp_slowest(const void *a, const void *b)
{
	const mon_entry *x = *(const mon_entry *const *)a, *y = *(const mon_entry *const *)b;
	return x->max_ms < y->max_ms ? 1 : x->max_ms > y->max_ms ? -1 : strcmp(x->sql, y->sql);
}

/* The entries, slowest first, as pointers in the arena (valid during the call). */
static const mon_entry **sorted(dbc_ctx *ctx, sqldbc_monitor *m)
{
	const mon_entry **v = dbc_alloc(ctx, sizeof(*v) * (size_t)(m->n ? m->n : 1));
	if (!v)
		return NULL;
	for (int i = 0; i < m->n; i++)
		v[i] = &m->e[i];
	qsort(v, (size_t)m->n, sizeof(*v), cmp_slowest);
	return v;
}

static char *iso_of(dbc_ctx *ctx, double epoch)
{
	time_t sec = (time_t)epoch;
	struct tm tm;
	gmtime_r(&sec, &tm);
	return dbc_printf(ctx, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	                  (int)((epoch - (double)sec) * 1000));
}

/* dbmonitor_slow: (sql, calls, total_ms, max_ms, last_at). */
int sqldbc_dbmonitor_slow(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	dbc_rows_init(out, ctx, 5);
	sqldbc_monitor *m = sqldbc_call_conn(ctx)->monitor;
	if (!m)
		return DBC_OK;
	const mon_entry **v = sorted(ctx, m);
	if (!v)
		return DBC_ERROR;
	for (int i = 0; i < m->n; i++) {
		dbc_value row[5] = {dbc_text(v[i]->sql), dbc_int(v[i]->calls),
		                    dbc_float(dbc_round(v[i]->total_ms * 1000) / 1000),
		                    dbc_float(dbc_round(v[i]->max_ms * 1000) / 1000),
		                    dbc_text(iso_of(ctx, v[i]->last_epoch))};
		if (ctx->failed || dbc_rows_add(out, row) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

static int cmp_most_time(const void *a, const void *b)
{
	const mon_entry *x = *(const mon_entry *const *)a, *y = *(const mon_entry *const *)b;
	return x->total_ms < y->total_ms ? 1 : x->total_ms > y->total_ms ? -1 : strcmp(x->sql, y->sql);
}

/* The query statistics of the health part (health.h, query_stats): this
 * connection's recorded statements, most total time first, each named by
 * the first 16 hex digits of its text's SHA-256 (the text is its identity
 * here); absent while dbmonitor is not recording on this connection. */
int sqldbc_monitor_query_stats(dbc_ctx *ctx, const dbc_health_hooks *eng, int limit,
                               dbc_health_query_stats *out)
{
	sqldbc_monitor *m = ((sqldbc_conn *)eng->state)->monitor;
	out->source = "dbmonitor";
	if (!m) {
		out->absent = dbc_strdup(ctx, "dbmonitor is not recording on this connection");
		out->hint = dbc_strdup(ctx, "SELECT dbmonitor_start(100, 1) on the application's "
		                            "connection records statements of 100 ms or more; "
		                            "dbhealth_snapshot() there keeps them for later reads.");
		return DBC_OK;
	}
	const mon_entry **v = sorted(ctx, m);
	if (!v)
		return DBC_ERROR;
	qsort(v, (size_t)m->n, sizeof(*v), cmp_most_time);
	for (int i = 0; i < m->n && i < limit; i++) {
		char hex[DBC_SHA256_HEX_LEN + 1];
		if (dbc_sha256_hex(ctx, v[i]->sql, strlen(v[i]->sql), hex) != DBC_OK)
			return DBC_ERROR;
		hex[16] = '\0';
		if (dbc_health_query_stats_add(ctx, out, hex, v[i]->sql, v[i]->calls, v[i]->total_ms, -1) !=
		    DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* One line of at most 60 characters per statement for the check's message. */
static char *short_sql(dbc_ctx *ctx, const char *sql)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	bool space = false;
	size_t n = 0;
	for (const char *p = sql; *p && (n < 60 || ((unsigned char)*p & 0xC0) == 0x80); p++) {
		bool ws = *p == ' ' || *p == '\n' || *p == '\t' || *p == '\r';
		if (ws) {
			space = b.len > 0;
			continue;
		}
		if (space) {
			dbc_buf_appendc(&b, ' ');
			n++;
			space = false;
		}
		dbc_buf_appendc(&b, *p);
		if (((unsigned char)*p & 0xC0) != 0x80)
			n++;
	}
	return dbc_buf_finish(&b);
}

int sqldbc_monitor_fact(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                        dbc_health_fact *fact)
{
	(void)mode;
	sqldbc_monitor *m = ((sqldbc_conn *)eng->state)->monitor;
	if (!m) {
		dbc_health_skip(
		    ctx, fact, "dbmonitor is not running on this connection",
		    "SELECT dbmonitor_start(100, 1) records statements slower than 100 ms (1: nothing "
		    "else traces this connection).");
		return DBC_OK;
	}
	const mon_entry **v = sorted(ctx, m);
	if (!v)
		return DBC_ERROR;
	for (int i = 0; i < m->n; i++) {
		char *detail =
		    dbc_printf(ctx, "%lld calls, max %.1f ms", (long long)v[i]->calls, v[i]->max_ms);
		if (dbc_health_add_object(ctx, fact, NULL, short_sql(ctx, v[i]->sql), NULL, v[i]->max_ms,
		                          detail) != DBC_OK)
			return DBC_ERROR;
	}
	if (m->n == 0)
		fact->message = dbc_printf(ctx, "no statement slower than %.0f ms since dbmonitor_start",
		                           m->threshold_ms);
	bool installed;
	if (monitor_installed(ctx, ((sqldbc_conn *)eng->state)->db, m, &installed) != DBC_OK)
		return DBC_ERROR;
	if (!installed) {
		fact->note = dbc_strdup(ctx, "the application replaced dbmonitor's trace callback: "
		                             "nothing is recorded since");
		fact->hint = dbc_strdup(ctx, "dbmonitor_stop() ends it and leaves the application's "
		                             "callback in place.");
	}
	return DBC_OK;
}
