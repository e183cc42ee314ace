/*
 * migrate_store.c — reading and writing the migration bookkeeping tables, and
 * the frame around every changing call (guard, savepoint, lock). The SQL is
 * one text for both engines, only the table prefix coming from the host,
 * except where writing many rows at once is cheaper another way on each
 * (dbc_migrate_record_applied).
 */
#include "api/api.h"
#include "migrate/migrate.h"
#include "migrate/migrate_store.h"
#include "schema/schema.h"
#include "settings/settings.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Thread_local int mig_guard;

int dbc_migrate_guard_save(void)
{
	return mig_guard;
}

void dbc_migrate_guard_restore(int saved)
{
	mig_guard = saved;
}

char *dbc_migrate_sql(dbc_ctx *ctx, const char *tmpl)
{
	/* copied a run at a time: every registry statement of a call passes
	 * here, and a copy per character cost more than binding its values */
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	const char *p = tmpl, *at;
	while ((at = strchr(p, '@')) != NULL) {
		dbc_buf_appendn(&b, p, (size_t)(at - p));
		dbc_buf_append(&b, ctx->host->book_prefix);
		p = at + 1;
	}
	dbc_buf_append(&b, p);
	return dbc_buf_finish(&b);
}

int dbc_migrate_query(dbc_ctx *ctx, const char *tmpl, int n, const dbc_value *p, dbc_row_fn fn,
                      void *arg)
{
	char *sql = dbc_migrate_sql(ctx, tmpl);
	if (!sql)
		return DBC_ERROR;
	return ctx->host->query(ctx, sql, n, p, fn, arg);
}

char *dbc_migrate_text(dbc_ctx *ctx, const dbc_value *v)
{
	switch (v->type) {
	case DBC_TEXT:
		return dbc_strdup(ctx, v->s);
	case DBC_INT:
	case DBC_BOOL:
		return dbc_printf(ctx, "%lld", (long long)v->i);
	case DBC_FLOAT:
		return dbc_printf(ctx, "%.17g", v->f);
	default:
		return NULL;
	}
}

bool dbc_migrate_bool(const dbc_value *v)
{
	if (v->type == DBC_INT || v->type == DBC_BOOL)
		return v->i != 0;
	if (v->type == DBC_TEXT)
		return v->s[0] == 't' || v->s[0] == 'T' || v->s[0] == '1';
	return false;
}

double dbc_migrate_num(const dbc_value *v, bool *isnull)
{
	*isnull = false;
	if (v->type == DBC_FLOAT)
		return v->f;
	if (v->type == DBC_INT || v->type == DBC_BOOL)
		return (double)v->i;
	if (v->type == DBC_TEXT)
		return strtod(v->s, NULL);
	*isnull = true;
	return 0;
}

static int take_mig(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	dbc_migrate_set *set = arg;
	if (ncol < 11)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected registry row");
	dbc_migration m = {0};
	char *kind = dbc_migrate_text(ctx, &c[0]);
	m.repeatable = kind && strcmp(kind, "repeatable") == 0;
	m.version = dbc_migrate_text(ctx, &c[1]);
	m.version_text = dbc_migrate_text(ctx, &c[2]);
	m.name = dbc_migrate_text(ctx, &c[3]);
	m.checksum = dbc_migrate_text(ctx, &c[4]);
	m.has_down = dbc_migrate_bool(&c[5]);
	m.no_transaction = dbc_migrate_bool(&c[6]);
	m.script = dbc_migrate_text(ctx, &c[7]);
	m.down_script = dbc_migrate_text(ctx, &c[8]);
	m.down_checksum = dbc_migrate_text(ctx, &c[9]);
	m.registered_by = dbc_migrate_text(ctx, &c[10]);
	if (ctx->failed || !m.name || !m.checksum || (!m.repeatable && !m.version))
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "incomplete row in the migration registry");
	return dbc_migrate_set_add(ctx, set, &m);
}

