/*
 * generate_rebuild.c — a changed table where the engine's ALTER TABLE cannot
 * say the change (SQLite): the documented rebuild, made safe for the rows
 * of the table and of every table whose foreign keys name it. Dropping a
 * parent with foreign keys enforced deletes its ON DELETE CASCADE children's
 * rows, so the script:
 *   - turns foreign keys off and refuses to go on while they are still on
 *     (inside a transaction the switch does nothing);
 *   - counts and hashes (every row's values, sorted, as text) the table and
 *     each child table before, and again after: any difference fails;
 *   - checks every foreign key (foreign_key_check) before its COMMIT.
 * The table is made by the desired file's own CREATE TABLE text under its
 * own name, never renamed into place (SQLite would store the name quoted,
 * a text the history's database does not have): the live table steps
 * aside instead, and an empty probe renamed to the name makes SQLite check
 * the views and triggers naming it, as the documented rename would.
 * A failing check is an error inside the script's transaction, which is
 * then never committed: nothing of the rebuild stays. The guards are TEMP
 * tables whose CHECK constraint is named by the message. One step holds the
 * whole script; its reverse is the rebuild back to the live definition.
 */
#include "migrate/generate.h"
#include "migrate/generate_render.h"
#include "schema/ddl_lex.h"

#include <string.h>
#include <strings.h>

#define FK_OFF_GUARD                                                                               \
	"dbcare: foreign keys are still on (a transaction is open), the rebuild would delete the "     \
	"rows of ON DELETE CASCADE children; run this migration outside a transaction"
#define ROWS_GUARD "dbcare: the rebuild changed the rows of the table or of a child table; undone"
#define KEYS_GUARD "dbcare: the rebuilt table breaks a foreign key; undone"

/* "CREATE TABLE name (...)" with the name replaced by tmp (quoted). */
static char *renamed_create(dbc_ctx *ctx, const char *text, const char *tmp)
{
	const char *p = text;
	dbc_token t;
	do
		t = dbc_lex_next(&p);
	while (t.kind != TK_END && !dbc_lex_is_word(t, "TABLE"));
	if (t.kind == TK_END)
		return NULL;
	const char *head = p;
	t = dbc_lex_next(&p);
	if (dbc_lex_is_word(t, "IF")) {
		dbc_lex_next(&p), dbc_lex_next(&p);
		t = dbc_lex_next(&p);
	}
	const char *q = p;
	if (dbc_lex_is_punct(dbc_lex_next(&q), '.')) {
		dbc_lex_next(&q);
		p = q;
	}
	return dbc_printf(ctx, "%.*s %s%s", (int)(head - text), text, dbc_gen_q(ctx, tmp), p);
}

/* The sorted rows of t as one text, over cols (a quoted, comma-separated
 * list of quote(column) terms). */
static char *hash_of(dbc_ctx *ctx, const char *qt, const char *terms)
{
	return dbc_printf(ctx,
	                  "(SELECT group_concat(r, char(10)) FROM (SELECT %s AS r FROM %s ORDER BY 1))",
	                  terms, qt);
}

static char *terms_of(dbc_ctx *ctx, const dbc_table *t, const dbc_table *other)
{
	dbc_buf b;
	int n = 0;
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < t->ncolumns; i++) {
		const dbc_column *c = &t->columns[i];
		if (c->hidden || c->generated)
			continue;
		if (other) {
			const dbc_column *o = dbc_table_find_column(other, c->name);
			if (!o || o->generated || !c->type || !o->type || strcmp(c->type, o->type) != 0)
				continue; /* a changed type may store its values differently */
		}
		dbc_buf_appendf(&b, "%squote(%s)", n++ ? " || ',' || " : "", dbc_gen_q(ctx, c->name));
	}
	return n ? dbc_buf_finish(&b) : dbc_strdup(ctx, "''");
}

/* The columns the rebuild copies (stored in both definitions), quoted and
 * comma-separated: "" when none; NULL when out of memory. */
