/*
 * migrate_online_type.c — `dbcare migrate --online`'s recipe for ALTER
 * TABLE ... ALTER COLUMN c [SET DATA] TYPE t [COLLATE x] [USING e]
 * (docs/migrations.md, "Online"), the engine's SQL in its dialect
 * (dbc_online_shadow):
 *   1. one transaction: what keeps the column from being changed this way
 *      refused (the dialect's refuse: objects using it, its place, ...);
 *      a shadow column of the new type added last, nullable; a row
 *      trigger that sets it from the row (USING's expression, or the
 *      column) on every INSERT and UPDATE from then on (without USING,
 *      a bare assignment: every client write pays for the trigger);
 *   2. the rows written before filled in batches (the same ranges of
 *      pages as the NOT NULL backfill): a row updated meanwhile was filled
 *      by the trigger, so passes over the table end when one fills none;
 *   3. when the old column is NOT NULL: CHECK (shadow IS NOT NULL) NOT
 *      VALID, then VALIDATE (writes go on);
 *   4. a copy on the shadow of each index using the column, built
 *      CONCURRENTLY (an invalid one a killed build left dropped first);
 *   5. one short transaction under the exclusive lock: refuse again, the
 *      old column's default, NOT NULL (proved by the check: no scan),
 *      statistics target, options, comment and column grants given to the
 *      shadow, the trigger and its function dropped; what uses the old
 *      column dropped (views, policies, triggers, constraints, indexes),
 *      the old column dropped, the shadow renamed to its name, and what
 *      was dropped made again by its definition, which now names the new
 *      column: the index copies renamed (keys added again USING them),
 *      constraints added again NOT VALID (the valid ones recorded);
 *   6. those constraints validated (writes go on).
 * The shadow is added last: the column ends as the table's last one
 * (PostgreSQL has no other place for a new column). For the table's last
 * column the schema is the one the statement as written gives (the
 * fingerprint of both is equal); another column differs in its place
 * only. Until step 5 commits, `dbcare rollback` drops the trigger, its
 * function and the shadow (its index copies and the check go with it);
 * after it, only a resumed run can finish (steps 5 and 6 have no undo).
 */
#include "migrate/migrate_online.h"
#include "schema/ddl_lex.h"

#include <string.h>

/* The words after TYPE: the type (with its COLLATE) and USING's
 * expression (NULL when there is none); false when the statement is not
 * ALTER TABLE name ALTER [COLUMN] name [SET DATA] TYPE ... as expected. */
static bool read_alter_type(dbc_ctx *ctx, const dbc_stmt *st, char **type, char **using)
{
	const char *stop, *p = st->text;
	dbc_online_body_end(st->text, st->len, &stop);
	dbc_token t;
	/* the ALTER of the action, past ALTER TABLE [ONLY | IF EXISTS] name */
	for (int i = 0;; i++) {
		t = dbc_lex_next(&p);
		if (t.kind == TK_END || t.start >= stop)
			return false;
		if (i >= 3 && dbc_lex_is_word(t, "ALTER"))
			break;
	}
	t = dbc_lex_next(&p);
	if (dbc_lex_is_word(t, "COLUMN"))
		t = dbc_lex_next(&p);
	if (t.kind != TK_WORD && t.kind != TK_QIDENT)
		return false;
	t = dbc_lex_next(&p);
	if (dbc_lex_is_word(t, "SET")) {
		if (!dbc_lex_is_word(dbc_lex_next(&p), "DATA"))
			return false;
		t = dbc_lex_next(&p);
	}
	if (!dbc_lex_is_word(t, "TYPE"))
		return false;
	const char *from = dbc_lex_skip_space(p), *type_end = stop;
	*using = NULL;
	for (;;) {
		t = dbc_lex_next(&p);
		if (t.kind == TK_END || t.start >= stop)
			break;
		if (dbc_lex_is_punct(t, ',')) /* a second action */
			return false;
		if (dbc_lex_is_punct(t, '('))
			dbc_lex_skip_paren_in(&p, ctx->host->dialect->brackets_quote_names);
		if (dbc_lex_is_word(t, "USING")) {
			type_end = t.start;
			const char *e = dbc_lex_skip_space(p);
			if (e >= stop)
				return false;
			*using = dbc_strndup(ctx, e, (size_t)(stop - e));
			break;
		}
	}
	while (type_end > from && (type_end[-1] == ' ' || type_end[-1] == '\t' ||
	                           type_end[-1] == '\n' || type_end[-1] == '\r'))
		type_end--;
	*type = type_end > from ? dbc_strndup(ctx, from, (size_t)(type_end - from)) : NULL;
	return *type != NULL;
}