static int take_applied(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	dbc_migrate_set *set = arg;
	if (ncol < 7)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected applied row");
	dbc_applied a = {0};
	bool isnull;
	a.kind = dbc_migrate_text(ctx, &c[0]);
	a.version = dbc_migrate_text(ctx, &c[1]);
	a.name = dbc_migrate_text(ctx, &c[2]);
	a.checksum = dbc_migrate_text(ctx, &c[3]);
	a.applied_at = dbc_migrate_text(ctx, &c[4]);
	a.duration_ms = dbc_migrate_num(&c[5], &isnull);
	a.has_duration = !isnull;
	a.down_checksum = dbc_migrate_text(ctx, &c[6]);
	if (ctx->failed || !a.kind || !a.name)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "incomplete row in the applied migrations");
	if (strcmp(a.kind, "repeatable") != 0 && !a.version)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "applied migration without a version");
	return dbc_migrate_set_add_applied(ctx, set, &a);
}

static int take_failed(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	dbc_migrate_set *set = arg;
	if (ncol < 4)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected history row");
	bool isnull;
	dbc_failed f = {(int64_t)dbc_migrate_num(&c[0], &isnull), dbc_migrate_text(ctx, &c[1]),
	                dbc_migrate_text(ctx, &c[2]), dbc_migrate_text(ctx, &c[3]), false};
	return ctx->failed ? DBC_ERROR : dbc_migrate_set_add_failed(ctx, set, &f);
}

/* expr when table has column, else "NULL" (an older SQLite layout, read
 * before the next changing call adds the column). */
static const char *book_column(dbc_ctx *ctx, const char *table, const char *column,
                               const char *expr)
{
	if (!ctx->host->book_has_column)
		return expr;
	char *t = dbc_printf(ctx, "%s%s", ctx->host->book_name_prefix, table);
	return t && ctx->host->book_has_column(ctx, t, column) ? expr : "NULL";
}

