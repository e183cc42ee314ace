/*
 * tvf.c — one eponymous virtual-table module that serves every table-valued
 * function: the declared columns, optional arguments as HIDDEN columns, and a
 * core producer that fills dbc_rows when the cursor is filtered.
 */
#include "conn.h"

#include <string.h>

typedef struct tvf_aux {
	const dbc_api_fn *fn; /* the table's entry: name, columns, arguments */
	sqldbc_tvf_fn produce;
	sqldbc_conn *conn;
	int ncol;  /* result columns */
	int nargs; /* hidden argument columns */
} tvf_aux;

typedef struct tvf_vtab {
	sqlite3_vtab base;
	tvf_aux *aux;
} tvf_vtab;

typedef struct tvf_cursor {
	sqlite3_vtab_cursor base;
	sqldbc_call call; /* owns the arena the rows live in */
	bool live;
	dbc_rows rows;
	int row;
	dbc_value args[DBC_API_MAX_ARGS];
	int argc;
} tvf_cursor;

/* "a","b" with an optional suffix after each. */
static void append_columns(sqlite3_str *s, const dbc_api_column *cols, int n, const char *suffix,
                           bool *first)
{
	for (int k = 0; k < n; k++) {
		sqlite3_str_appendf(s, "%s\"%w\"%s", *first ? "" : ",", cols[k].name, suffix);
		*first = false;
	}
}

static int tvf_connect(sqlite3 *db, void *paux, int argc, const char *const *argv,
                       sqlite3_vtab **out, char **err)
{
	(void)argc, (void)argv;
	tvf_aux *aux = paux;
	sqlite3_str *s = sqlite3_str_new(db);
	bool first = true;
	sqlite3_str_appendall(s, "CREATE TABLE x(");
	append_columns(s, aux->fn->columns, aux->fn->ncolumns, "", &first);
	append_columns(s, aux->fn->args, aux->fn->nargs, " HIDDEN", &first);
	sqlite3_str_appendall(s, ")");
	char *ddl = sqlite3_str_finish(s);
	if (!ddl)
		return SQLITE_NOMEM;
	int rc = sqlite3_declare_vtab(db, ddl);
	sqlite3_free(ddl);
	if (rc != SQLITE_OK) {
		/* SQLite's own "vtable constructor failed" would name no cause (an
		 * interrupt that lands in the declaration, most often) */
		*err = sqlite3_mprintf("dbcare: %s: %s", aux->fn->name, sqlite3_errstr(rc));
		return rc;
	}
	/* Reachable only from top-level SQL, never from a hostile schema's views
	 * or triggers. */
	sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
	tvf_vtab *vt = sqlite3_malloc(sizeof(*vt));
	if (!vt)
		return SQLITE_NOMEM;
	memset(vt, 0, sizeof(*vt));
	vt->aux = aux;
	*out = &vt->base;
	return SQLITE_OK;
}

static int tvf_disconnect(sqlite3_vtab *vt)
{
	sqlite3_free(vt);
	return SQLITE_OK;
}

/* idxNum: bit k set when argument k is bound; the argv order is argument order. */
static int tvf_best_index(sqlite3_vtab *base, sqlite3_index_info *info)
{
	tvf_aux *aux = ((tvf_vtab *)base)->aux;
	int which[8];
	int mask = 0;
	for (int k = 0; k < 8; k++)
		which[k] = -1;
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		int k = c->iColumn - aux->ncol;
		if (k < 0 || k >= aux->nargs)
			continue;
		if (c->op != SQLITE_INDEX_CONSTRAINT_EQ)
			continue; /* not an argument, only a filter SQLite applies to the rows */
		if (!c->usable)
			return SQLITE_CONSTRAINT; /* argument not available yet: try another plan */
		which[k] = i;
		mask |= 1 << k;
	}
	int argv_index = 1;
	for (int k = 0; k < aux->nargs; k++) {
		if (which[k] < 0)
			continue;
		info->aConstraintUsage[which[k]].argvIndex = argv_index++;
		info->aConstraintUsage[which[k]].omit = 1;
	}
	info->idxNum = mask;
	info->estimatedCost = 10;
	info->estimatedRows = 100;
	return SQLITE_OK;
}

