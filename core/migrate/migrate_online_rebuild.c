/*
 * migrate_online_rebuild.c — `dbcare migrate --online`'s recipe for a
 * table rebuild written in plain SQL (docs/migrations.md, "Online"), on an
 * engine whose ALTER TABLE cannot make the change (dbc_online_rebuild):
 * four statements in a row, as dbmigrate_rebuild_script writes them,
 *   CREATE TABLE new (...);
 *   INSERT INTO new (columns) SELECT list FROM old;
 *   DROP TABLE old;
 *   ALTER TABLE new RENAME TO old;
 * on an old table holding rows, become
 *   1. one transaction: the new table as written, and triggers on the old
 *      one copying each row written from then on (its copy replaced);
 *   2. the rows copied in batches, one short write transaction each, rows
 *      with a copy already (the triggers') passed over; passes until one
 *      copies none;
 *   3. the copy checked whole (each old row's copy there, no other), by a
 *      read outside a transaction: writes go on;
 *   4. one short transaction, the swap: the triggers dropped, the rows
 *      counted (as many in both), the DROP and the RENAME as written,
 *      every foreign key checked (the rebuild's own check,
 *      dbc_dialect.rebuild_check); the statements after them (the
 *      indexes, triggers and views made again) run in the same
 *      transaction, as written; so do the views and triggers the migration
 *      drops before the CREATE TABLE, before the DROP (where the
 *      statements around the four may stand: migrate_online_frame.c).
 * Until the swap commits, `dbcare rollback` drops the triggers and the new
 * table; after it, a resumed run finishes (the swap has no undo). Any
 * other form (a column list left out, a WHERE or a join in the copy, a
 * qualified name) runs as written.
 */
#include "migrate/migrate_online.h"
#include "schema/ddl_lex.h"

#include <string.h>
#include <strings.h>

/* The next token of p (stopping at stop: TK_END there). */
static dbc_token next(const char **p, const char *stop)
{
	dbc_token t = dbc_lex_next(p);
	if (t.start >= stop)
		t.kind = TK_END;
	return t;
}

static bool is_name(dbc_token t)
{
	return t.kind == TK_WORD || t.kind == TK_QIDENT;
}

/* A name token, unqualified (not followed by '.'), as its identifier. */
static char *name_at(dbc_ctx *ctx, const char **p, const char *stop)
{
	dbc_token t = next(p, stop);
	const char *peek = *p;
	if (!is_name(t) || dbc_lex_is_punct(next(&peek, stop), '.'))
		return NULL;
	return dbc_lex_ident(ctx, t);
}

/* Whether the statement's words are words[0], words[1], ... (NULL ends);
 * *p past them. */
static bool words(const char **p, const char *stop, const char *const *w)
{
	for (; *w; w++)
		if (!dbc_lex_is_word(next(p, stop), *w))
			return false;
	return true;
}

static bool at_end(const char **p, const char *stop)
{
	return next(p, stop).kind == TK_END;
}

static bool same(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
}

/* INSERT INTO new (columns) SELECT list FROM old, and nothing more. */
static bool read_copy(dbc_ctx *ctx, const dbc_stmt *st, dbc_online_rebuild_group *g)
{
	const char *stop, *p = st->text;
	static const char *const head[] = {"INSERT", "INTO", NULL};
	dbc_online_body_end(st->text, st->len, &stop);
	if (!words(&p, stop, head) || !same(name_at(ctx, &p, stop), g->new_table) ||
	    !dbc_lex_is_punct(next(&p, stop), '('))
		return false;
	const char *cols = p;
	dbc_lex_skip_paren(&p);
	if (p > stop || p - 1 <= cols)
		return false;
	g->columns = dbc_strndup(ctx, cols, (size_t)(p - 1 - cols));
	if (!dbc_lex_is_word(next(&p, stop), "SELECT"))
		return false;
	const char *list = dbc_lex_skip_space(p), *list_end = NULL;
	for (bool first = true;; first = false) {
		dbc_token t = next(&p, stop);
		if (t.kind == TK_END)
			return false;
		if (first && (dbc_lex_is_word(t, "DISTINCT") || dbc_lex_is_word(t, "ALL")))
			return false;
		if (dbc_lex_is_punct(t, '('))
			dbc_lex_skip_paren(&p);
		else if (dbc_lex_is_word(t, "FROM")) {
			list_end = t.start;
			break;
		}
	}
	while (list_end > list && strchr(" \t\r\n", list_end[-1]))
		list_end--;
	g->select_list = list_end > list ? dbc_strndup(ctx, list, (size_t)(list_end - list)) : NULL;
	g->old_table = name_at(ctx, &p, stop);
	return g->columns && g->select_list && g->old_table && at_end(&p, stop) &&
	       !same(g->old_table, g->new_table);
}

bool dbc_online_rebuild_match(dbc_ctx *ctx, const dbc_script_info *info, int s,
                              dbc_online_rebuild_group *g)
{
	static const char *const create[] = {"CREATE", "TABLE", NULL};
	static const char *const drop[] = {"DROP", "TABLE", NULL};
	static const char *const alter[] = {"ALTER", "TABLE", NULL};
	static const char *const rename[] = {"RENAME", "TO", NULL};
	memset(g, 0, sizeof *g);
	if (s + 3 >= info->nstmts)
		return false;
	const dbc_stmt *st = &info->stmts[s];
	const char *stop, *p = st->text;
	dbc_online_body_end(st->text, st->len, &stop);
	if (!words(&p, stop, create) || !(g->new_table = name_at(ctx, &p, stop)) ||
	    !dbc_lex_is_punct(next(&p, stop), '('))
		return false;
	g->create = st;
	if (!read_copy(ctx, &info->stmts[s + 1], g))
		return false;
	st = &info->stmts[s + 2];
	p = st->text;
	dbc_online_body_end(st->text, st->len, &stop);
	const char *peek = p;
	if (!words(&p, stop, drop))
		return false;
	peek = p;
	static const char *const if_exists[] = {"IF", "EXISTS", NULL};
	if (!words(&peek, stop, if_exists))
		peek = p;
	p = peek;
	if (!same(name_at(ctx, &p, stop), g->old_table) || !at_end(&p, stop))
		return false;
	st = &info->stmts[s + 3];
	p = st->text;
	dbc_online_body_end(st->text, st->len, &stop);
	return words(&p, stop, alter) && same(name_at(ctx, &p, stop), g->new_table) &&
	       words(&p, stop, rename) && same(name_at(ctx, &p, stop), g->old_table) &&
	       at_end(&p, stop);
}