int dbc_migrate_read(dbc_ctx *ctx, dbc_load_mode mode, dbc_migrate_set *set)
{
	memset(set, 0, sizeof(*set));
	bool exists = false;
	if (ctx->host->book_exists(ctx, &exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists)
		return DBC_OK;
	static const char *due_up =
	    "CASE WHEN m.kind = 'repeatable' OR NOT EXISTS (SELECT 1 FROM @migrations_applied a "
	    "WHERE a.version = m.version) THEN m.script END";
	static const char *applied_down =
	    "CASE WHEN EXISTS (SELECT 1 FROM @migrations_applied a WHERE a.version = m.version) "
	    "THEN m.down_script END";
	const char *up = "NULL", *down = "NULL";
	if (mode == DBC_LOAD_UP_DUE)
		up = due_up;
	else if (mode == DBC_LOAD_DOWN_APPLIED)
		down = applied_down;
	else if (mode == DBC_LOAD_ALL)
		up = "m.script", down = "m.down_script";
	/* Where privileges are per column (PostgreSQL), reading without the
	 * scripts needs no privilege on them (pg_monitor may read every column
	 * of the registry but the scripts), so has_down comes from the down
	 * checksum, which every row there has with its down script; SQLite rows
	 * registered by an older build may lack it. */
	bool pg = ctx->host->dialect->column_privileges;
	const char *reg_down = book_column(ctx, "migrations", "down_checksum", "m.down_checksum");
	const char *app_down = book_column(ctx, "migrations_applied", "down_checksum", "down_checksum");
	char *tmpl = dbc_printf(ctx,
	                        "SELECT m.kind, m.version, m.version_text, m.name, m.checksum, "
	                        "%s, m.no_transaction, %s, %s, %s, %s "
	                        "FROM @migrations m",
	                        pg ? "m.down_checksum IS NOT NULL" : "m.down_script IS NOT NULL", up,
	                        down, reg_down, pg ? "m.registered_by" : "NULL");
	char *applied = dbc_printf(ctx,
	                           "SELECT kind, version, name, checksum, applied_at, duration_ms, %s "
	                           "FROM @migrations_applied",
	                           app_down);
	if (!tmpl || !applied || dbc_migrate_query(ctx, tmpl, 0, NULL, take_mig, set) != DBC_OK)
		return DBC_ERROR;
	if (dbc_migrate_query(ctx, applied, 0, NULL, take_applied, set) != DBC_OK)
		return DBC_ERROR;
	if (dbc_migrate_query(ctx,
	                      "SELECT id, version, name, error FROM @migrations_history "
	                      "WHERE NOT success ORDER BY id",
	                      0, NULL, take_failed, set) != DBC_OK)
		return DBC_ERROR;
	return dbc_migrate_mark_live(ctx, set);
}

/* Asked after the rows were read: a step marked before its started row was
 * committed is seen live by whoever sees that row. */
int dbc_migrate_mark_live(dbc_ctx *ctx, dbc_migrate_set *set)
{
	const dbc_api_hooks *api = ctx->host->api;
	const dbc_migrate_hooks *env = api ? api->migrate : NULL;
	if (!env || !env->step_live)
		return DBC_OK;
	for (int i = 0; i < set->nfailed; i++)
		if (env->step_live(ctx, set->failed[i].id, &set->failed[i].live) != DBC_OK)
			return DBC_ERROR;
	return DBC_OK;
}

int dbc_migrate_record(dbc_ctx *ctx, const char *version, const char *name, const char *kind,
                       const char *direction, const char *checksum, double duration_ms,
                       bool success, const char *error, double started_ms)
{
	/* only the columns that have values: a NULL parameter would need a type */
	dbc_buf cols, vals;
	dbc_value p[9];
	int n = 0;
	dbc_buf_init(&cols, ctx);
	dbc_buf_init(&vals, ctx);
	dbc_buf_append(&cols, "INSERT INTO @migrations_history (name, kind, direction, success");
	p[n++] = dbc_text(name);
	p[n++] = dbc_text(kind);
	p[n++] = dbc_text(direction);
	dbc_buf_append(&vals, ") VALUES ($1, $2, $3, ");
	dbc_buf_append(&vals, success ? "true" : "false");
#define OPT(col, val)                                                                              \
	do {                                                                                           \
		dbc_buf_append(&cols, ", " col);                                                           \
		p[n++] = (val);                                                                            \
		dbc_buf_appendf(&vals, ", $%d", n);                                                        \
	} while (0)
	if (version)
		OPT("version", dbc_text(version));
	if (checksum)
		OPT("checksum", dbc_text(checksum));
	if (duration_ms >= 0)
		OPT("duration_ms", dbc_float(duration_ms));
	if (error)
		OPT("error", dbc_text(error));
	if (started_ms > 0)
		OPT("started_ms", dbc_float(started_ms));
#undef OPT
	dbc_buf_append(&vals, ")");
	char *c = dbc_buf_finish(&cols), *v = dbc_buf_finish(&vals);
	char *tmpl = c && v ? dbc_printf(ctx, "%s%s", c, v) : NULL;
	if (!tmpl)
		return DBC_ERROR;
	return dbc_migrate_query(ctx, tmpl, n, p, NULL, NULL);
}

/* PostgreSQL: the rows travel as one JSON array parameter that the server
 * unpacks, one statement for the whole call whatever n is (every execution
 * there starts an executor). Element: [kind, version, name, checksum,
 * duration in microseconds, finishing time in microseconds since the epoch,
 * down checksum].
 * The history events come from the same JSON. */
static const char applied_pg_sql[] =
    "INSERT INTO @migrations_applied "
    "(kind, version, name, checksum, duration_ms, applied_at, down_checksum) "
    "SELECT e.v->>0, e.v->>1, e.v->>2, e.v->>3, (e.v->>4)::float8 / 1000, "
    "pg_catalog.to_timestamp((e.v->>5)::float8 / 1e6), e.v->>6 "
    "FROM pg_catalog.jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(v, i) "
    "ORDER BY e.i";

static const char history_pg_sql[] =
    "INSERT INTO @migrations_history "
    "(kind, version, name, checksum, duration_ms, applied_at, direction, success) "
    "SELECT e.v->>0, e.v->>1, e.v->>2, e.v->>3, (e.v->>4)::float8 / 1000, "
    "pg_catalog.to_timestamp((e.v->>5)::float8 / 1e6), 'up', true "
    "FROM pg_catalog.jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(v, i) "
    "ORDER BY e.i";

/* SQLite: one INSERT prepared once and run per row (the host's query_each),
 * cheaper there than decoding each row from JSON; then the history events
 * are copied from the applied rows just written (rowid > $1). */
static const char applied_row_sql[] =
    "INSERT INTO @migrations_applied "
    "(kind, version, name, checksum, duration_ms, applied_at, down_checksum) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7)";

static const char history_copy_sql[] =
    "INSERT INTO @migrations_history "
    "(kind, version, name, checksum, duration_ms, applied_at, direction, success) "
    "SELECT kind, version, name, checksum, duration_ms, applied_at, 'up', true "
    "FROM @migrations_applied WHERE rowid > $1 ORDER BY rowid";

static int take_int(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	bool isnull;
	(void)ctx;
	if (ncol > 0)
		*(int64_t *)arg = (int64_t)dbc_migrate_num(&c[0], &isnull);
	return DBC_OK;
}

/* A JSON string (or null); the bytes above 0x7f pass as they are (UTF-8).
 * Runs without escapes are copied whole. */
static void json_quote(dbc_buf *b, const char *s)
{
	if (!s) {
		dbc_buf_append(b, "null");
		return;
	}
	static const char hex[] = "0123456789abcdef";
	dbc_buf_appendc(b, '"');
	const unsigned char *run = (const unsigned char *)s, *p = run;
	for (; *p; p++) {
		if (*p != '"' && *p != '\\' && *p >= 0x20)
			continue;
		dbc_buf_appendn(b, (const char *)run, (size_t)(p - run));
		char esc[6] = {'\\', (char)*p};
		size_t len = 2;
		if (*p < 0x20) {
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
			len = 6;
		}
		dbc_buf_appendn(b, esc, len);
		run = p + 1;
	}
	dbc_buf_appendn(b, (const char *)run, (size_t)(p - run));
	dbc_buf_appendc(b, '"');
}

static int record_applied_json(dbc_ctx *ctx, const dbc_migrate_done *done, int n)
{
	/* written by hand: a jansson tree of n rows cost more than the INSERTs */
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_buf_appendc(&b, '[');
	for (int i = 0; i < n; i++) {
		const dbc_migration *m = done[i].mig;
		dbc_buf_append(&b, i ? ",[" : "[");
		json_quote(&b, m->repeatable ? "repeatable" : "versioned");
		dbc_buf_appendc(&b, ',');
		json_quote(&b, m->repeatable ? NULL : m->version);
		dbc_buf_appendc(&b, ',');
		json_quote(&b, m->name);
		dbc_buf_appendc(&b, ',');
		json_quote(&b, m->checksum);
		/* whole microseconds: printing integers is much cheaper than %.17g */
		dbc_buf_appendf(&b, ",%lld,%lld,", (long long)(done[i].duration_ms * 1000.0 + 0.5),
		                (long long)(done[i].at_s * 1e6 + 0.5));
		json_quote(&b, dbc_migrate_down_to_record(m));
		dbc_buf_appendc(&b, ']');
	}
	dbc_buf_appendc(&b, ']');
	char *text = dbc_buf_finish(&b);
	if (!text)
		return DBC_ERROR;
	dbc_value p = dbc_text(text);
	if (dbc_migrate_query(ctx, applied_pg_sql, 1, &p, NULL, NULL) != DBC_OK)
		return DBC_ERROR;
	return dbc_migrate_query(ctx, history_pg_sql, 1, &p, NULL, NULL);
}

/* at_s as SQLite's strftime('%Y-%m-%dT%H:%M:%fZ') writes it, the column's
 * default: UTC, milliseconds rounded the way its 'unixepoch' modifier does. */
static char *sqlite_timestamp(dbc_ctx *ctx, double at_s)
{
	long long ms = (long long)(at_s * 1000.0 + 0.5);
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	if (!gmtime_r(&secs, &tm)) {
		dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "clock time %.3f out of range", at_s);
		return NULL;
	}
	/* by hand: printf's formatting was a fifth of writing the row */
	char *out = dbc_alloc(ctx, sizeof("YYYY-MM-DDTHH:MM:SS.sssZ"));
	if (!out)
		return NULL;
	const int part[] = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,      tm.tm_hour,
	                    tm.tm_min,         tm.tm_sec,     (int)(ms % 1000)};
	const int width[] = {4, 2, 2, 2, 2, 2, 3};
	const char after[] = "--T::.Z";
	char *o = out;
	for (int i = 0; i < 7; i++) {
		for (int d = width[i] - 1, v = part[i]; d >= 0; d--, v /= 10)
			o[d] = (char)('0' + v % 10);
		o += width[i];
		*o++ = after[i];
	}
	*o = '\0';
	return out;
}

