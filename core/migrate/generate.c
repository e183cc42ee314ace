/*
 * generate.c — dbmigrate_generate (docs/schema-as-code.md): the desired
 * schema read on the engine's scratch place, compared with the live one,
 * the plan made (generate_plan.c) and proved (generate_proof.c), returned
 * as rows. Nothing is written: the command line writes the files.
 */
#include "base/json.h"
#include "migrate/generate.h"

#include <string.h>

int dbc_gen_read_options(dbc_ctx *ctx, const char *text, dbc_gen_options *out)
{
	*out = (dbc_gen_options){
	    .allow_drop = false, .lock_safe = true, .lock_timeout_ms = 3000, .reorder_columns = true};
	if (!text)
		return DBC_OK;
	json_t *o = dbc_json_parse(ctx, text, "options");
	if (!o)
		return DBC_ERROR;
	int rc = DBC_OK;
	const char *key;
	json_t *v;
	if (!json_is_object(o))
		rc = dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "options must be a JSON object");
	json_object_foreach(o, key, v)
	{
		if (rc != DBC_OK)
			break;
		if (strcmp(key, "allow_drop") == 0 && json_is_boolean(v))
			out->allow_drop = json_is_true(v);
		else if (strcmp(key, "lock_safe") == 0 && json_is_boolean(v))
			out->lock_safe = json_is_true(v);
		else if (strcmp(key, "reorder_columns") == 0 && json_is_boolean(v))
			out->reorder_columns = json_is_true(v);
		else if (strcmp(key, "lock_timeout_ms") == 0 && json_is_integer(v) &&
		         json_integer_value(v) >= 0)
			out->lock_timeout_ms = json_integer_value(v);
		else
			rc = dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			               "unknown option or bad value: \"%s\" (allow_drop, lock_safe and "
			               "reorder_columns are booleans, lock_timeout_ms a number of "
			               "milliseconds)",
			               key);
	}
	json_decref(o);
	return rc;
}

/* The engine's extensions are not the generator's: the desired model gets
 * the live ones (on PostgreSQL, setting the schemas aside renamed theirs). */
static int keep_live_extensions(dbc_ctx *ctx, const dbc_schema *live, dbc_schema *want)
{
	dbc_object *objs =
	    dbc_alloc(ctx, sizeof(dbc_object) * (size_t)(want->nobjects + live->nobjects + 1));
	int n = 0;
	if (!objs)
		return DBC_ERROR;
	for (int i = 0; i < want->nobjects; i++)
		if (strcmp(want->objects[i].type, "extension") != 0)
			objs[n++] = want->objects[i];
	for (int i = 0; i < live->nobjects; i++)
		if (strcmp(live->objects[i].type, "extension") == 0)
			objs[n++] = live->objects[i];
	want->objects = objs;
	want->nobjects = n;
	want->capobjects = n;
	want->memo = NULL;
	return DBC_OK;
}

/* One generate's state, shared with the scratch place's callback. */
typedef struct gen_run {
	const dbc_migrate_hooks *env;
	dbc_gen_desired *desired;
	const dbc_gen_options *opt;
	dbc_schema *live, *want;
	dbc_gen_plan *plan;
	dbc_gen_proof_input proof;
	dbc_gen_index_texts index_texts; /* generate_index_texts.c */
} gen_run;

static bool listed(const dbc_gen_moved *l, int n, const dbc_table *t, const dbc_column *c)
{
	for (int i = 0; i < n; i++)
		if (l[i].table == t && l[i].column == c)
			return true;
	return false;
}

/* s with the columns of l (tables and columns of s) after the other
 * columns of their table, in the order of l (reversed: the other way),
 * as a snapshot and its fingerprint. ALTER TABLE adds a column at a
 * table's end only: the drops' columns come back there in the down (its
 * reverses, newest first, add them in the reverse order of their drops),
 * the columns the desired file writes among the others go there in the
 * up. */