static int tvf_open(sqlite3_vtab *base, sqlite3_vtab_cursor **out)
{
	(void)base;
	tvf_cursor *cur = sqlite3_malloc(sizeof(*cur));
	if (!cur)
		return SQLITE_NOMEM;
	memset(cur, 0, sizeof(*cur));
	*out = &cur->base;
	return SQLITE_OK;
}

static void cursor_reset(tvf_cursor *cur)
{
	if (cur->live)
		dbc_ctx_finish(&cur->call.ctx);
	cur->live = false;
	cur->rows.nrows = 0;
	cur->row = 0;
}

static int tvf_close(sqlite3_vtab_cursor *base)
{
	tvf_cursor *cur = (tvf_cursor *)base;
	cursor_reset(cur);
	sqlite3_free(cur);
	return SQLITE_OK;
}

static dbc_value to_value(sqlite3_value *v)
{
	switch (sqlite3_value_type(v)) {
	case SQLITE_NULL:
		return dbc_null();
	case SQLITE_INTEGER:
		return dbc_int(sqlite3_value_int64(v));
	case SQLITE_FLOAT:
		return dbc_float(sqlite3_value_double(v));
	default: {
		const char *s = (const char *)sqlite3_value_text(v);
		return dbc_text(s ? s : "");
	}
	}
}

/* Where argument k is in argv: bound arguments come in argument order. */
static int k_argv(int idx_num, int k)
{
	int at = 0;
	for (int j = 0; j < k; j++)
		if (idx_num & (1 << j))
			at++;
	return at;
}

static int tvf_filter(sqlite3_vtab_cursor *base, int idx_num, const char *idx_str, int argc,
                      sqlite3_value **argv)
{
	(void)idx_str, (void)argc;
	tvf_cursor *cur = (tvf_cursor *)base;
	tvf_vtab *vt = (tvf_vtab *)base->pVtab;
	tvf_aux *aux = vt->aux;
	cursor_reset(cur);

	sqldbc_call_open(&cur->call, aux->conn);
	cur->live = true;

	/* Omitted trailing arguments are absent; an omitted middle one is NULL. */
	int given = 0, next = 0;
	for (int k = 0; k < aux->nargs; k++) {
		if (idx_num & (1 << k)) {
			cur->args[k] = to_value(argv[next++]);
			given = k + 1;
		} else {
			cur->args[k] = dbc_null();
		}
	}
	/* the argument text must outlive argv: copy it into the arena. Text
	 * with a NUL byte is refused, as sqldbc_arg_text refuses it for the
	 * scalar functions: the core reads C strings and would see only the
	 * part before the NUL (a key, a document, a name cut short). */
	for (int k = 0; k < given; k++) {
		if (cur->args[k].type != DBC_TEXT)
			continue;
		if ((size_t)sqlite3_value_bytes(argv[k_argv(idx_num, k)]) != strlen(cur->args[k].s)) {
			dbc_error(&cur->call.ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			          "argument \"%s\" contains a NUL character", aux->fn->args[k].name);
			break;
		}
		cur->args[k].s = dbc_strdup(&cur->call.ctx, cur->args[k].s);
	}
	cur->argc = given;

	int rc;
	if (cur->call.ctx.failed)
		rc = DBC_ERROR;
	else if (aux->fn->engines & DBC_ON_CORE_ENTRY) {
		/* the core decodes and checks the arguments (bit k of idx_num:
		 * argument k was given) and gets them all */
		dbc_value decoded[DBC_API_MAX_ARGS];
		rc = dbc_api_args(&cur->call.ctx, aux->fn, (unsigned)idx_num, cur->args, decoded);
		if (rc == DBC_OK)
			rc = aux->produce(&cur->call.ctx, aux->fn->nargs, decoded, &cur->rows);
	} else
		rc = aux->produce(&cur->call.ctx, given, cur->args, &cur->rows);
	/* the rows are materialised: the call's SQL is over */
	if (sqldbc_call_settle(&cur->call, rc != DBC_OK || cur->call.ctx.failed) != DBC_OK)
		rc = DBC_ERROR;
	if (rc != DBC_OK || cur->call.ctx.failed) {
		sqlite3_free(vt->base.zErrMsg);
		vt->base.zErrMsg = sqldbc_error_text(&cur->call.ctx);
		int code = sqldbc_result_code(cur->call.ctx.sqlstate);
		cursor_reset(cur);
		return code;
	}
	return SQLITE_OK;
}