static int record_applied_rows(dbc_ctx *ctx, const dbc_migrate_done *done, int n)
{
	enum { NCOL = 7 };
	if (!ctx->host->query_each)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "the host cannot run a statement per row");
	dbc_value *rows = dbc_alloc(ctx, sizeof(dbc_value) * NCOL * (size_t)(n > 0 ? n : 1));
	char *sql = dbc_migrate_sql(ctx, applied_row_sql);
	if (!rows || !sql)
		return DBC_ERROR;
	for (int i = 0; i < n; i++) {
		const dbc_migration *m = done[i].mig;
		dbc_value *r = rows + (size_t)i * NCOL;
		char *at = sqlite_timestamp(ctx, done[i].at_s);
		if (!at)
			return DBC_ERROR;
		r[0] = dbc_text(m->repeatable ? "repeatable" : "versioned");
		r[1] = m->repeatable ? dbc_null() : dbc_text(m->version);
		r[2] = dbc_text(m->name);
		r[3] = m->checksum ? dbc_text(m->checksum) : dbc_null();
		r[4] = dbc_float(done[i].duration_ms);
		r[5] = dbc_text(at);
		const char *down = dbc_migrate_down_to_record(m);
		r[6] = down ? dbc_text(down) : dbc_null();
	}
	int64_t last = 0;
	if (dbc_migrate_query(ctx, "SELECT coalesce(max(rowid), 0) FROM @migrations_applied", 0, NULL,
	                      take_int, &last) != DBC_OK ||
	    ctx->host->query_each(ctx, sql, NCOL, n, rows) != DBC_OK)
		return DBC_ERROR;
	dbc_value p = dbc_int(last);
	return dbc_migrate_query(ctx, history_copy_sql, 1, &p, NULL, NULL);
}