static int columns_last(dbc_ctx *ctx, const dbc_schema *s, const dbc_gen_moved *l, int nl,
                        bool reversed, const char **json_out, const char **fp_out,
                        const dbc_schema **model_out)
{
	dbc_schema *mp = dbc_alloc(ctx, sizeof(dbc_schema));
	if (!mp)
		return DBC_ERROR;
	*mp = *s;
	dbc_schema m = *s;
	m.tables = dbc_alloc(ctx, sizeof(dbc_table) * (size_t)(m.ntables + 1));
	if (!m.tables)
		return DBC_ERROR;
	for (int i = 0; i < m.ntables; i++) {
		const dbc_table *t = &s->tables[i];
		dbc_table *d = &m.tables[i];
		*d = *t;
		d->columns = dbc_alloc(ctx, sizeof(dbc_column) * (size_t)(t->ncolumns + 1));
		if (!d->columns)
			return DBC_ERROR;
		int n = 0;
		for (int c = 0; c < t->ncolumns; c++)
			if (!listed(l, nl, t, &t->columns[c]))
				d->columns[n++] = t->columns[c];
		for (int k = 0; k < nl; k++) {
			const dbc_gen_moved *x = &l[reversed ? nl - 1 - k : k];
			if (x->table == t)
				d->columns[n++] = *x->column;
		}
	}
	m.memo = NULL;
	char *json, *fp;
	if (dbc_schema_snapshot_json(&m, &json) != DBC_OK ||
	    dbc_schema_fingerprint_of(ctx, json, &fp) != DBC_OK)
		return DBC_ERROR;
	*mp = m;
	*json_out = json;
	*fp_out = fp;
	*model_out = mp;
	return DBC_OK;
}

/* What the down and the up reach where columns go to a table's end. */
static int targets(dbc_ctx *ctx, gen_run *r)
{
	const dbc_gen_plan *p = r->plan;
	r->proof.live_model = r->live;
	r->proof.want_model = r->want;
	if (p->nmoved && columns_last(ctx, r->live, p->moved, p->nmoved, true, &r->proof.live_json,
	                              &r->proof.live_fp, &r->proof.live_model) != DBC_OK)
		return DBC_ERROR;
	if (p->appended_moves &&
	    columns_last(ctx, r->want, p->appended, p->nappended, false, &r->proof.want_json,
	                 &r->proof.want_fp, &r->proof.want_model) != DBC_OK)
		return DBC_ERROR;
	return DBC_OK;
}

/* want read: its fingerprint, then the plan from live to it. */
static int plan_to(dbc_ctx *ctx, gen_run *r)
{
	dbc_gen_input in = {.env = r->env,
	                    .live = r->live,
	                    .want = r->want,
	                    .desired = r->desired,
	                    .opt = r->opt,
	                    .index_texts = &r->index_texts};
	char *json, *fp;
	if ((!r->env->extensions && keep_live_extensions(ctx, r->live, r->want) != DBC_OK) ||
	    dbc_gen_recorded_renames(ctx, r->env, r->live, r->want, r->desired) != DBC_OK ||
	    dbc_schema_snapshot_json(r->want, &json) != DBC_OK ||
	    dbc_schema_fingerprint_of(ctx, json, &fp) != DBC_OK)
		return DBC_ERROR;
	r->proof.want_json = json;
	r->proof.want_fp = fp;
	if (dbc_gen_plan_make(ctx, &in, r->plan) != DBC_OK)
		return DBC_ERROR;
	return targets(ctx, r);
}

/* Whether every difference between the live and the desired schema is a
 * table's column order, which reorder_columns false leaves as it is. */
static int only_column_order(dbc_ctx *ctx, const gen_run *r, bool *only)
{
	dbc_schema_changes ch = {0};
	*only = false;
	if (r->opt->reorder_columns)
		return DBC_OK;
	if (dbc_schema_changes_of(ctx, r->proof.live_json, r->proof.want_json, &ch) != DBC_OK)
		return DBC_ERROR;
	*only = true;
	for (int i = 0; i < ch.n && *only; i++)
		*only = ch.items[i].detail && strcmp(ch.items[i].detail, "columns: order changed") == 0;
	return DBC_OK;
}

/* A plan without a step is proved by nothing: the desired schema must
 * then be the live one (but for a column order left as it is), or a
 * difference no step makes (an object kind the planner does not know)
 * would be answered as "nothing to do". */
static int nothing_left_out(dbc_ctx *ctx, const gen_run *r)
{
	bool only = false;
	if (r->plan->n || strcmp(r->proof.want_fp, r->proof.live_fp) == 0)
		return DBC_OK;
	if (only_column_order(ctx, r, &only) != DBC_OK || only)
		return ctx->failed ? DBC_ERROR : DBC_OK;
	return dbc_gen_differs(ctx, r->proof.live_json, r->proof.want_json,
	                       "the generator plans no step, yet the desired schema differs from the "
	                       "live one");
}

/* Steps up[i] (reverse down[i]) as the plan's last, and first_up[i]
 * (reverse first_down[i]) as its first, in their order: the last ones
 * find every object standing, and the down undoes them first; the first
 * ones run before anything is dropped, and the down undoes them last,
 * once it has made everything again. */
