/*
 * migrate_trace.c — what PostgreSQL shows of a statement dbmigrate_trace ran
 * (core/migrate/migrate_trace.c drives the run): the relation locks this
 * backend holds (pg_locks), the relations and their filenodes (pg_class: a
 * new filenode is a rewrite), and the rows written in this transaction
 * (pg_stat_get_xact_tuples_*, which count live subtransactions too).
 * Relations of pg_catalog, information_schema and the toast schemas are
 * left out: the trace's own catalog reads lock them, and a toast table goes
 * with its table.
 */
#include "pg/host/glue.h"

#include "migrate/migrate.h"

#include <string.h>

/* A user relation as one statement left it. */
typedef struct trace_rel {
	int64_t oid;
	char *name;       /* schema-qualified, quoted where needed */
	int64_t filenode; /* 0 for relations without storage */
	int64_t writes;   /* rows inserted, updated or deleted in this transaction */
} trace_rel;

typedef struct trace_rels {
	trace_rel *items; /* ordered by oid */
	int n, cap;
} trace_rels;

/* A relation lock mode held by this backend. */
typedef struct trace_lock {
	int64_t oid;
	int mode; /* index into lock_modes */
} trace_lock;

typedef struct trace_state {
	trace_rels rels;   /* as the previous statement left them */
	trace_lock *locks; /* held: before the trace, or taken by a statement */
	int nlocks, caplocks;
} trace_state;

/* pg_locks' mode names, weakest first, and the names the docs use. */
static const char *const lock_modes[][2] = {
    {"AccessShareLock", "ACCESS SHARE"},
    {"RowShareLock", "ROW SHARE"},
    {"RowExclusiveLock", "ROW EXCLUSIVE"},
    {"ShareUpdateExclusiveLock", "SHARE UPDATE EXCLUSIVE"},
    {"ShareLock", "SHARE"},
    {"ShareRowExclusiveLock", "SHARE ROW EXCLUSIVE"},
    {"ExclusiveLock", "EXCLUSIVE"},
    {"AccessExclusiveLock", "ACCESS EXCLUSIVE"},
};
#define NMODES ((int)(sizeof(lock_modes) / sizeof(lock_modes[0])))

static int mode_of(const char *name)
{
	for (int i = 0; i < NMODES; i++)
		if (strcmp(lock_modes[i][0], name) == 0)
			return i;
	return -1;
}

static int take_rel(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	trace_rels *r = arg;
	if (ncol < 4 || c[0].type != DBC_INT || c[1].type != DBC_TEXT)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected relation row");
	if (dbc_grow(ctx, &r->items, r->n, &r->cap, sizeof(trace_rel), 64) != DBC_OK)
		return DBC_ERROR;
	trace_rel *t = &r->items[r->n];
	t->oid = c[0].i;
	t->name = dbc_strdup(ctx, c[1].s);
	t->filenode = c[2].type == DBC_INT ? c[2].i : 0;
	t->writes = c[3].type == DBC_INT ? c[3].i : 0;
	if (!t->name)
		return DBC_ERROR;
	r->n++;
	return DBC_OK;
}

static int read_rels(dbc_ctx *ctx, trace_rels *out)
{
	memset(out, 0, sizeof(*out));
	return ctx->host->query(ctx,
	                        "SELECT c.oid::pg_catalog.int8, "
	                        "pg_catalog.format('%I.%I', n.nspname, c.relname), "
	                        "c.relfilenode::pg_catalog.int8, "
	                        "(pg_catalog.pg_stat_get_xact_tuples_inserted(c.oid) "
	                        "+ pg_catalog.pg_stat_get_xact_tuples_updated(c.oid) "
	                        "+ pg_catalog.pg_stat_get_xact_tuples_deleted(c.oid))::pg_catalog.int8 "
	                        "FROM pg_catalog.pg_class c "
	                        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	                        "WHERE n.nspname OPERATOR(pg_catalog.<>) ALL "
	                        "('{pg_catalog,information_schema,pg_toast}'::pg_catalog.name[]) "
	                        "AND n.nspname::pg_catalog.text NOT LIKE 'pg\\_toast\\_temp\\_%' "
	                        "ORDER BY c.oid",
	                        0, NULL, take_rel, out);
}