/* prefix + column, quoted */
static char *named(dbc_ctx *ctx, const char *prefix, const char *column)
{
	return ctx->host->quote_ident(ctx, dbc_printf(ctx, "%s%s", prefix, column));
}

/* The swap (sh->swap: its names as literals, lits = table, column, shadow,
 * check) in one short transaction, then the VALIDATE of the constraints
 * it added again NOT VALID, which it recorded under its own step, negated.
 * Neither has an undo: the old column is gone, a resumed run finishes. */
static int swap_steps(online_out *o, const char *fn, const char *trigger_name, const char *refuse,
                      const char *const lits[4])
{
	dbc_ctx *ctx = o->ctx;
	const dbc_host *h = ctx->host;
	const dbc_dialect *d = h->dialect;
	const dbc_online_shadow *sh = d->online_shadow;
	dbc_online_new_unit(o);
	char *ver = h->quote_literal(ctx, o->version);
	int marker = -(o->step + 1); /* the swap's own step */
	char *swap = ver && fn ? dbc_printf(ctx, sh->swap, lits[0], lits[1], lits[2],
	                                    h->quote_literal(ctx, trigger_name),
	                                    h->quote_literal(ctx, fn), lits[3], refuse, ver, marker)
	                       : NULL;
	o->undo = NULL;
	if (!swap || dbc_online_step(o, "transaction", d->exclusive_lock,
	                             dbc_printf(ctx, sh->anonymous_block, h->quote_literal(ctx, swap)),
	                             "the swap: the shadow column takes the old one's place, what "
	                             "used the old column made again on it") != DBC_OK)
		return DBC_ERROR;
	dbc_online_new_unit(o);
	o->undo = NULL;
	return dbc_online_step(
	    o, "generated", d->lint_locks[DBC_LOP_VALIDATE],
	    dbc_printf(ctx, sh->carried_validate, ver, marker),
	    "the constraints the swap added again NOT VALID validated, writes go on");
}

