/*
 * pg/host/guard.c — the guarded runner under the host's SQL: a body run so that
 * an ERROR inside it becomes the ctx error exactly where rolling back the
 * core's innermost savepoint undoes what failed (placed at its line and
 * column in the SQL text), and ends the call otherwise; migration scripts run
 * through it statement by statement.
 */
#include "glue.h"
#include "call_private.h"

#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "utils/memutils.h"

#include <ctype.h>

/* 1-based line of byte offset off in sql. */
static int line_at(const char *sql, int off)
{
	int line = 1;
	for (int i = 0; i < off && sql[i]; i++)
		if (sql[i] == '\n')
			line++;
	return line;
}

/* Byte offset of the first token of a statement: skips blanks and comments
 * that the grammar counts as part of it. */
static int skip_blanks(const char *sql, int off)
{
	for (;;) {
		while (sql[off] && isspace((unsigned char)sql[off]))
			off++;
		if (sql[off] == '-' && sql[off + 1] == '-') {
			while (sql[off] && sql[off] != '\n')
				off++;
		} else if (sql[off] == '/' && sql[off + 1] == '*') {
			const char *end = strstr(sql + off + 2, "*/");
			if (!end)
				return off;
			off = (int)(end - sql) + 2;
		} else {
			return off;
		}
	}
}

/* Byte offset of the 1-based character position pos within s. */
static int byte_of_char(const char *s, int pos)
{
	int off = 0;
	for (int c = 1; c < pos && s[off]; c++)
		off += pg_mblen(s + off);
	return off;
}

static void fill_error(pgdbc_call *call, guard_state *gs, ErrorData *ed)
{
	dbc_ctx *ctx = &call->ctx;
	const char *state = unpack_sql_state(ed->sqlerrcode);
	dbc_error_clear(ctx);
	ctx->failed = true;
	memcpy(ctx->sqlstate, state, 5);
	ctx->sqlstate[5] = '\0';
	ctx->message = dbc_strdup(ctx, ed->message ? ed->message : "unknown error");
	ctx->detail = dbc_strdup(ctx, ed->detail);
	ctx->hint = dbc_strdup(ctx, ed->hint);
	ctx->context = dbc_strdup(ctx, ed->context);
	if (!gs->sql)
		return;
	if (ed->cursorpos > 0 && gs->stmt) {
		/* cursorpos counts characters of the statement SPI saw */
		int off = gs->stmt_offset + byte_of_char(gs->stmt, ed->cursorpos);
		ctx->error_cursor = pg_mbstrlen_with_len(gs->sql, off) + 1;
		ctx->error_line = line_at(gs->sql, off);
	} else if (ed->cursorpos > 0) {
		int off = byte_of_char(gs->sql, ed->cursorpos);
		ctx->error_cursor = ed->cursorpos;
		ctx->error_line = line_at(gs->sql, off);
	} else if (ed->internalpos > 0 && ed->internalquery && gs->stmt &&
	           strcmp(ed->internalquery, gs->stmt) == 0) {
		int off = gs->stmt_offset + byte_of_char(gs->stmt, ed->internalpos);
		ctx->error_cursor = pg_mbstrlen_with_len(gs->sql, off) + 1;
		ctx->error_line = line_at(gs->sql, off);
	} else {
		/* a run-time error: the line where the failing statement starts */
		ctx->error_line = line_at(gs->sql, skip_blanks(gs->sql, gs->stmt_offset));
	}
}

/*
 * Runs body; an ERROR inside it is caught only where rolling back the
 * innermost savepoint the core has open undoes exactly what failed: that
 * subtransaction is rolled back at once (the core's later rollback of that
 * level is a no-op) and the error lands in the ctx. Otherwise the error goes
 * on, after the call's subtransactions are rolled back (escape):
 *  - a cancel or statement timeout (57014) always: it ends the call, as it
 *    ends a PL/pgSQL block whatever its EXCEPTION clauses say;
 *  - with no savepoint open: the transaction aborts anyway;
 *  - when the innermost savepoint was opened before an enclosing guarded body
 *    (a row callback that queries): rolling it back would free what that
 *    body still uses (SPI's tuple table), so the enclosing body's frame
 *    decides.
 */