static char *copied_columns(dbc_ctx *ctx, const dbc_table *from, const dbc_table *to)
{
	dbc_buf cols;
	dbc_buf_init(&cols, ctx);
	int n = 0;
	for (int i = 0; i < to->ncolumns; i++) {
		const dbc_column *c = &to->columns[i];
		const dbc_column *o = dbc_table_find_column(from, c->name);
		if (!o || c->generated || c->hidden || o->generated)
			continue;
		dbc_buf_appendf(&cols, "%s%s", n++ ? ", " : "", dbc_gen_q(ctx, c->name));
	}
	return n ? dbc_buf_finish(&cols) : dbc_strdup(ctx, "");
}

/* The table's indexes and triggers as the schema after the step has them. */
static void append_indexes_triggers(dbc_buf *b, const dbc_schema *after, const char *table)
{
	for (int i = 0; i < after->nindexes; i++) {
		const dbc_index *x = &after->indexes[i];
		if (x->definition && !x->constraint && !x->primary && x->table &&
		    strcasecmp(x->table, table) == 0)
			dbc_buf_appendf(b, "%s;\n", x->definition);
	}
	for (int i = 0; i < after->nobjects; i++) {
		const dbc_object *o = &after->objects[i];
		if (strcmp(o->type, "trigger") == 0 && o->definition && o->table &&
		    strcasecmp(o->table, table) == 0)
			dbc_buf_appendf(b, "%s;\n", o->definition);
	}
}

/* The table qt swapped for its new definition (create, the desired
 * file's own text), its rows copied. The live table steps aside under
 * legacy_alter_table, which leaves every foreign key, view and trigger
 * body naming it as written; an empty probe of the new definition renamed
 * to the table's name makes SQLite check every view and trigger naming it
 * against the new columns (a trigger writing a dropped column fails); the
 * table is then made as the file spells it (a rename would write its name
 * quoted), filled from the live one. */
static int swap_in(dbc_ctx *ctx, dbc_buf *b, const dbc_table *from, const dbc_table *to,
                   const char *create)
{
	char *qt = dbc_gen_qt(ctx, to);
	char *tmp = dbc_printf(ctx, "%s_dbcare_rebuild", to->name);
	char *probe = dbc_printf(ctx, "%s_dbcare_probe", to->name);
	char *newc = probe ? renamed_create(ctx, create, probe) : NULL;
	char *cl = copied_columns(ctx, from, to);
	if (!tmp || !newc || !cl)
		return DBC_ERROR;
	char *qtmp = dbc_gen_q(ctx, tmp);
	dbc_buf_appendf(b,
	                "PRAGMA legacy_alter_table = ON;\nALTER TABLE %s RENAME TO %s;\n"
	                "PRAGMA legacy_alter_table = OFF;\n",
	                qt, qtmp);
	dbc_buf_appendf(b, "%s;\nALTER TABLE %s RENAME TO %s;\nDROP TABLE %s;\n", newc,
	                dbc_gen_q(ctx, probe), qt, qt);
	dbc_buf_appendf(b, "%s;\n", create);
	if (*cl)
		dbc_buf_appendf(b, "INSERT INTO %s (%s) SELECT %s FROM %s;\n", qt, cl, cl, qtmp);
	dbc_buf_appendf(b, "DROP TABLE %s;\n", qtmp);
	return DBC_OK;
}

/* The script that rebuilds the table now named name from the definition of
 * from (live) to that of to (create is to's CREATE TABLE text). */