int dbc_migrate_record_applied(dbc_ctx *ctx, const dbc_migrate_done *done, int n)
{
	/* no query_each: one set-based statement over a JSON array (dbc.h) */
	if (!ctx->host->query_each)
		return record_applied_json(ctx, done, n);
	return record_applied_rows(ctx, done, n);
}

int dbc_migrate_store_snapshot(dbc_ctx *ctx, int64_t id)
{
	char *json, *fp;
	if (dbc_schema_snapshot_fingerprinted(ctx, ctx->host->read_schema, &json, &fp) != DBC_OK)
		return DBC_ERROR;
	if (id > 0) {
		dbc_value p[3] = {dbc_text(fp), dbc_text(json), dbc_int(id)};
		return dbc_migrate_query(ctx,
		                         "UPDATE @migrations_history SET fingerprint = $1, snapshot = $2 "
		                         "WHERE id = $3",
		                         3, p, NULL, NULL);
	}
	dbc_value p[2] = {dbc_text(fp), dbc_text(json)};
	return dbc_migrate_query(ctx,
	                         "UPDATE @migrations_history SET fingerprint = $1, snapshot = $2 "
	                         "WHERE id = (SELECT max(id) FROM @migrations_history)",
	                         2, p, NULL, NULL);
}

typedef struct {
	char *fp;
	int64_t id;
} last_snap;