static int add_first_last(dbc_ctx *s, dbc_gen_plan *p, const dbc_strlist *up,
                          const dbc_strlist *down, const dbc_strlist *first_up,
                          const dbc_strlist *first_down)
{
	for (int i = 0; i < up->n && i < down->n; i++)
		if (!dbc_gen_add(s, p, up->items[i], down->items[i]))
			return DBC_ERROR;
	int n = p->n, nfirst = 0;
	for (int i = 0; i < first_up->n && i < first_down->n; i++, nfirst++)
		if (!dbc_gen_add(s, p, first_up->items[i], first_down->items[i]))
			return DBC_ERROR;
	if (nfirst == 0)
		return DBC_OK;
	dbc_gen_step *first = dbc_alloc(s, sizeof(dbc_gen_step) * (size_t)nfirst);
	if (!first)
		return DBC_ERROR;
	memcpy(first, p->items + n, sizeof(dbc_gen_step) * (size_t)nfirst);
	memmove(p->items + nfirst, p->items, sizeof(dbc_gen_step) * (size_t)n);
	memcpy(p->items, first, sizeof(dbc_gen_step) * (size_t)nfirst);
	return DBC_OK;
}

/* The comments the schema model does not hold (env->comments), as the
 * plan's last steps: every object stands by then, and the down sets the
 * live comments back first, before anything is dropped. The comments of
 * the objects the plan drops are the plan's first steps, each setting
 * the comment the object already has, and again as its reverse: the
 * down's last, once the object is made again. */
static int add_comments(dbc_ctx *s, const gen_run *r)
{
	dbc_strlist up = {0}, down = {0}, gone = {0};
	if (!r->env->comments || r->env->comments(s, &up, &down, &gone) != DBC_OK)
		return s->failed ? DBC_ERROR : DBC_OK;
	return add_first_last(s, r->plan, &up, &down, &gone, &gone);
}

/* Whether step statement drops relation rel (quoted, qualified) as a
 * whole: "DROP VIEW rel", "DROP MATERIALIZED VIEW rel" or "DROP TABLE rel",
 * maybe after a SET LOCAL line, the name ended there. */
static bool drops_relation(const char *statement, const char *rel)
{
	static const char *const how[] = {"DROP VIEW ", "DROP MATERIALIZED VIEW ", "DROP TABLE "};
	size_t n = strlen(rel);
	for (size_t i = 0; i < sizeof(how) / sizeof(*how); i++)
		for (const char *p = statement; (p = strstr(p, how[i])) != NULL; p++) {
			const char *at = p + strlen(how[i]);
			if ((p == statement || p[-1] == '\n') && strncmp(at, rel, n) == 0 &&
			    (at[n] == '\0' || at[n] == ';' || at[n] == ' ' || at[n] == '\n'))
				return true;
		}
	return false;
}

/* The policies and rules the model does not hold (env->row_security),
 * planned the same way: what the desired schema makes last (after the
 * functions its expressions call), what it drops first (before the
 * functions and tables under it go). One it keeps as it is on a relation
 * a step drops (a view made again, which takes its rules with it) is
 * dropped first and made again last as well, or the plan would lose it. */
static int add_row_security(dbc_ctx *s, const gen_run *r)
{
	dbc_gen_row_security rs = {0};
	if (!r->env->row_security)
		return DBC_OK;
	if (r->env->row_security(s, &rs) != DBC_OK)
		return DBC_ERROR;
	for (int k = 0; k < rs.kept_on.n; k++) {
		bool dropped = false;
		for (int i = 0; i < r->plan->n && !dropped; i++)
			dropped = drops_relation(r->plan->items[i].statement, rs.kept_on.items[k]);
		if (dropped && (dbc_strlist_add(s, &rs.first_up, rs.kept_drop.items[k]) != DBC_OK ||
		                dbc_strlist_add(s, &rs.first_down, rs.kept_make.items[k]) != DBC_OK ||
		                dbc_strlist_add(s, &rs.up, rs.kept_make.items[k]) != DBC_OK ||
		                dbc_strlist_add(s, &rs.down, rs.kept_drop.items[k]) != DBC_OK))
			return DBC_ERROR;
	}
	return add_first_last(s, r->plan, &rs.up, &rs.down, &rs.first_up, &rs.first_down);
}