static char *script(dbc_ctx *ctx, const dbc_gen_input *in, const dbc_schema *after,
                    const dbc_table *from, const dbc_table *to, const char *create, bool fk)
{
	const dbc_dialect *d = ctx->host->dialect;
	char *qt = dbc_gen_qt(ctx, to);
	if (!create)
		return NULL;
	/* the children: tables (other than this one) whose foreign keys name it */
	const dbc_schema *L = in->live;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_buf_append(&b, d->rebuild_begin[1]);
	dbc_buf_appendf(&b,
	                "CREATE TEMP TABLE dbcare_fk_off (ok INTEGER CONSTRAINT \"%s\" CHECK (ok));\n"
	                "INSERT INTO temp.dbcare_fk_off SELECT NOT foreign_keys FROM "
	                "pragma_foreign_keys;\n",
	                FK_OFF_GUARD);
	char *self = terms_of(ctx, from, to);
	dbc_buf_appendf(&b,
	                "CREATE TEMP TABLE dbcare_rows_before AS SELECT %s AS t, count(*) AS n, %s AS "
	                "h FROM %s",
	                ctx->host->quote_literal(ctx, to->name), hash_of(ctx, qt, self), qt);
	typedef struct child {
		char *qt, *terms, *name;
	} child;
	child *kids = dbc_zalloc(ctx, sizeof(child) * (size_t)(L->ntables + 1));
	int nkids = 0;
	if (!kids)
		return NULL;
	for (int i = 0; i < L->ntables; i++) {
		const dbc_table *c = &L->tables[i];
		if (strcmp(c->name, from->name) == 0 || strcmp(c->name, to->name) == 0)
			continue;
		bool names = false;
		for (int k = 0; k < c->nconstraints && !names; k++)
			names = c->constraints[k].kind == DBC_CON_FOREIGN_KEY && c->constraints[k].ref_table &&
			        (strcasecmp(c->constraints[k].ref_table, from->name) == 0 ||
			         strcasecmp(c->constraints[k].ref_table, to->name) == 0);
		if (!names)
			continue;
		/* a child renamed by the plan is read under its new name */
		const char *now = c->name;
		for (int r = 0; r < in->desired->nrenames; r++)
			if (!in->desired->renames[r].column &&
			    strcasecmp(in->desired->renames[r].from, c->name) == 0)
				now = in->desired->renames[r].table;
		child *k = &kids[nkids++];
		k->name = (char *)now;
		k->qt = dbc_quoted_name(ctx, c->schema, now);
		k->terms = terms_of(ctx, c, NULL);
		dbc_buf_appendf(&b, " UNION ALL SELECT %s, count(*), %s FROM %s",
		                ctx->host->quote_literal(ctx, now), hash_of(ctx, k->qt, k->terms), k->qt);
	}
	dbc_buf_append(&b, ";\n");
	if (swap_in(ctx, &b, from, to, create) != DBC_OK)
		return NULL;
	append_indexes_triggers(&b, after, to->name);
	char *self_after = terms_of(ctx, to, from);
	dbc_buf_appendf(
	    &b,
	    "CREATE TEMP TABLE dbcare_rows_kept (ok INTEGER CONSTRAINT \"%s\" CHECK (ok));\n"
	    "INSERT INTO temp.dbcare_rows_kept SELECT count(*) = (SELECT n FROM "
	    "temp.dbcare_rows_before WHERE t = %s) AND %s IS (SELECT h FROM "
	    "temp.dbcare_rows_before WHERE t = %s) FROM %s;\n",
	    ROWS_GUARD, ctx->host->quote_literal(ctx, to->name), hash_of(ctx, qt, self_after),
	    ctx->host->quote_literal(ctx, to->name), qt);
	for (int i = 0; i < nkids; i++)
		dbc_buf_appendf(&b,
		                "INSERT INTO temp.dbcare_rows_kept SELECT count(*) = (SELECT n FROM "
		                "temp.dbcare_rows_before WHERE t = %s) AND %s IS (SELECT h FROM "
		                "temp.dbcare_rows_before WHERE t = %s) FROM %s;\n",
		                ctx->host->quote_literal(ctx, kids[i].name),
		                hash_of(ctx, kids[i].qt, kids[i].terms),
		                ctx->host->quote_literal(ctx, kids[i].name), kids[i].qt);
	dbc_buf_appendf(
	    &b,
	    "CREATE TEMP TABLE dbcare_keys_hold (ok INTEGER CONSTRAINT \"%s\" CHECK (ok));\n"
	    "INSERT INTO temp.dbcare_keys_hold SELECT count(*) = 0 FROM "
	    "pragma_foreign_key_check;\n"
	    "DROP TABLE temp.dbcare_keys_hold;\nDROP TABLE temp.dbcare_rows_kept;\n"
	    "DROP TABLE temp.dbcare_rows_before;\nDROP TABLE temp.dbcare_fk_off;\n",
	    KEYS_GUARD);
	dbc_buf_append(&b, d->rebuild_end[fk]);
	return dbc_buf_finish(&b);
}