/* The statement as written, without its ';'. */
static char *as_written(dbc_ctx *ctx, const dbc_stmt *st)
{
	const char *end;
	return dbc_strndup(ctx, st->text, dbc_online_body_end(st->text, st->len, &end));
}

int dbc_online_table_rebuild(online_out *o, const dbc_online_rebuild_group *g,
                             const dbc_stmt *stmts)
{
	const dbc_stmt *st = &stmts[g->at];
	dbc_ctx *ctx = o->ctx;
	const dbc_host *h = ctx->host;
	const dbc_dialect *d = h->dialect;
	const dbc_online_rebuild *rb = d->online_rebuild;
	char *old = h->quote_ident(ctx, g->old_table), *new = h->quote_ident(ctx, g->new_table);
	if (!old || !new)
		return DBC_ERROR;
	static const char *const kinds[3] = {"insert", "update", "delete"};
	const char *formats[3] = {rb->capture_insert, rb->capture_update, rb->capture_delete};
	static const char *const purposes[3] = {
	    "a trigger copying each row inserted into the old table from now on",
	    "a trigger copying each row updated in the old table again",
	    "a trigger deleting the copy of each row deleted from the old table"};
	char *trigger[3];
	for (int k = 0; k < 3; k++)
		if (!(trigger[k] = h->quote_ident(
		          ctx, dbc_printf(ctx, "dbcare_online_%s_%s", g->old_table, kinds[k]))))
			return DBC_ERROR;
	o->rel = old;

	dbc_online_new_unit(o);
	o->line = st[0].line;
	o->undo = dbc_printf(ctx, "DROP TABLE IF EXISTS %s", new);
	if (dbc_online_step(o, "transaction", NULL, as_written(ctx, &st[0]),
	                    "the new table, as written") != DBC_OK)
		return DBC_ERROR;
	o->line = st[1].line;
	for (int k = 0; k < 3; k++) {
		/* undone first, newest first: the old table's writes must not
		 * reach for a new table that is gone */
		o->undo = dbc_printf(ctx, "DROP TRIGGER IF EXISTS %s", trigger[k]);
		if (dbc_online_step(
		        o, "transaction", NULL,
		        dbc_printf(ctx, formats[k], trigger[k], old, new, g->columns, g->select_list),
		        purposes[k]) != DBC_OK)
			return DBC_ERROR;
	}

	dbc_online_new_unit(o);
	if (dbc_online_step(o, "batches", NULL,
	                    dbc_printf(ctx, rb->copy_batch, old, new, g->columns, g->select_list,
	                               DBC_ONLINE_BATCH_ROWS),
	                    "the rows copied, a batch of rowids a transaction") != DBC_OK)
		return DBC_ERROR;

	/* the copy proved whole by a read, writes going on (the triggers keep
	 * it so), before the swap counts the rows again under its lock */
	dbc_online_new_unit(o);
	if (dbc_online_step(o, "outside", NULL, dbc_printf(ctx, rb->copy_check, old, new),
	                    "the copy checked whole: each old row's copy there, no other") != DBC_OK)
		return DBC_ERROR;

	dbc_online_new_unit(o);
	o->line = st[2].line;
	o->undo = NULL; /* the swap commits whole; after it a resumed run finishes */
	for (int k = 0; k < 3; k++)
		if (dbc_online_step(o, "transaction", NULL, dbc_printf(ctx, "DROP TRIGGER %s", trigger[k]),
		                    "the swap: a copying trigger dropped") != DBC_OK)
			return DBC_ERROR;
	if (dbc_online_step(o, "transaction", NULL, dbc_printf(ctx, rb->copy_count, old, new),
	                    "the swap: as many rows in the copy") != DBC_OK)
		return DBC_ERROR;
	/* the views and triggers the migration drops first, dropped here: they
	 * worked through the copy (migrate_online_frame.c) */
	for (int k = g->first; k < g->at; k++) {
		o->line = stmts[k].line;
		if (dbc_online_step(o, "transaction", NULL, as_written(ctx, &stmts[k]),
		                    "the swap: dropped before the old table, as written") != DBC_OK)
			return DBC_ERROR;
	}
	o->line = st[2].line;
	if (dbc_online_step(o, "transaction", NULL, as_written(ctx, &st[2]),
	                    "the swap: the old table dropped, as written") != DBC_OK)
		return DBC_ERROR;
	o->line = st[3].line;
	if (dbc_online_step(o, "transaction", NULL, as_written(ctx, &st[3]),
	                    "the swap: the new table renamed, as written") != DBC_OK ||
	    dbc_online_step(o, "transaction", NULL, d->rebuild_check,
	                    "the swap: every foreign key checked") != DBC_OK)
		return DBC_ERROR;
	/* the statements after it (indexes, triggers, views made again) join
	 * the swap's transaction, as written */
	o->unit_open = true;
	return DBC_OK;
}