static int tvf_next(sqlite3_vtab_cursor *base)
{
	((tvf_cursor *)base)->row++;
	return SQLITE_OK;
}

static int tvf_eof(sqlite3_vtab_cursor *base)
{
	tvf_cursor *cur = (tvf_cursor *)base;
	return !cur->live || cur->row >= cur->rows.nrows;
}

static void result_value(sqlite3_context *c, const dbc_value *v)
{
	switch (v->type) {
	case DBC_NULL:
		sqlite3_result_null(c);
		break;
	case DBC_INT:
	case DBC_BOOL:
		sqlite3_result_int64(c, v->i);
		break;
	case DBC_FLOAT:
		sqlite3_result_double(c, v->f);
		break;
	case DBC_TEXT:
		sqlite3_result_text(c, v->s, -1, SQLITE_TRANSIENT);
		break;
	}
}

static int tvf_column(sqlite3_vtab_cursor *base, sqlite3_context *c, int col)
{
	tvf_cursor *cur = (tvf_cursor *)base;
	tvf_aux *aux = ((tvf_vtab *)base->pVtab)->aux;
	if (col < aux->ncol)
		result_value(c, &cur->rows.cells[(size_t)cur->row * (size_t)aux->ncol + (size_t)col]);
	else if (col - aux->ncol < cur->argc)
		result_value(c, &cur->args[col - aux->ncol]);
	else
		sqlite3_result_null(c);
	return SQLITE_OK;
}

static int tvf_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid)
{
	*rowid = ((tvf_cursor *)base)->row + 1;
	return SQLITE_OK;
}

static const sqlite3_module tvf_module = {
    .iVersion = 0,
    .xCreate = NULL, /* eponymous only: no CREATE VIRTUAL TABLE */
    .xConnect = tvf_connect,
    .xBestIndex = tvf_best_index,
    .xDisconnect = tvf_disconnect,
    .xDestroy = tvf_disconnect,
    .xOpen = tvf_open,
    .xClose = tvf_close,
    .xFilter = tvf_filter,
    .xNext = tvf_next,
    .xEof = tvf_eof,
    .xColumn = tvf_column,
    .xRowid = tvf_rowid,
};

/* The module's data goes, and with it its hold on the connection state. */
static void aux_free(void *p)
{
	tvf_aux *aux = p;
	sqldbc_conn_release(aux->conn);
	sqlite3_free(aux);
}

int sqldbc_register_tvf(sqlite3 *db, sqldbc_conn *conn, const dbc_api_fn *fn, sqldbc_tvf_fn produce,
                        char **errmsg)
{
	tvf_aux *aux;
	int rc;
	/* the arguments are bits of idxNum and slots of a cursor's args */
	if (fn->nargs > 8) {
		*errmsg = sqlite3_mprintf("dbcare: %s declares more than 8 arguments", fn->name);
		return SQLITE_ERROR;
	}
	aux = sqlite3_malloc(sizeof(*aux));
	if (!aux)
		return SQLITE_NOMEM;
	aux->fn = fn;
	aux->produce = produce;
	aux->conn = conn;
	aux->ncol = fn->ncolumns;
	aux->nargs = fn->nargs;
	sqldbc_conn_hold(conn);
	/* SQLite frees aux with the module, also when this fails */
	rc = sqlite3_create_module_v2(db, fn->name, &tvf_module, aux, aux_free);
	if (rc != SQLITE_OK) {
		*errmsg = sqlite3_mprintf("dbcare: could not register table-valued function %s: %s",
		                          fn->name, sqlite3_errmsg(db));
		return rc;
	}
	return SQLITE_OK;
}
