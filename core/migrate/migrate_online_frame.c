/*
 * migrate_online_frame.c — where a table rebuild written in plain SQL
 * stands in its migration (dbc_online_rebuild_frame): the statements
 * around its four (dbc_online_rebuild_match) that `dbcare migrate
 * --online` moves into the swap or leaves out, so that the common ways
 * of writing SQLite's documented procedure ("Making Other Kinds Of Table
 * Schema Changes": save, drop, rebuild, make again) go online:
 *   - the DROP VIEW and DROP TRIGGER statements right before the CREATE
 *     TABLE (the procedure's views and triggers dropped first) run in the
 *     swap, before the old table is dropped: the views and triggers work
 *     through the whole copy, and nobody sees the table without them;
 *   - a -- dbcare:no-transaction migration (dbmigrate_rebuild_script's, or
 *     one that turns foreign keys off outside its transaction as the
 *     procedure says): its BEGIN right before them and its COMMIT after
 *     them are left out (the recipe's units are the transactions), the
 *     statements between the RENAME and the COMMIT (indexes, triggers and
 *     views made again, the foreign key check) join the swap; without a
 *     BEGIN, the CREATE INDEX / TRIGGER / VIEW statements right after the
 *     RENAME join it, and the PRAGMAs among them run after it (a PRAGMA
 *     foreign_keys does nothing inside a transaction);
 *   - in a migration run in a transaction, everything after the RENAME
 *     joins the swap, as written (dbc_online_table_rebuild).
 * Anything else in a no-transaction migration (the rebuild inside a
 * transaction it does not open right before it, a savepoint or a
 * ROLLBACK before its COMMIT) leaves the migration as written.
 */
#include "migrate/migrate_online.h"
#include "schema/ddl_lex.h"

#include <string.h>

typedef enum {
	ST_OTHER,
	ST_BEGIN,
	ST_COMMIT,   /* COMMIT, END */
	ST_TX_OTHER, /* ROLLBACK, SAVEPOINT, RELEASE */
	ST_DROP_DEP, /* DROP VIEW, DROP TRIGGER */
	ST_REMAKE,   /* CREATE [UNIQUE] INDEX, CREATE [TEMP] TRIGGER, CREATE [TEMP] VIEW */
	ST_PRAGMA,
} st_kind;

static st_kind kind_of(const dbc_stmt *st)
{
	const char *p = st->text, *stop = st->text + st->len;
	dbc_token t = dbc_lex_next(&p);
	if (t.kind == TK_END || t.start >= stop)
		return ST_OTHER;
	if (dbc_lex_is_word(t, "BEGIN"))
		return ST_BEGIN;
	if (dbc_lex_is_word(t, "COMMIT") || dbc_lex_is_word(t, "END"))
		return ST_COMMIT;
	if (dbc_lex_is_word(t, "ROLLBACK") || dbc_lex_is_word(t, "SAVEPOINT") ||
	    dbc_lex_is_word(t, "RELEASE"))
		return ST_TX_OTHER;
	if (dbc_lex_is_word(t, "PRAGMA"))
		return ST_PRAGMA;
	bool drop = dbc_lex_is_word(t, "DROP");
	if (!drop && !dbc_lex_is_word(t, "CREATE"))
		return ST_OTHER;
	t = dbc_lex_next(&p);
	if (drop)
		return dbc_lex_is_word(t, "VIEW") || dbc_lex_is_word(t, "TRIGGER") ? ST_DROP_DEP : ST_OTHER;
	if (dbc_lex_is_word(t, "UNIQUE") || dbc_lex_is_word(t, "TEMP") ||
	    dbc_lex_is_word(t, "TEMPORARY"))
		t = dbc_lex_next(&p);
	return dbc_lex_is_word(t, "INDEX") || dbc_lex_is_word(t, "TRIGGER") ||
	               dbc_lex_is_word(t, "VIEW")
	           ? ST_REMAKE
	           : ST_OTHER;
}

bool dbc_online_rebuild_frame(dbc_ctx *ctx, const dbc_script_info *info, int from,
                              dbc_online_rebuild_group *g)
{
	bool in_txn = false;
	for (int s = 0; s < info->nstmts; s++) {
		st_kind k = kind_of(&info->stmts[s]);
		if (k == ST_BEGIN)
			in_txn = true;
		else if (k == ST_COMMIT || k == ST_TX_OTHER)
			in_txn = false;
		if (s < from || !dbc_online_rebuild_match(ctx, info, s, g))
			continue;
		int first = s, after = s + 4;
		while (first > from && kind_of(&info->stmts[first - 1]) == ST_DROP_DEP)
			first--;
		g->at = s;
		g->first = first;
		g->begin = g->commit = -1;
		g->swap_end = after;
		if (!info->no_transaction)
			return true;
		if (first > from && kind_of(&info->stmts[first - 1]) == ST_BEGIN) {
			/* the block the migration opens for it, up to its COMMIT */
			int c = after;
			while (c < info->nstmts && kind_of(&info->stmts[c]) != ST_COMMIT) {
				st_kind ck = kind_of(&info->stmts[c]);
				if (ck == ST_BEGIN || ck == ST_TX_OTHER)
					return false;
				c++;
			}
			if (c == info->nstmts)
				return false;
			g->begin = first - 1;
			g->commit = c;
			g->swap_end = c;
			return true;
		}
		/* BEGIN seen at s's own check: in a transaction opened earlier */
		if (in_txn)
			return false;
		while (g->swap_end < info->nstmts) {
			st_kind ck = kind_of(&info->stmts[g->swap_end]);
			if (ck != ST_REMAKE && ck != ST_PRAGMA)
				break;
			g->swap_end++;
		}
		/* the PRAGMAs at its end are the migration's, after the swap */
		while (g->swap_end > after && kind_of(&info->stmts[g->swap_end - 1]) == ST_PRAGMA)
			g->swap_end--;
		return true;
	}
	return false;
}

bool dbc_online_frame_pragma(const dbc_online_rebuild_group *g, const dbc_script_info *info, int s)
{
	return g->begin < 0 && info->no_transaction && s > g->at + 3 && s < g->swap_end &&
	       kind_of(&info->stmts[s]) == ST_PRAGMA;
}