/* Steps up[i] (reverse down[i]) inserted at position at of p, in order. */
static int insert_steps(dbc_ctx *s, dbc_gen_plan *p, int at, const dbc_strlist *up,
                        const dbc_strlist *down)
{
	int n = p->n;
	for (int i = 0; i < up->n && i < down->n; i++)
		if (!dbc_gen_add(s, p, up->items[i], down->items[i]))
			return DBC_ERROR;
	int added = p->n - n;
	if (added == 0 || at == n)
		return DBC_OK;
	dbc_gen_step *moved = dbc_alloc(s, sizeof(dbc_gen_step) * (size_t)added);
	if (!moved)
		return DBC_ERROR;
	memcpy(moved, p->items + n, sizeof(dbc_gen_step) * (size_t)added);
	memmove(p->items + at + added, p->items + at, sizeof(dbc_gen_step) * (size_t)(n - at));
	memcpy(p->items + at, moved, sizeof(dbc_gen_step) * (size_t)added);
	return DBC_OK;
}

/* The extensions (env->extensions): the ones the desired schema makes
 * are the plan's first steps, once the schemas they go to are made,
 * before anything that uses them; the ones it drops its last, after
 * everything that used them went (before the schemas they are in), and
 * only with allow_drop (an extension's types, functions and tables go
 * with it). */
static int add_extensions(dbc_ctx *s, const gen_run *r)
{
	dbc_strlist first_up = {0}, first_down = {0}, up = {0}, down = {0};
	if (!r->env->extensions || r->env->extensions(s, &first_up, &first_down, &up, &down) != DBC_OK)
		return s->failed ? DBC_ERROR : DBC_OK;
	if (up.n && !r->opt->allow_drop)
		return dbc_error(s, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "the desired schema drops extension %s (%s: a whole database's dump "
		                 "without it), with every object of its own: refused without "
		                 "{\"allow_drop\": true} (dbcare generate --allow-drop)",
		                 up.items[0] + strlen("DROP EXTENSION "), up.items[0]);
	dbc_gen_plan *p = r->plan;
	int made_after = 0, dropped_before = p->n; /* the schemas they go to */
	for (int i = 0; i < p->n; i++) {
		if (strncmp(p->items[i].statement, "CREATE SCHEMA ", 14) == 0)
			made_after = i + 1;
		if (strncmp(p->items[i].statement, "DROP SCHEMA ", 12) == 0 && dropped_before == p->n)
			dropped_before = i;
	}
	return insert_steps(s, p, dropped_before, &up, &down) == DBC_OK
	           ? insert_steps(s, p, made_after, &first_up, &first_down)
	           : DBC_ERROR;
}

/* The live model read again as a snapshot and its fingerprint, once
 * generate_round_trip.c has written some of its indexes as the desired
 * model has them. */
static int live_again(dbc_ctx *s, gen_run *r)
{
	char *json, *fp;
	if (dbc_schema_snapshot_json(r->live, &json) != DBC_OK ||
	    dbc_schema_fingerprint_of(s, json, &fp) != DBC_OK)
		return DBC_ERROR;
	r->proof.live_json = json;
	r->proof.live_fp = fp;
	return DBC_OK;
}

/* The desired model, read in the place. */
static int read_want(dbc_ctx *s, gen_run *r)
{
	dbc_schema_init(r->want, s);
	return s->host->read_schema(s, r->want) == DBC_OK
	           ? dbc_gen_forget_empty_schemas(s, r->proof.desired_sql, r->live, r->want)
	           : DBC_ERROR;
}

/* Inside the place where the desired schema is (scratch_desired): the
 * model read there, the plan made (its reads of the live tables go to
 * them, only SQL run and schemas read are the place's), and proved from
 * there, all in one visit. */
static int in_place(dbc_ctx *s, void *arg)
{
	gen_run *r = arg;
	bool rewritten = false, remade = false, checks_remade = false;
	/* the indexes and checks as the file writes them (read again where the place
	 * made one otherwise), the live ones its text stands for held as
	 * the same, and the text that makes each index as it reads */
	if (read_want(s, r) != DBC_OK ||
	    dbc_gen_indexes_as_written(s, r->env, r->desired, r->want, &r->index_texts, &remade) !=
	        DBC_OK ||
	    dbc_gen_checks_as_written(s, r->env, r->desired, r->want, &checks_remade) != DBC_OK ||
	    ((remade || checks_remade) && read_want(s, r) != DBC_OK) ||
	    dbc_gen_index_round_trips(s, r->env, r->live, r->want, &rewritten) != DBC_OK ||
	    (rewritten && live_again(s, r) != DBC_OK) ||
	    dbc_gen_index_texts_of(s, r->env, r->live, r->want, &r->index_texts) != DBC_OK ||
	    dbc_gen_index_texts_of(s, r->env, r->want, NULL, &r->index_texts) != DBC_OK ||
	    plan_to(s, r) != DBC_OK ||
	    dbc_gen_check_texts(s, r->env, r->live, r->want, r->plan) != DBC_OK)
		return DBC_ERROR;
	/* the rights last: an object's are given once the plan has made it,
	 * and taken back (the reverses, newest first) before it is dropped */
	dbc_gen_rights live = {0}, want = {0};
	if (r->env->rights && (r->env->rights(s, &live, &want) != DBC_OK ||
	                       dbc_gen_plan_rights(s, &live, &want, r->plan) != DBC_OK))
		return DBC_ERROR;
	/* what the model does not hold is planned before the proof, which
	 * runs it with the rest */
	if (add_row_security(s, r) != DBC_OK || add_comments(s, r) != DBC_OK ||
	    add_extensions(s, r) != DBC_OK)
		return DBC_ERROR;
	if (nothing_left_out(s, r) != DBC_OK ||
	    (r->plan->n && dbc_gen_prove_from_desired(s, r->plan, &r->proof) != DBC_OK))
		return DBC_ERROR;
	return DBC_OK;
}