int dbc_gen_rebuild(dbc_ctx *ctx, const dbc_gen_input *in, const dbc_table *old,
                    const dbc_table *now, dbc_gen_plan *out)
{
	const dbc_lint_hooks *eng = in->env ? in->env->lint : NULL;
	bool fk = false;
	if (!ctx->host->dialect->rebuild_begin[1])
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "this engine has no table rebuild");
	if (eng && eng->foreign_keys_on && eng->foreign_keys_on(ctx, &fk) != DBC_OK)
		return DBC_ERROR;
	const dbc_gen_stmt *st = dbc_gen_find_stmt(in->desired, "table", now->name);
	if (!st)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "the desired schema has no CREATE TABLE of %s to rebuild it from",
		                 now->name);
	/* the live table as it stands after the plan's renames: its name and
	 * its columns' new names */
	dbc_table was = *old;
	was.name = now->name;
	was.columns = dbc_alloc(ctx, sizeof(dbc_column) * (size_t)(old->ncolumns + 1));
	if (!was.columns)
		return DBC_ERROR;
	int n = 0;
	for (int i = 0; i < old->ncolumns; i++) {
		dbc_column c = old->columns[i];
		/* a logged rename back to its name takes it: dropped before the
		 * rename (a mark's rename takes the old column itself) */
		bool taken = false;
		for (int r = 0; r < in->desired->nrenames; r++) {
			const dbc_gen_rename *m = &in->desired->renames[r];
			if (!m->column || strcasecmp(m->table, now->name) != 0)
				continue;
			if (strcmp(m->from, old->columns[i].name) == 0)
				c.name = m->column;
			else if (m->recorded && strcmp(m->column, old->columns[i].name) == 0 &&
			         dbc_table_find_column(old, m->from))
				taken = true;
		}
		if (!taken || strcmp(c.name, old->columns[i].name) != 0)
			was.columns[n++] = c;
	}
	was.ncolumns = n;
	char *up = script(ctx, in, in->want, &was, now, st->text, fk);
	/* the way back: the live definition, rendered, and the live indexes */
	dbc_schema back = *in->live;
	char *create_back = dbc_gen_create_table(ctx, &was, true);
	/* indexes of the live table carry its old name in their text */
	back.indexes = NULL;
	back.nindexes = 0;
	back.capindexes = 0;
	if (strcmp(old->name, now->name) == 0)
		back = *in->live;
	char *down = script(ctx, in, &back, now, &was, create_back, fk);
	if (!up || !down)
		return DBC_ERROR;
	int64_t rows = -1;
	if (eng->rows && eng->rows(ctx, old->schema, old->name, &rows) != DBC_OK) {
		dbc_error_clear(ctx);
		rows = -1;
	}
	dbc_gen_step *s = dbc_gen_add(ctx, out, up, down);
	if (!s)
		return DBC_ERROR;
	s->transactional = false;
	s->rows = rows;
	s->lock = ctx->host->dialect->lint_locks
	              ? (char *)ctx->host->dialect->lint_locks[DBC_LOP_ALTER_CONSTRAINT]
	              : NULL;
	s->hazard = dbc_printf(ctx,
	                       "rebuilds table %s (foreign keys off, its rows and its child tables' "
	                       "rows counted and hashed before and after, keys checked)",
	                       now->name);
	return DBC_OK;
}