static int take_snap(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	last_snap *ls = arg;
	/* a row whose snapshot is gone counts as none, as it always has */
	if (ncol >= 3 && c[1].type == DBC_INT && (c[2].type == DBC_BOOL || c[2].type == DBC_INT) &&
	    c[2].i) {
		ls->fp = dbc_migrate_text(ctx, &c[0]);
		ls->id = c[1].i;
	}
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

/* Only the fingerprint and the row: the snapshot text, as large as the
 * schema, is read only when a caller needs to diff it (it differs). */
int dbc_migrate_last_snapshot(dbc_ctx *ctx, char **fingerprint, int64_t *id)
{
	last_snap ls = {NULL, 0};
	bool exists = false;
	*fingerprint = NULL;
	*id = 0;
	if (ctx->host->book_exists(ctx, &exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists)
		return DBC_OK;
	if (dbc_migrate_query(ctx,
	                      "SELECT fingerprint, id, snapshot IS NOT NULL FROM @migrations_history "
	                      "WHERE fingerprint IS NOT NULL ORDER BY id DESC LIMIT 1",
	                      0, NULL, take_snap, &ls) != DBC_OK)
		return DBC_ERROR;
	*fingerprint = ls.fp;
	*id = ls.id;
	return DBC_OK;
}

static int take_text(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	if (ncol >= 1 && c[0].type == DBC_TEXT)
		*(char **)arg = dbc_migrate_text(ctx, &c[0]);
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

int dbc_migrate_snapshot_text(dbc_ctx *ctx, int64_t id, char **snapshot)
{
	dbc_value p = dbc_int(id);
	*snapshot = NULL;
	return dbc_migrate_query(ctx, "SELECT snapshot FROM @migrations_history WHERE id = $1", 1, &p,
	                         take_text, snapshot);
}

int dbc_migrate_guard_enter(dbc_ctx *ctx)
{
	if (mig_guard) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "dbmigrate functions that change migrations cannot be called from inside a "
		          "migration");
		dbc_error_hint(ctx, "A migration script must not call dbmigrate_apply, dbmigrate_add or "
		                    "the other changing dbmigrate_ functions.");
		return DBC_ERROR;
	}
	mig_guard = 1;
	return DBC_OK;
}

void dbc_migrate_guard_leave(void)
{
	mig_guard = 0;
}

static int take_lock(dbc_ctx *ctx, const dbc_migrate_hooks *env)
{
	if (env && env->lock) {
		int64_t timeout = 0;
		if (dbc_setting_get_int(ctx, "migrate.lock_timeout_ms", &timeout) != DBC_OK ||
		    env->lock(ctx, timeout) != DBC_OK)
			return DBC_ERROR;
	}
	/* Every changing call writes the lock row first. In SQLite that takes the
	 * database's write lock (waiting up to the busy timeout); at REPEATABLE
	 * READ or SERIALIZABLE in PostgreSQL it fails with a serialization error
	 * when another session migrated after this transaction's snapshot, so a
	 * waiter never re-applies what the winner committed. */
	if (dbc_migrate_query(
	        ctx,
	        "INSERT INTO @migrations_lock (id, generation) VALUES (1, 1) "
	        "ON CONFLICT (id) DO UPDATE SET generation = @migrations_lock.generation + 1",
	        0, NULL, NULL, NULL) != DBC_OK) {
		if (strcmp(ctx->sqlstate, "40001") == 0) {
			ctx->message = dbc_strdup(ctx, "another session changed the migrations after this "
			                               "transaction's snapshot was taken");
			ctx->hint = dbc_strdup(ctx, "Retry in a new transaction: at REPEATABLE READ or "
			                            "SERIALIZABLE dbcare cannot see the other session's "
			                            "migrations.");
		} else {
			ctx->context = dbc_strdup(ctx, "while taking the migration lock");
		}
		return DBC_ERROR;
	}
	return DBC_OK;
}

int dbc_migrate_frame_begin(dbc_ctx *ctx, const dbc_migrate_hooks *env, dbc_migrate_frame *f,
                            bool lock)
{
	f->level = -1;
	f->guarded = false;
	if (dbc_migrate_guard_enter(ctx) != DBC_OK)
		return DBC_ERROR;
	f->guarded = true;
	/* the tables are made inside the savepoint: a call that fails leaves a
	 * fresh SQLite database as fresh as it was */
	f->level = ctx->host->savepoint(ctx);
	if (f->level < 0)
		return DBC_ERROR;
	if (ctx->host->book_ensure(ctx) != DBC_OK)
		return DBC_ERROR;
	if (lock && take_lock(ctx, env) != DBC_OK)
		return DBC_ERROR;
	return DBC_OK;
}

int dbc_migrate_frame_end(dbc_ctx *ctx, dbc_migrate_frame *f, int rc)
{
	if (f->level >= 0) {
		if (rc == DBC_OK && !ctx->failed) {
			if (ctx->host->release(ctx, f->level) != DBC_OK) {
				ctx->host->rollback(ctx, f->level); /* keeps the error (dbc.h) */
				rc = DBC_ERROR;
			}
		} else {
			ctx->host->rollback(ctx, f->level); /* keeps the error (dbc.h) */
			rc = DBC_ERROR;
		}
		f->level = -1;
	}
	if (f->guarded)
		dbc_migrate_guard_leave();
	f->guarded = false;
	return ctx->failed ? DBC_ERROR : rc;
}

int dbc_migrate_frame_discard(dbc_ctx *ctx, dbc_migrate_frame *f)
{
	if (f->level >= 0) {
		ctx->host->rollback(ctx, f->level);
		/* a host that needs the savepoint released after rolling back does so itself */
		f->level = -1;
	}
	if (f->guarded)
		dbc_migrate_guard_leave();
	f->guarded = false;
	return ctx->failed ? DBC_ERROR : DBC_OK;
}