int dbc_migrate_generate(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *written,
                         const char *options, dbc_rows *out)
{
	char *desired_sql = NULL; /* written, pg_dump's or the shell's framing blanked */
	dbc_gen_options opt;
	dbc_gen_desired desired = {0};
	dbc_schema live, want;
	dbc_gen_plan plan = {0};
	char *live_json, *live_fp;
	dbc_rows_init(out, ctx, 7);
	if (!env || !env->desired_schema || (!env->scratch && !env->scratch_desired))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "this engine has no migration generator");
	if (dbc_gen_read_options(ctx, options, &opt) != DBC_OK)
		return DBC_ERROR;
	/* an engine that never makes a table again for its column order
	 * (no remake_loses: SQLite, whose rebuild of a table ALTER TABLE
	 * cannot reach is the only way there) has nothing to turn off: the
	 * option would be ignored in silence, so it is refused */
	if (!opt.reorder_columns && !(env->lint && env->lint->remake_loses))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "reorder_columns false (dbcare generate --append-columns) is for "
		                 "PostgreSQL: this engine has no column reorder to turn off; a new column "
		                 "written among the others makes the table again (a checked rebuild), one "
		                 "written last is added with ALTER TABLE ADD COLUMN: write it last to "
		                 "have it appended");
	if (dbc_gen_dump_text(ctx, written, &desired_sql) != DBC_OK ||
	    dbc_gen_read_desired(ctx, desired_sql, &desired) != DBC_OK)
		return DBC_ERROR;
	dbc_schema_init(&live, ctx);
	dbc_schema_init(&want, ctx);
	if (ctx->host->read_schema(ctx, &live) != DBC_OK ||
	    dbc_schema_snapshot_json(&live, &live_json) != DBC_OK ||
	    dbc_schema_fingerprint_of(ctx, live_json, &live_fp) != DBC_OK)
		return DBC_ERROR;
	gen_run r = {.env = env,
	             .desired = &desired,
	             .opt = &opt,
	             .live = &live,
	             .want = &want,
	             .plan = &plan,
	             .proof = {.desired_sql = desired_sql, .live_json = live_json, .live_fp = live_fp}};
	if (env->scratch_desired) {
		if (env->scratch_desired(ctx, desired_sql, in_place, &r) != DBC_OK)
			return DBC_ERROR;
	} else if (env->desired_schema(ctx, desired_sql, &want) != DBC_OK ||
	           plan_to(ctx, &r) != DBC_OK || nothing_left_out(ctx, &r) != DBC_OK ||
	           (plan.n && dbc_gen_prove(ctx, env, &plan, &r.proof) != DBC_OK)) {
		return DBC_ERROR;
	}
	if (plan.n &&
	    (dbc_gen_lint(ctx, env, &plan) != DBC_OK || dbc_gen_mark_rights(ctx, &plan) != DBC_OK))
		return DBC_ERROR;
	for (int i = 0; i < plan.n; i++) {
		const dbc_gen_step *s = &plan.items[i];
		dbc_value row[7] = {
		    dbc_int(i + 1),
		    dbc_text(s->statement),
		    s->hazard ? dbc_text(s->hazard) : dbc_null(),
		    s->rows >= 0 ? dbc_int(s->rows) : dbc_null(),
		    s->lock ? dbc_text(s->lock) : dbc_null(),
		    s->reverse ? dbc_text(s->reverse) : dbc_null(),
		    dbc_bool(s->transactional),
		};
		if (dbc_rows_add(out, row) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}