static const trace_rel *find_rel(const trace_rels *r, int64_t oid)
{
	int lo = 0, hi = r->n - 1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		if (r->items[mid].oid == oid)
			return &r->items[mid];
		if (r->items[mid].oid < oid)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

typedef struct lock_list {
	trace_lock *items;
	int n, cap;
} lock_list;

static int take_lock(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	lock_list *l = arg;
	int mode;
	if (ncol < 2 || c[0].type != DBC_INT || c[1].type != DBC_TEXT)
		return DBC_OK;
	if ((mode = mode_of(c[1].s)) < 0)
		return DBC_OK;
	if (dbc_grow(ctx, &l->items, l->n, &l->cap, sizeof(trace_lock), 64) != DBC_OK)
		return DBC_ERROR;
	l->items[l->n].oid = c[0].i;
	l->items[l->n].mode = mode;
	l->n++;
	return DBC_OK;
}

/* The relation locks this backend holds now, in this database. */
static int read_locks(dbc_ctx *ctx, lock_list *out)
{
	memset(out, 0, sizeof(*out));
	return ctx->host->query(ctx,
	                        "SELECT l.relation::pg_catalog.int8, l.mode "
	                        "FROM pg_catalog.pg_locks l "
	                        "WHERE l.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid() "
	                        "AND l.locktype OPERATOR(pg_catalog.=) 'relation' AND l.granted "
	                        "AND l.database OPERATOR(pg_catalog.=) (SELECT d.oid "
	                        "FROM pg_catalog.pg_database d "
	                        "WHERE d.datname OPERATOR(pg_catalog.=) "
	                        "pg_catalog.current_database())",
	                        0, NULL, take_lock, out);
}

static bool held(const trace_state *s, int64_t oid, int mode)
{
	for (int i = 0; i < s->nlocks; i++)
		if (s->locks[i].oid == oid && s->locks[i].mode == mode)
			return true;
	return false;
}

static int trace_start(dbc_ctx *ctx, void **state)
{
	trace_state *s = dbc_alloc(ctx, sizeof(trace_state));
	lock_list l;
	if (!s)
		return DBC_ERROR;
	memset(s, 0, sizeof(*s));
	if (read_rels(ctx, &s->rels) != DBC_OK || read_locks(ctx, &l) != DBC_OK)
		return DBC_ERROR;
	s->locks = l.items;
	s->nlocks = l.n;
	s->caplocks = l.cap;
	*state = s;
	return DBC_OK;
}

/* The strongest mode per relation among the locks the statement newly
 * took, recorded as held; -1 where it took none. */
static int new_mode(const lock_list *now, const trace_state *s, int64_t oid)
{
	int best = -1;
	for (int i = 0; i < now->n; i++)
		if (now->items[i].oid == oid && now->items[i].mode > best &&
		    !held(s, oid, now->items[i].mode))
			best = now->items[i].mode;
	return best;
}

static int add_row(dbc_rows *out, int line, const char *statement, const char *relation, int mode,
                   const char *change, bool rows_known, int64_t rows, double ms)
{
	dbc_value row[8] = {dbc_int(line),
	                    dbc_text(statement),
	                    relation ? dbc_text(relation) : dbc_null(),
	                    mode >= 0 ? dbc_text(lock_modes[mode][1]) : dbc_null(),
	                    change ? dbc_text(change) : dbc_null(),
	                    rows_known ? dbc_int(rows) : dbc_null(),
	                    dbc_float(ms),
	                    dbc_null()};
	return dbc_rows_add(out, row);
}

static int trace_observe(dbc_ctx *ctx, void *state, int line, const char *statement, double ms,
                         dbc_rows *out)
{
	trace_state *s = state;
	trace_rels now;
	lock_list locks;
	int before = out->nrows;
	if (read_rels(ctx, &now) != DBC_OK || read_locks(ctx, &locks) != DBC_OK)
		return DBC_ERROR;
	/* relations that exist after the statement, in creation (oid) order */
	for (int i = 0; i < now.n; i++) {
		const trace_rel *r = &now.items[i];
		const trace_rel *was = find_rel(&s->rels, r->oid);
		int mode = new_mode(&locks, s, r->oid);
		const char *change =
		    !was                                                                     ? "created"
		    : was->filenode != 0 && r->filenode != 0 && was->filenode != r->filenode ? "rewritten"
		                                                                             : NULL;
		int64_t rows = r->writes - (was ? was->writes : 0);
		if (mode < 0 && !change && rows == 0)
			continue;
		if (add_row(out, line, statement, r->name, mode, change, true, rows, ms) != DBC_OK)
			return DBC_ERROR;
	}
	/* relations it dropped */
	for (int i = 0; i < s->rels.n; i++) {
		const trace_rel *was = &s->rels.items[i];
		if (find_rel(&now, was->oid))
			continue;
		if (add_row(out, line, statement, was->name, new_mode(&locks, s, was->oid), "dropped",
		            false, 0, ms) != DBC_OK)
			return DBC_ERROR;
	}
	if (out->nrows == before &&
	    add_row(out, line, statement, NULL, -1, NULL, false, 0, ms) != DBC_OK)
		return DBC_ERROR;
	/* what this statement left is what the next one starts from */
	for (int i = 0; i < locks.n; i++)
		if (!held(s, locks.items[i].oid, locks.items[i].mode)) {
			if (dbc_grow(ctx, &s->locks, s->nlocks, &s->caplocks, sizeof(trace_lock), 64) != DBC_OK)
				return DBC_ERROR;
			s->locks[s->nlocks++] = locks.items[i];
		}
	s->rels = now;
	return DBC_OK;
}

const dbc_trace_hooks pgdbc_trace_hooks = {trace_start, trace_observe};
