/*
 * lint_keys.c — what the lint knows of a DROP TABLE beyond the table: whether
 * the migration copied its rows first (a rebuild: new table, INSERT ...
 * SELECT ... FROM the old one, DROP TABLE, RENAME), so its data is not lost;
 * and whether children reference it whose ON DELETE actions would delete or
 * change their rows while foreign keys are enforced (SQLite deletes a
 * dropped table's rows first), the hazard of a rebuild run with foreign keys
 * on (docs/lint.md, drop-table-children).
 */
#include "migrate/lint.h"
#include "schema/ddl_lex.h"

#include <strings.h>

int dbc_lint_note_copy(dbc_ctx *ctx, const char *text, size_t len, dbc_strlist *copied)
{
	char *s = dbc_strndup(ctx, text, len);
	const char *p = s;
	if (!s)
		return DBC_ERROR;
	dbc_token t = dbc_lex_next(&p);
	if (!dbc_lex_is_word(t, "INSERT") && !dbc_lex_is_word(t, "REPLACE"))
		return DBC_OK;
	/* the first FROM at the statement's own level, after its SELECT */
	bool select = false;
	for (t = dbc_lex_next(&p); t.kind != TK_END; t = dbc_lex_next(&p)) {
		if (dbc_lex_is_punct(t, '(')) {
			dbc_lex_skip_paren_in(&p, ctx->host->dialect->brackets_quote_names);
			continue;
		}
		if (dbc_lex_is_word(t, "SELECT"))
			select = true;
		if (select && dbc_lex_is_word(t, "FROM"))
			break;
	}
	if (t.kind == TK_END)
		return DBC_OK;
	dbc_token name = dbc_lex_next(&p);
	const char *after = p;
	dbc_token dot = dbc_lex_next(&after);
	if (dbc_lex_is_punct(dot, '.')) /* schema.table: the table */
		name = dbc_lex_next(&after);
	if (name.kind != TK_WORD && name.kind != TK_QIDENT)
		return DBC_OK;
	char *table = dbc_lex_ident(ctx, name);
	return table ? dbc_strlist_add(ctx, copied, table) : DBC_ERROR;
}

int dbc_lint_drop_facts(dbc_ctx *ctx, const dbc_lint_hooks *eng, const dbc_strlist *copied,
                        dbc_lint_action *a, char **children)
{
	*children = NULL;
	if (a->op != DBC_LOP_DROP_TABLE || !a->table)
		return DBC_OK;
	for (int i = 0; i < copied->n; i++)
		if (strcasecmp(copied->items[i], a->table) == 0)
			a->flags |= DBC_LF_ROWS_COPIED;
	if (!eng || !eng->deleting_children)
		return DBC_OK;
	if (eng->deleting_children(ctx, a->schema, a->table, children) != DBC_OK)
		return DBC_ERROR;
	if (*children)
		a->flags |= DBC_LF_DELETING_CHILDREN;
	return DBC_OK;
}

/* The value of PRAGMA foreign_keys = v (or (v)): *off for 0, OFF, NO, FALSE. */
static bool pragma_keys(const char **p, bool *off)
{
	dbc_token t = dbc_lex_next(p);
	if (dbc_lex_is_word(t, "main")) {
		if (!dbc_lex_is_punct(dbc_lex_next(p), '.'))
			return false;
		t = dbc_lex_next(p);
	}
	if (!dbc_lex_is_word(t, "foreign_keys"))
		return false;
	t = dbc_lex_next(p);
	if ((t.kind == TK_OTHER && t.start[0] == '=') || dbc_lex_is_punct(t, '('))
		t = dbc_lex_next(p);
	if (t.kind != TK_WORD)
		return false;
	*off = dbc_lex_is_word(t, "0") || dbc_lex_is_word(t, "OFF") || dbc_lex_is_word(t, "NO") ||
	       dbc_lex_is_word(t, "FALSE");
	return true;
}

int dbc_keys_track_stmt(dbc_ctx *ctx, dbc_keys_track *k, const char *text, size_t len)
{
	char *s = dbc_strndup(ctx, text, len);
	const char *p = s;
	bool off = false;
	if (!s)
		return DBC_ERROR;
	dbc_token t = dbc_lex_next(&p);
	if (dbc_lex_is_word(t, "BEGIN"))
		k->in_txn = true;
	else if (dbc_lex_is_word(t, "COMMIT") || dbc_lex_is_word(t, "END") ||
	         (dbc_lex_is_word(t, "ROLLBACK") && !dbc_lex_is_word(dbc_lex_next(&p), "TO")))
		k->in_txn = false;
	else if (dbc_lex_is_word(t, "PRAGMA") && !k->in_txn && pragma_keys(&p, &off))
		k->off = off;
	return DBC_OK;
}
