/*
 * retain_plan.c — dbretain_plan: what each policy would do now, changing
 * nothing: the rows due, the oldest, the batches it takes, and what stands
 * in its way (a foreign key that refuses the delete of a referenced row, no
 * index on the age column: every batch would read the whole table).
 */
#include "base/json.h"
#include "retain/retain_policy.h"
#include "settings/settings.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct due_row {
	int64_t due;
	char *oldest;
} due_row;

static int take_due(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	due_row *d = arg;
	(void)ncol;
	d->due = c[0].type == DBC_INT ? c[0].i : 0;
	d->oldest = c[1].type == DBC_TEXT ? dbc_strdup(ctx, c[1].s) : NULL;
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

static int take_count(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	due_row *d = arg;
	(void)ncol;
	d->due = c[0].type == DBC_INT ? c[0].i : 0;
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

typedef struct blockers_json {
	json_t *list;
	const dbc_policy_ctx *pc;
} blockers_json;

/* How many due rows of the policy's table key (one of pc's blockers) keeps
 * now; -1 when the key is not among them (columns it cannot compare). A
 * due row referenced only by rows that go with it (a tree, a cycle of due
 * rows) is not kept: on a table with a key of its own the one rule of
 * retain_removable.c counts, as the run decides. */
static int64_t due_blocked_by(dbc_ctx *ctx, const dbc_policy_ctx *pc, const dbc_constraint *key)
{
	for (int i = 0; i < pc->nblockers; i++) {
		if (pc->blocker_keys[i].fk != key)
			continue;
		char *sql =
		    !dbc_retain_self_keyed(pc)
		        ? dbc_printf(ctx, "SELECT count(*) FROM %s%s AS s WHERE %s AND %s",
		                     dbc_retain_only(ctx), pc->qt, pc->due_now, pc->blocker_keys[i].exists)
		        : dbc_retain_kept_by(ctx, pc, &pc->blocker_keys[i],
		                             dbc_printf(ctx, "SELECT s.%s FROM %s%s AS s WHERE %s",
		                                        pc->row_id, dbc_retain_only(ctx), pc->qt,
		                                        pc->due_now));
		due_row d = {0, NULL};
		if (!sql || ctx->host->query(ctx, sql, 0, NULL, take_count, &d) != DBC_OK)
			return -1;
		return d.due;
	}
	return -1;
}

/* A key that keeps referenced rows: named with the rows due now it keeps
 * ("blocked"), enforced by the engine now or not (it keeps them either way). */
static int add_fk(dbc_ctx *ctx, void *arg, const dbc_table *child, const dbc_constraint *c)
{
	blockers_json *b = arg;
	const dbc_table *parent = b->pc->t;
	int64_t blocked = due_blocked_by(ctx, b->pc, c);
	if (ctx->failed)
		return DBC_ERROR;
	json_t *item = json_object();
	if (!item)
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	char *cols = dbc_strlist_join(ctx, &c->columns, ", ");
	dbc_json_set(item, "kind", dbc_json_str("foreign key"));
	dbc_json_set(item, "name", dbc_json_str(c->name));
	dbc_json_set(item, "table", dbc_json_str(dbc_qualified_name(ctx, child->schema, child->name)));
	dbc_json_set(item, "columns", dbc_json_str(cols));
	if (blocked >= 0)
		dbc_json_set(item, "blocked", json_integer(blocked));
	dbc_json_set(item, "enforced", json_boolean(c->enforced));
	dbc_json_set(item, "detail",
	             dbc_json_str(dbc_printf(
	                 ctx,
	                 "rows of %s referenced by %s (%s) are kept and counted "
	                 "as blocked: the key has no ON DELETE action%s",
	                 dbc_qualified_name(ctx, parent->schema, parent->name),
	                 dbc_qualified_name(ctx, child->schema, child->name), cols ? cols : "",
	                 c->enforced ? "" : " (kept though the engine does not enforce the key now)")));
	json_array_append_new(b->list, item);
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

/* The tables a policy's deletes change besides its own, reached by ON
 * DELETE actions: CASCADE deletes the child's rows (and so goes on to the
 * child's own children), SET NULL and SET DEFAULT update them. Each is named
 * in the plan; for an archive policy a CASCADE is what dbretain_apply
 * refuses (the children's rows would go unarchived). */
typedef struct effects_json {
	json_t *list;
	const dbc_schema *s;
	const dbc_policy *p;
	const dbc_table *parent;
	const dbc_table **seen; /* tables reached so far (cycles end there) */
	int nseen;
} effects_json;

static int add_effect(dbc_ctx *ctx, void *arg, const dbc_table *child, const dbc_constraint *c)
{
	effects_json *e = arg;
	bool cascade = dbc_retain_fk_cascades(c);
	const char *pt = dbc_qualified_name(ctx, e->parent->schema, e->parent->name);
	const char *ct = dbc_qualified_name(ctx, child->schema, child->name);
	json_t *item = json_object();
	if (!item)
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	dbc_json_set(item, "kind", dbc_json_str(cascade ? "cascade" : c->on_delete));
	dbc_json_set(item, "name", dbc_json_str(c->name));
	dbc_json_set(item, "table", dbc_json_str(ct));
	char *detail =
	    !cascade
	        ? dbc_printf(ctx,
	                     "rows of %s referencing deleted rows of %s are updated (ON "
	                     "DELETE %s)",
	                     ct, pt,
	                     strcasecmp(c->on_delete, "set null") == 0 ? "SET NULL" : "SET DEFAULT")
	    : e->p->action == DBC_RETAIN_ARCHIVE
	        ? dbc_printf(ctx,
	                     "rows of %s referencing rows of %s would be deleted without being "
	                     "archived (ON DELETE CASCADE): dbretain_apply refuses the policy",
	                     ct, pt)
	        : dbc_printf(ctx,
	                     "rows of %s referencing deleted rows of %s are deleted too (ON "
	                     "DELETE CASCADE)",
	                     ct, pt);
	if (!c->enforced)
		detail = dbc_printf(ctx,
		                    "%s; the engine does not enforce the key now (SQLite: PRAGMA "
		                    "foreign_keys is off), so dbretain_apply refuses the policy",
		                    detail);
	dbc_json_set(item, "enforced", json_boolean(c->enforced));
	dbc_json_set(item, "detail", dbc_json_str(detail));
	json_array_append_new(e->list, item);
	if (ctx->failed)
		return DBC_ERROR;
	if (!cascade || e->p->action == DBC_RETAIN_ARCHIVE)
		return DBC_OK;
	for (int i = 0; i < e->nseen; i++)
		if (e->seen[i] == child)
			return DBC_OK;
	e->seen[e->nseen++] = child;
	const dbc_table *parent = e->parent;
	e->parent = child;
	int rc = dbc_retain_acting_fks(ctx, e->s, child, add_effect, e);
	e->parent = parent;
	return rc;
}

/* Whether a valid index of t starts with column. */
static bool indexed(const dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t, const char *column)
{
	for (int i = 0; i < s->nindexes; i++) {
		const dbc_index *ix = &s->indexes[i];
		bool same_schema = (!ix->schema && !t->schema) ||
		                   (ix->schema && t->schema && strcmp(ix->schema, t->schema) == 0);
		if (same_schema && strcmp(ix->table, t->name) == 0 && ix->valid && !ix->predicate &&
		    ix->keys.n > 0 && strcmp(ix->keys.items[0], column) == 0)
			return true;
	}
	(void)ctx;
	return false;
}

/* Whether a valid index of t has cols, in any order, as its first keys. */
static bool indexed_all(const dbc_schema *s, const dbc_table *t, const dbc_strlist *cols)
{
	for (int i = 0; i < s->nindexes; i++) {
		const dbc_index *ix = &s->indexes[i];
		bool same_schema = (!ix->schema && !t->schema) ||
		                   (ix->schema && t->schema && strcmp(ix->schema, t->schema) == 0);
		if (!same_schema || strcmp(ix->table, t->name) != 0 || !ix->valid || ix->predicate ||
		    ix->keys.n < cols->n || cols->n == 0)
			continue;
		int found = 0;
		for (int k = 0; k < cols->n; k++)
			found += dbc_strlist_find(cols, ix->keys.items[k]) >= 0;
		if (found == cols->n)
			return true;
	}
	return false;
}

char *dbc_retain_self_key_index(dbc_ctx *ctx, const dbc_schema *s, const dbc_policy_ctx *pc,
                                const dbc_blocker_key *k)
{
	if (!k->self || indexed_all(s, pc->t, &k->fk->columns))
		return NULL;
	dbc_buf cols;
	dbc_buf_init(&cols, ctx);
	for (int c = 0; c < k->fk->columns.n; c++)
		dbc_buf_appendf(&cols, "%s%s", c ? ", " : "",
		                ctx->host->quote_ident(ctx, k->fk->columns.items[c]));
	char *qcols = dbc_buf_finish(&cols);
	char *name = dbc_printf(ctx, "%s_%s_fk", pc->t->name, k->fk->columns.items[0]);
	return qcols && name
	           ? dbc_printf(ctx, "CREATE INDEX %s%s ON %s (%s);", dbc_retain_concurrently(ctx),
	                        ctx->host->quote_ident(ctx, name), pc->qt, qcols)
	           : NULL;
}

/* A "missing index" blocker per key of the table's own (a tree, a cycle)
 * whose columns no index leads with (dbc_retain_self_key_index). */
static void add_self_key_hints(dbc_ctx *ctx, const dbc_schema *s, const dbc_policy_ctx *pc,
                               json_t *list)
{
	for (int i = 0; i < pc->nblockers; i++) {
		const dbc_blocker_key *k = &pc->blocker_keys[i];
		char *fix = dbc_retain_self_key_index(ctx, s, pc, k);
		char *list_text = fix ? dbc_strlist_join(ctx, &k->fk->columns, ", ") : NULL;
		if (!list_text)
			continue;
		json_t *item = json_object();
		dbc_json_set(item, "kind", dbc_json_str("missing index"));
		dbc_json_set(item, "detail",
		             dbc_json_str(dbc_printf(
		                 ctx,
		                 "no index starts with %s, whose foreign key references the table "
		                 "itself: each batch looks up the rows referencing every row it weighs "
		                 "by reading the whole table (a cycle's sweep weighs every due row)",
		                 list_text)));
		dbc_json_set(item, "fix", dbc_json_str(fix));
		json_array_append_new(list, item);
	}
}

/* Adds p's plan row with list (taken: freed here) as its blockers. */
static int add_plan_row(dbc_ctx *ctx, const dbc_policy *p, int64_t due, const char *oldest,
                        int64_t batches, json_t *list, dbc_rows *out)
{
	char *blockers = ctx->failed ? NULL : dbc_json_dump(ctx, list, DBC_JSON_REPORT);
	json_decref(list);
	if (!blockers)
		return DBC_ERROR;
	dbc_value row[DBC_RETAIN_PLAN_NCOLS] = {
	    dbc_text(p->name),
	    dbc_text(dbc_qualified_name(ctx, p->table_schema, p->table_name)),
	    dbc_text(dbc_retain_action_name(p->action)),
	    dbc_int(due),
	    oldest ? dbc_text(oldest) : dbc_null(),
	    dbc_int(batches),
	    dbc_text(blockers)};
	return dbc_rows_add(out, row);
}

/* A policy whose table or age column is gone since it was added: its row
 * says so as its one blocker (nothing is due; dbretain_apply refuses it),
 * and the plan of the other policies goes on. */
static int plan_gone(dbc_ctx *ctx, const dbc_policy *p, const char *why, dbc_rows *out)
{
	json_t *list = json_array(), *item = json_object();
	if (!list || !item) {
		json_decref(list);
		json_decref(item);
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	dbc_json_set(item, "kind", dbc_json_str("gone"));
	dbc_json_set(item, "detail", dbc_json_str(why));
	dbc_json_set(item, "fix",
	             dbc_json_str(dbc_printf(ctx, "SELECT dbretain_drop(%s);",
	                                     ctx->host->quote_literal(ctx, p->name))));
	json_array_append_new(list, item);
	return add_plan_row(ctx, p, 0, NULL, 0, list, out);
}

static int plan_one(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_schema *s,
                    const dbc_policy *p, int64_t batch, dbc_rows *out)
{
	dbc_policy_ctx pc;
	char *gone = dbc_policy_gone(ctx, s, p);
	if (ctx->failed)
		return DBC_ERROR;
	if (gone)
		return plan_gone(ctx, p, gone, out);
	if (dbc_policy_resolve(ctx, eng, s, p, false, &pc) != DBC_OK)
		return DBC_ERROR;
	char *sql = dbc_printf(ctx, "SELECT count(*), CAST(min(s.%s) AS text) FROM %s%s AS s WHERE %s",
	                       pc.qc, dbc_retain_only(ctx), pc.qt, pc.due_now);
	due_row d = {0, NULL};
	if (!sql || ctx->host->query(ctx, sql, 0, NULL, take_due, &d) != DBC_OK)
		return DBC_ERROR;
	int64_t due = d.due;
	char *oldest = d.oldest;

	json_t *list = json_array();
	if (!list)
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	blockers_json b = {list, &pc};
	int rc = dbc_retain_blocking_fks(ctx, s, pc.t, add_fk, &b);
	effects_json e = {
	    list, s, p, pc.t, dbc_zalloc(ctx, sizeof(dbc_table *) * (size_t)(s->ntables + 1)), 0};
	if (rc == DBC_OK && e.seen) {
		e.seen[e.nseen++] = pc.t;
		rc = dbc_retain_acting_fks(ctx, s, pc.t, add_effect, &e);
	} else if (!e.seen) {
		rc = DBC_ERROR;
	}
	bool own = !dbc_schema_find_table(s, pc.t->schema, pc.t->name);
	if (rc == DBC_OK && !own && !indexed(ctx, s, pc.t, p->column)) {
		json_t *item = json_object();
		dbc_json_set(item, "kind", dbc_json_str("missing index"));
		dbc_json_set(item, "detail",
		             dbc_json_str(dbc_printf(ctx,
		                                     "no index starts with column %s: every batch reads "
		                                     "the whole table",
		                                     p->column)));
		dbc_json_set(
		    item, "fix",
		    dbc_json_str(dbc_printf(
		        ctx, "CREATE INDEX %s%s ON %s (%s);", dbc_retain_concurrently(ctx),
		        ctx->host->quote_ident(ctx, dbc_printf(ctx, "%s_%s_age", pc.t->name, p->column)),
		        pc.qt, pc.qc)));
		json_array_append_new(list, item);
	}
	if (rc == DBC_OK && !own)
		add_self_key_hints(ctx, s, &pc, list);
	if (rc != DBC_OK || ctx->failed) {
		json_decref(list);
		return DBC_ERROR;
	}
	return add_plan_row(ctx, p, due, oldest, (due + batch - 1) / batch, list, out);
}

int dbc_retain_plan(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *name, dbc_rows *out)
{
	dbc_rows_init(out, ctx, DBC_RETAIN_PLAN_NCOLS);
	dbc_policies ps;
	int64_t batch = 0;
	if (dbc_retain_load(ctx, name, &ps) != DBC_OK ||
	    dbc_setting_get_int(ctx, "retain.batch_size", &batch) != DBC_OK)
		return DBC_ERROR;
	if (ps.n == 0)
		return DBC_OK;
	dbc_schema s;
	dbc_schema_init(&s, ctx);
	if (ctx->host->read_schema(ctx, &s) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < ps.n; i++)
		if (plan_one(ctx, eng, &s, &ps.items[i], batch > 0 ? batch : 1, out) != DBC_OK)
			return DBC_ERROR;
	return DBC_OK;
}