int pgdbc_run_guarded(pgdbc_call *call, guard_state *gs, guarded_body body, void *arg)
{
	volatile int rc = DBC_OK;
	MemoryContext cxt = CurrentMemoryContext;
	int base = call->nsubxacts;
	int outer_floor = call->guard_floor;

	call->guard_floor = base;
	PG_TRY();
	{
		body(call, gs, arg);
		if (call->ctx.failed)
			rc = DBC_ERROR;
	}
	PG_CATCH();
	{
		ErrorData *ed;
		call->guard_floor = outer_floor;
		ed = pgdbc_take_error(call);
		if (ed->sqlerrcode == ERRCODE_QUERY_CANCELED || base == 0 || call->nsubxacts < base)
			pgdbc_escape(call, ed);
		if (base <= outer_floor)
			ReThrowError(ed); /* the enclosing body's frame rolls back its savepoint */
		pgdbc_end_subxacts(call, base - 1, false);
		fill_error(call, gs, ed);
		FreeErrorData(ed);
		rc = DBC_ERROR;
	}
	PG_END_TRY();
	call->guard_floor = outer_floor;
	MemoryContextSwitchTo(cxt);
	return rc;
}

void pgdbc_check_spi(int ret, const char *stmt)
{
	if (ret == SPI_ERROR_TRANSACTION)
		ereport(ERROR, (errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
		                errmsg("transaction control statements are not allowed here"),
		                errdetail("Statement: %s", stmt)));
	if (ret < 0)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
		                errmsg("SPI failed: %s", SPI_result_code_string(ret))));
}

/* Runs one statement's text [loc, loc + len) of gs->sql through SPI. The text
 * after the previous ';' starts with its line break: it is dropped, so error
 * contexts quote the statement itself. */
static void exec_statement(guard_state *gs, int loc, int len)
{
	char *stmt;
	while (len > 0 && isspace((unsigned char)gs->sql[loc])) {
		loc++;
		len--;
	}
	stmt = pnstrdup(gs->sql + loc, len);
	gs->stmt_offset = loc;
	gs->stmt = stmt;
	CHECK_FOR_INTERRUPTS();
	pgdbc_check_spi(SPI_execute(stmt, false, 0), stmt);
	SPI_freetuptable(SPI_tuptable);
	gs->stmt = NULL;
	pfree(stmt);
}

/* Length of sql without a final ';' and the blanks around it when no other
 * ';' is left in it: then it is at most one statement. -1 otherwise. */
static int single_statement_len(const char *sql)
{
	int len = (int)strlen(sql);
	while (len > 0 && isspace((unsigned char)sql[len - 1]))
		len--;
	if (len > 0 && sql[len - 1] == ';')
		len--;
	while (len > 0 && isspace((unsigned char)sql[len - 1]))
		len--;
	return memchr(sql, ';', len) ? -1 : len;
}

static void exec_body(pgdbc_call *call, guard_state *gs, void *arg)
{
	int single = single_statement_len(gs->sql);
	MemoryContext parse_cxt, old;
	List *stmts;
	ListCell *lc;
	(void)call;
	(void)arg;
	/* A migration runner sends one statement at a time: SPI parses it, and a
	 * parse here first cost as much again per statement. */
	if (single >= 0) {
		exec_statement(gs, 0, single);
		return;
	}
	/* Several statements: one at a time, so a run-time error knows its
	 * statement's line. The parse trees are only needed for the offsets. */
	parse_cxt = AllocSetContextCreate(CurrentMemoryContext, "dbcare statement split",
	                                  ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(parse_cxt);
	stmts = raw_parser(gs->sql, RAW_PARSE_DEFAULT);
	MemoryContextSwitchTo(old);
	foreach (lc, stmts) {
		RawStmt *rs = lfirst_node(RawStmt, lc);
		int loc = rs->stmt_location > 0 ? rs->stmt_location : 0;
		int len = rs->stmt_len > 0 ? rs->stmt_len : (int)strlen(gs->sql + loc);
		exec_statement(gs, loc, len);
	}
	MemoryContextDelete(parse_cxt);
}

/* Runs a migration script (the core's only use of exec). */
int pgdbc_host_exec(dbc_ctx *ctx, const char *sql)
{
	pgdbc_call *call = ctx->host_data;
	guard_state gs = {sql, 0, NULL};
	return pgdbc_run_guarded(call, &gs, exec_body, NULL);
}

typedef struct plain_args {
	void (*fn)(void *);
	void *arg;
} plain_args;

static void plain_body(pgdbc_call *call, guard_state *gs, void *arg)
{
	plain_args *pa = arg;
	(void)call;
	(void)gs;
	pa->fn(pa->arg);
}

int pgdbc_guarded(dbc_ctx *ctx, void (*fn)(void *), void *arg)
{
	guard_state gs = {NULL, 0, NULL};
	plain_args pa = {fn, arg};
	return pgdbc_run_guarded(ctx->host_data, &gs, plain_body, &pa);
}