int dbc_online_alter_type(online_out *o, const dbc_lint_action *a, const dbc_stmt *st)
{
	dbc_ctx *ctx = o->ctx;
	const dbc_host *h = ctx->host;
	const dbc_dialect *d = h->dialect;
	const dbc_online_shadow *sh = d->online_shadow;
	const char *ax = d->exclusive_lock;
	char *type = NULL, *using = NULL;
	if (!read_alter_type(ctx, st, &type, &using))
		return dbc_online_as_written(o, st, false, d->lint_locks[a->op]);
	const char *col = a->column;
	char *t = dbc_online_table_sql(ctx, a), *c = h->quote_ident(ctx, col);
	char *tab = dbc_online_name_literal(ctx, a->schema, a->table);
	char *col_lit = h->quote_literal(ctx, col);
	char *shadow_name = dbc_printf(ctx, "dbcare_online_new_%s", col);
	char *shadow = named(ctx, "dbcare_online_new_", col);
	char *shadow_lit = h->quote_literal(ctx, shadow_name);
	char *check_name = dbc_printf(ctx, "dbcare_online_nn_%s", col);
	char *check_lit = h->quote_literal(ctx, check_name);
	/* '~' sorts after every letter: the trigger fires after the table's
	 * other BEFORE triggers, and so sees the row they leave */
	char *trigger_name = dbc_printf(ctx, "~dbcare_online_%s", col);
	char *trigger = h->quote_ident(ctx, trigger_name);
	char *fn = named(ctx, dbc_printf(ctx, "dbcare_online_%s_", a->table), col);
	if (fn && a->schema)
		fn = dbc_printf(ctx, "%s.%s", h->quote_ident(ctx, a->schema), fn);
	char *value = using ? dbc_printf(ctx, "(%s)", using) : c;
	if (!t || !c || !tab || !col_lit || !shadow || !shadow_lit || !check_lit || !trigger || !fn ||
	    !value)
		return DBC_ERROR;
	char *refuse = dbc_printf(ctx, sh->refuse, tab, col_lit, shadow_lit);
	char *row_value =
	    using ? dbc_printf(ctx, sh->sync_using, value, h->quote_ident(ctx, a->table)) : NULL;
	char *body = !using      ? dbc_printf(ctx, sh->sync_column_body, shadow, c)
	             : row_value ? dbc_printf(ctx, sh->sync_body, shadow, row_value)
	                         : NULL;
	if (!refuse || !body)
		return DBC_ERROR;

	dbc_online_new_unit(o);
	if (dbc_online_step(o, "transaction", ax,
	                    dbc_printf(ctx, sh->anonymous_block,
	                               h->quote_literal(ctx, dbc_printf(ctx, "BEGIN %s END", refuse))),
	                    "what keeps the column from a shadow column, refused") != DBC_OK)
		return DBC_ERROR;
	o->undo = dbc_printf(ctx, "ALTER TABLE %s DROP COLUMN IF EXISTS %s", t, shadow);
	if (dbc_online_step(o, "transaction", ax,
	                    dbc_printf(ctx, "ALTER TABLE %s ADD COLUMN %s %s", t, shadow, type),
	                    "a shadow column of the new type, nullable") != DBC_OK)
		return DBC_ERROR;
	o->undo = dbc_printf(ctx, "DROP FUNCTION IF EXISTS %s()", fn);
	if (dbc_online_step(o, "transaction", ax,
	                    dbc_printf(ctx, sh->sync_function, fn, h->quote_literal(ctx, body),
	                               using ? sh->sync_pinned : ""),
	                    "the function keeping the shadow column in step") != DBC_OK ||
	    dbc_online_step(o, "transaction", ax, dbc_printf(ctx, sh->sync_revoke, fn),
	                    "its EXECUTE taken from every role") != DBC_OK)
		return DBC_ERROR;
	o->undo = dbc_printf(ctx, "DROP TRIGGER IF EXISTS %s ON %s", trigger, t);
	if (dbc_online_step(o, "transaction", ax, dbc_printf(ctx, sh->sync_trigger, trigger, t, fn),
	                    "its trigger: every row written from now on in step") != DBC_OK ||
	    dbc_online_step(o, "transaction", ax, dbc_printf(ctx, sh->sync_always, trigger, t),
	                    "the trigger fired for replication's writes too") != DBC_OK)
		return DBC_ERROR;

	dbc_online_new_unit(o);
	if (dbc_online_step(o, "batches", NULL,
	                    dbc_printf(ctx, d->online_backfill_range, DBC_ONLINE_RANGE_PAGES, tab, t,
	                               shadow, value, dbc_printf(ctx, sh->unfilled, shadow, value)),
	                    "the existing rows filled, a range of pages at a time") != DBC_OK)
		return DBC_ERROR;

	dbc_online_new_unit(o);
	if (dbc_online_step(
	        o, "generated", ax, dbc_printf(ctx, sh->not_null, tab, col_lit, shadow_lit, check_lit),
	        "the old column NOT NULL: a CHECK (shadow IS NOT NULL), NOT VALID") != DBC_OK)
		return DBC_ERROR;
	dbc_online_new_unit(o);
	if (dbc_online_step(o, "generated", d->lint_locks[DBC_LOP_VALIDATE],
	                    dbc_printf(ctx, sh->validate, tab, check_lit),
	                    "the CHECK validated, writes go on") != DBC_OK)
		return DBC_ERROR;

	/* the shadow column's copies of the indexes: gone with it on undo */
	dbc_online_new_unit(o);
	if (dbc_online_step(o, "generated", NULL,
	                    dbc_printf(ctx, sh->carried_index_build, tab, col_lit, shadow_lit),
	                    "the column's indexes copied on the shadow column, CONCURRENTLY") != DBC_OK)
		return DBC_ERROR;

	return swap_steps(o, dbc_printf(ctx, "%s()", fn), trigger_name, refuse,
	                  (const char *[]){tab, col_lit, shadow_lit, check_lit});
}
