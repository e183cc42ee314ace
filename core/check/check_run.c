/*
 * check_run.c — runs the planned statements: dbcheck_constraints, dbcheck_orphans
 * and dbcheck_cleanup_orphans, also called by the health checks. Memory stays
 * flat: streamed violators are counted, only the first five keys are kept.
 */
#include "check/check.h"
#include "base/json.h"

#include <stdlib.h>
#include <string.h>

/* Whether the engine's enforcement of a valid constraint binds every stored
 * row (dbc.h: enforced_binds_rows). */
static bool enforced_binds_rows(const dbc_ctx *ctx)
{
	return ctx->host->dialect->enforced_binds_rows;
}

static json_t *json_of(const dbc_value *v)
{
	switch (v->type) {
	case DBC_INT:
		return json_integer(v->i);
	case DBC_FLOAT:
		return json_real(v->f);
	case DBC_BOOL:
		return json_boolean(v->i);
	case DBC_TEXT:
		/* a key with a NUL byte whole (\u0000), never another row's key */
		return v->nul_len ? dbc_json_strn(v->s, v->nul_len) : dbc_json_str(v->s);
	case DBC_NULL:
	default:
		return json_null();
	}
}

static int64_t int_of(const dbc_value *v)
{
	switch (v->type) {
	case DBC_INT:
	case DBC_BOOL:
		return v->i;
	case DBC_FLOAT:
		return (int64_t)v->f;
	case DBC_TEXT:
		return strtoll(v->s, NULL, 10);
	default:
		return 0;
	}
}

/* Appends a violating row's key to sample: the value itself for a one-part
 * key, else an array of its parts. */
static int add_sample_key(dbc_ctx *ctx, json_t *sample, const dbc_value *key_cols, int nkeys)
{
	json_t *key;
	if (nkeys == 1) {
		key = json_of(&key_cols[0]);
	} else {
		key = json_array();
		for (int k = 0; key && k < nkeys; k++)
			if (json_array_append_new(key, json_of(&key_cols[k])) != 0) {
				json_decref(key);
				key = NULL;
			}
	}
	if (!key || json_array_append_new(sample, key) != 0)
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return DBC_OK;
}

typedef struct run_state {
	int64_t count;
	json_t *sample; /* owned; decref'd by run_plan on every path */
	char *sample_text;
	uint64_t rows;
	bool got_row;
} run_state;

static int on_stream_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *cols)
{
	run_state *st = arg;
	if (ncol < 2)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "check query returned %d columns", ncol);
	st->count += int_of(&cols[0]);
	if (json_array_size(st->sample) < DBC_SAMPLE_MAX &&
	    add_sample_key(ctx, st->sample, &cols[1], ncol - 1) != DBC_OK)
		return DBC_ERROR;
	if ((++st->rows & 4095) == 0 && ctx->host->interrupted && ctx->host->interrupted(ctx))
		return DBC_ERROR;
	return DBC_OK;
}

static int on_aggregate_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *cols)
{
	run_state *st = arg;
	if (ncol < 2)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "check query returned %d columns", ncol);
	st->got_row = true;
	st->count = int_of(&cols[0]);
	st->sample_text = dbc_strdup(ctx, cols[1].type == DBC_TEXT ? cols[1].s : "[]");
	return st->sample_text ? DBC_OK : DBC_ERROR;
}

static int take_count(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *cols)
{
	(void)ctx;
	if (ncol >= 1)
		*(int64_t *)arg = int_of(&cols[0]);
	return DBC_OK;
}

/* Runs one statement of a plan (sql or confirm, of the plan's shape). */
static int run_sql(dbc_ctx *ctx, const dbc_check_plan *plan, const char *sql, int64_t *count,
                   char **sample)
{
	run_state st = {0};
	int rc;
	if (plan->shape == DBC_PLAN_STREAM) {
		st.sample = json_array();
		if (!st.sample)
			return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		rc = ctx->host->query(ctx, sql, 0, NULL, on_stream_row, &st);
		if (rc == DBC_OK) {
			st.sample_text = dbc_json_dump(ctx, st.sample, JSON_COMPACT);
			if (!st.sample_text)
				rc = DBC_ERROR;
		}
		json_decref(st.sample);
	} else {
		rc = ctx->host->query(ctx, sql, 0, NULL, on_aggregate_row, &st);
		if (rc == DBC_OK && !st.got_row)
			rc = dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "check query returned no row");
	}
	if (rc != DBC_OK)
		return DBC_ERROR;
	*count = st.count;
	*sample = st.sample_text;
	return DBC_OK;
}

/* Runs one plan: the number of violations and the sample as JSON text.
 * Violations are the table's: what sql finds, possibly through an index, is
 * counted again from the table's rows alone (plan->confirm), so a damaged
 * index never raises one; a clean result needs no confirmation. */
static int run_plan(dbc_ctx *ctx, const dbc_check_plan *plan, int64_t *count, char **sample)
{
	if (plan->precheck) {
		int64_t clean = 0;
		if (ctx->host->query(ctx, plan->precheck, 0, NULL, take_count, &clean) != DBC_OK)
			return DBC_ERROR;
		if (clean == 1) {
			*count = 0;
			*sample = dbc_strdup(ctx, "[]");
			return *sample ? DBC_OK : DBC_ERROR;
		}
	}
	if (run_sql(ctx, plan, plan->sql, count, sample) != DBC_OK)
		return DBC_ERROR;
	if (*count > 0 && plan->confirm)
		return run_sql(ctx, plan, plan->confirm, count, sample);
	return DBC_OK;
}

static void add_context(dbc_ctx *ctx, const char *what, const char *name, const char *table)
{
	if (!ctx->context)
		ctx->context = dbc_printf(ctx, "while checking %s %s of table %s", what, name, table);
}

static bool ignored(const dbc_check_options *opt, const dbc_table *t, const char *display)
{
	if (!opt || !opt->ignore)
		return false;
	return dbc_strlist_find(opt->ignore, display) >= 0 ||
	       dbc_strlist_find(opt->ignore, t->name) >= 0;
}

/* Tables whose rows a statement can scan: not views, virtual or foreign tables. */
static bool checkable(const dbc_table *t)
{
	return !t->kind || strcmp(t->kind, "table") == 0 || strcmp(t->kind, "partitioned table") == 0;
}

static bool same_columns(const dbc_strlist *a, const dbc_strlist *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->items[i], b->items[i]) != 0)
			return false;
	return true;
}

static bool in_primary_key(const dbc_table *t, const char *column)
{
	for (int k = 0; k < t->nconstraints; k++)
		if (t->constraints[k].kind == DBC_CON_PRIMARY_KEY &&
		    dbc_strlist_find(&t->constraints[k].columns, column) >= 0)
			return true;
	return false;
}

static const dbc_table *find_display(dbc_ctx *ctx, const dbc_schema *s, const char *display)
{
	for (int i = 0; display && i < s->ntables; i++) {
		const dbc_table *p = &s->tables[i];
		char *name = dbc_qualified_name(ctx, p->schema, p->name);
		if (name && strcmp(name, display) == 0)
			return p;
	}
	return NULL;
}

/* A constraint read torn: a foreign key without its parent's name (the
 * parent was dropped while the catalog was read, and DROP TABLE drops the
 * foreign keys that reference it) or a CHECK without its expression (its
 * table was dropped meanwhile). Skipped: it no longer exists. */
static bool dropped_while_read(const dbc_constraint *con)
{
	return (con->kind == DBC_CON_FOREIGN_KEY && !con->ref_table) ||
	       (con->kind == DBC_CON_CHECK && (!con->expr || !*con->expr));
}

/* PostgreSQL keeps derived copies of constraints under the original name:
 * a partition carries its parent's CHECK and FOREIGN KEY constraints (checking
 * the parent covers the partition's rows), and a foreign key to a partitioned
 * table gets one more row per referenced partition (checking against one
 * partition alone would call every key living in another one an orphan). */
static bool derived_copy(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                         const dbc_constraint *con)
{
	const dbc_table *parent = find_display(ctx, s, t->partition_of);
	for (int k = 0; parent && k < parent->nconstraints; k++)
		if (parent->constraints[k].kind == con->kind &&
		    strcmp(parent->constraints[k].name, con->name) == 0)
			return true;
	if (con->kind != DBC_CON_FOREIGN_KEY)
		return false;
	/* The referenced table is a partition, and the same columns also reference
	 * one of its ancestors: this is the per-partition copy. */
	const dbc_table *ref = dbc_schema_find_table(s, con->ref_schema, con->ref_table);
	for (int depth = 0; ref && ref->partition_of && depth < 32; depth++) {
		const dbc_table *up = find_display(ctx, s, ref->partition_of);
		for (int k = 0; up && k < t->nconstraints; k++) {
			const dbc_constraint *o = &t->constraints[k];
			if (o != con && o->kind == DBC_CON_FOREIGN_KEY &&
			    dbc_schema_find_table(s, o->ref_schema, o->ref_table) == up &&
			    same_columns(&o->columns, &con->columns))
				return true;
		}
		ref = up;
	}
	return false;
}

/* A partition's NOT NULL column that is NOT NULL in the parent too is
 * covered by the parent's check. */
static bool not_null_in_parent(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                               const char *column)
{
	const dbc_table *parent = find_display(ctx, s, t->partition_of);
	const dbc_column *c = parent ? dbc_table_find_column(parent, column) : NULL;
	return c && c->not_null;
}

/* A valid unique index of PostgreSQL with the constraint's name (PRIMARY KEY
 * and UNIQUE constraints are always backed by one of the same name) whose
 * keys no collation orders (dbc_index.order_fixed). */
static bool order_fixed_unique_index(const dbc_schema *s, const dbc_table *t, const char *name)
{
	for (int i = 0; i < s->nindexes; i++) {
		const dbc_index *ix = &s->indexes[i];
		if (ix->unique && ix->valid && ix->order_fixed && !ix->predicate &&
		    strcmp(ix->name, name) == 0 && ix->table && strcmp(ix->table, t->name) == 0 &&
		    (ix->schema && t->schema ? strcmp(ix->schema, t->schema) == 0
		                             : !ix->schema && !t->schema))
			return true;
	}
	return false;
}

/* True when PostgreSQL itself proves that no stored row can violate con, so
 * a scan could only find what the engine already guarantees:
 * - PRIMARY KEY / UNIQUE, not DEFERRABLE, backed by a valid (and ready)
 *   unique index whose keys are compared by value (integers, dates, uuid,
 *   enums...): the index admits no duplicate whatever triggers or
 *   session_replication_role say, and nothing outside the index can
 *   reorder it;
 * - NOT NULL (attnotnull, PostgreSQL up to 17): SET NOT NULL scans the table
 *   and every later write is checked; there is no NOT VALID form and neither
 *   disabled triggers nor replica mode bypass it.
 * Any other PRIMARY KEY and UNIQUE is scanned, from the table (the host's
 * check scope reads no index): a key ordered by a collation is what an
 * index loses entries over when the collation's order changes with a glibc
 * or ICU upgrade (the index is valid and ready, lookups miss existing keys,
 * duplicates get in), and trusting it would count 0 however many there are;
 * a deferrable one may hold duplicates until commit. What breaks an index
 * of integers is physical corruption: the health report's integrity check.
 * Foreign keys and CHECK constraints are always scanned: rows let in while RI
 * triggers were disabled or in replica mode stay behind after re-enabling,
 * and a CHECK may call a function whose definition changed since. */
static bool engine_proves(const dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                          const dbc_constraint *con)
{
	if (!enforced_binds_rows(ctx))
		return false;
	switch (con->kind) {
	case DBC_CON_PRIMARY_KEY:
	case DBC_CON_UNIQUE:
		return !con->deferrable && order_fixed_unique_index(s, t, con->name);
	case DBC_CON_NOT_NULL:
		return con->validated && con->enforced;
	default:
		return false;
	}
}

/* ------------------------------------------------------------ scopes
 * Every statement that evaluates a table's constraints runs inside the host's
 * check scope for that table (dbc.h: check_enter): on PostgreSQL the table
 * owner's rights in a security-restricted operation, and a subtransaction
 * whose locks go when the scope is left. One scope serves all the
 * constraints of a table; an error inside unwinds it, so the next
 * constraint enters again. Outside a scope no check statement runs. */
typedef struct table_batch table_batch;

typedef struct table_scope {
	const dbc_table *t;
	bool open;
	char *skip;         /* the whole table cannot be checked now: why */
	table_batch *batch; /* dbcheck_constraints: the table's one-scan results */
	bool keys_proven;   /* dbc_check_options.keys_proven */
	bool engine_fks;    /* dbc_check_engine_fks_serve: the engine's check takes its keys */
} table_scope;

static int scope_open(dbc_ctx *ctx, table_scope *sc)
{
	if (sc->open || sc->skip || !ctx->host->check_enter)
		return DBC_OK;
	if (ctx->host->check_enter(ctx, sc->t->schema, sc->t->name, false, &sc->skip) != DBC_OK)
		return DBC_ERROR;
	sc->open = !sc->skip;
	return DBC_OK;
}

static void scope_close(dbc_ctx *ctx, table_scope *sc)
{
	if (sc->open && ctx->host->check_leave)
		ctx->host->check_leave(ctx, false);
	sc->open = false;
}

/* Errors that mean "cannot be checked now", not "the call failed": the
 * table's owner may not read something the check reads (42501), the table
 * or an object it uses was dropped or altered since the schema was read
 * (42P01, 42703, 42704, 42883), or a lock the statement needed was not free
 * (55P03, 40P01). Only errors raised inside a scope are judged so. */
static bool skippable(const dbc_ctx *ctx)
{
	static const char *const states[] = {"42501", "42P01", "42703", "42704",
	                                     "42883", "55P03", "40P01"};
	if (!ctx->failed)
		return false;
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(ctx->sqlstate, states[i]) == 0)
			return true;
	return false;
}

/* Checks con (a constraint, or with orphans a foreign key or relation) of
 * table t inside scope sc: *count and *sample, or *skip with the reason the
 * check could not run. */
static int check_in_scope(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                          const dbc_constraint *con, bool orphans, table_scope *sc, int64_t *count,
                          char **sample, char **skip)
{
	dbc_check_plan plan;
	*skip = NULL;
	if (scope_open(ctx, sc) != DBC_OK)
		return DBC_ERROR;
	if (sc->skip) {
		*skip = sc->skip;
		return DBC_OK;
	}
	if (con->kind == DBC_CON_FOREIGN_KEY && ctx->host->check_lock &&
	    dbc_schema_find_table(s, con->ref_schema, con->ref_table)) {
		if (ctx->host->check_lock(ctx, con->ref_schema, con->ref_table, skip) != DBC_OK)
			return DBC_ERROR;
		if (*skip)
			return DBC_OK;
	}
	bool key = con->kind == DBC_CON_PRIMARY_KEY || con->kind == DBC_CON_UNIQUE;
	int rc = orphans                  ? dbc_check_plan_orphans(ctx, s, t, con, &plan)
	         : key && sc->keys_proven ? dbc_check_plan_proven_key(ctx, s, t, con, &plan)
	                                  : dbc_check_plan_constraint(ctx, s, t, con, &plan);
	if (rc == DBC_OK && plan.skip) {
		*skip = plan.skip;
		return DBC_OK;
	}
	if (rc == DBC_OK)
		rc = run_plan(ctx, &plan, count, sample);
	if (rc == DBC_OK)
		return DBC_OK;
	if (!ctx->host->check_enter || !skippable(ctx))
		return DBC_ERROR;
	/* The error unwound the scope: the next constraint enters again. */
	*skip = dbc_strdup(ctx, ctx->message ? ctx->message : "not checked");
	dbc_error_clear(ctx);
	scope_close(ctx, sc);
	return *skip ? DBC_OK : DBC_ERROR;
}

/* The sample of a constraint that was not checked: {"not_checked": why}. */
static char *not_checked_sample(dbc_ctx *ctx, const char *why)
{
	json_t *o = json_object();
	char *text = NULL;
	if (o && json_object_set_new(o, "not_checked", dbc_json_str(why)) == 0)
		text = dbc_json_dump(ctx, o, JSON_COMPACT);
	json_decref(o);
	if (!text && !ctx->failed)
		dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return text;
}

/* ------------------------------------------------------- one scan per table
 * A table's row-local constraints (CHECK, NOT NULL) are checked in one scan
 * of the table (dbc_check_plan_row_local) instead of one scan each, and its
 * foreign keys, where the engine has a check of its own that takes them
 * (dbc_check_engine_fks_serve), in one run of that check. The table is walked
 * twice: the first walk only collects the constraints that would be
 * scanned, in report order; the scans run; the second walk emits every row
 * in the same order as before, taking each collected constraint's result
 * from its scan. A constraint a scan did not settle (its own plan is a skip
 * or an error, the table's scope is skipped, or the scan failed: a CHECK
 * that errors at runtime, a key the engine refuses) is checked on its own
 * as before, so its row, error or not-checked reason is exactly the one its
 * own check gives and one bad constraint costs the others nothing. */
struct table_batch {
	bool collecting;
	int n, cap, next;
	dbc_constraint *cons; /* copies: some are built on the walk's stack */
	bool *done;           /* settled by the scan */
	int64_t *counts;
	char **samples;
};

static bool row_local(const dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                      const dbc_constraint *con)
{
	return (con->kind == DBC_CON_CHECK || con->kind == DBC_CON_NOT_NULL) &&
	       !engine_proves(ctx, s, t, con);
}

/* Whether con is collected for one of the table's scans. */
static bool batched(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                    const dbc_constraint *con, const table_scope *sc)
{
	return row_local(ctx, s, t, con) ||
	       (sc->engine_fks && dbc_check_engine_fk(con) && !engine_proves(ctx, s, t, con));
}

static int batch_push(dbc_ctx *ctx, table_batch *b, const dbc_constraint *con)
{
	if (dbc_grow(ctx, &b->cons, b->n, &b->cap, sizeof(*b->cons), 16) != DBC_OK)
		return DBC_ERROR;
	b->cons[b->n++] = *con;
	return DBC_OK;
}

/* Columns of the one-scan statement: n flags, then the key parts. */
typedef struct batch_state {
	int n;
	int64_t *counts;
	json_t **samples;
	uint64_t rows;
} batch_state;

static int on_batch_stream_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *cols)
{
	batch_state *st = arg;
	int nkeys = ncol - st->n;
	if (nkeys < 1)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "check query returned %d columns", ncol);
	for (int i = 0; i < st->n; i++) {
		if (int_of(&cols[i]) == 0)
			continue;
		st->counts[i]++;
		if (json_array_size(st->samples[i]) >= DBC_SAMPLE_MAX)
			continue;
		if (add_sample_key(ctx, st->samples[i], &cols[st->n], nkeys) != DBC_OK)
			return DBC_ERROR;
	}
	if ((++st->rows & 4095) == 0 && ctx->host->interrupted && ctx->host->interrupted(ctx))
		return DBC_ERROR;
	return DBC_OK;
}

typedef struct batch_aggregate {
	int n;
	int64_t *counts;
	char **samples;
	bool got_row;
} batch_aggregate;

static int on_batch_aggregate_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *cols)
{
	batch_aggregate *st = arg;
	if (ncol != 2 * st->n)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "check query returned %d columns", ncol);
	st->got_row = true;
	for (int i = 0; i < st->n; i++) {
		st->counts[i] = int_of(&cols[2 * i]);
		st->samples[i] =
		    dbc_strdup(ctx, cols[2 * i + 1].type == DBC_TEXT ? cols[2 * i + 1].s : "[]");
		if (!st->samples[i])
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* Runs plan for the constraints at idx[0..m) of b: their counts and samples. */
static int run_batch_plan(dbc_ctx *ctx, const dbc_check_plan *plan, table_batch *b, const int *idx,
                          int m)
{
	int64_t *counts = dbc_zalloc(ctx, sizeof(int64_t) * (size_t)m);
	char **texts = dbc_zalloc(ctx, sizeof(char *) * (size_t)m);
	if (!counts || !texts)
		return DBC_ERROR;
	int rc;
	if (plan->shape == DBC_PLAN_STREAM) {
		json_t **samples = dbc_zalloc(ctx, sizeof(json_t *) * (size_t)m);
		if (!samples)
			return DBC_ERROR;
		rc = DBC_OK;
		for (int i = 0; i < m && rc == DBC_OK; i++)
			if (!(samples[i] = json_array()))
				rc = dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		batch_state st = {m, counts, samples, 0};
		if (rc == DBC_OK)
			rc = ctx->host->query(ctx, plan->sql, 0, NULL, on_batch_stream_row, &st);
		for (int i = 0; i < m && rc == DBC_OK; i++)
			if (!(texts[i] = dbc_json_dump(ctx, samples[i], JSON_COMPACT)))
				rc = DBC_ERROR;
		for (int i = 0; i < m; i++)
			json_decref(samples[i]);
	} else {
		batch_aggregate st = {m, counts, texts, false};
		rc = ctx->host->query(ctx, plan->sql, 0, NULL, on_batch_aggregate_row, &st);
		if (rc == DBC_OK && !st.got_row)
			rc = dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "check query returned no row");
	}
	if (rc != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < m; i++) {
		b->done[idx[i]] = true;
		b->counts[idx[i]] = counts[i];
		b->samples[idx[i]] = texts[i];
	}
	return DBC_OK;
}

static bool cancelled(dbc_ctx *ctx)
{
	return strcmp(ctx->sqlstate, DBC_SQLSTATE_CANCELED) == 0 ||
	       (ctx->host->interrupted && ctx->host->interrupted(ctx));
}

/* Settles what it can of the collected constraints of one kind (foreign
 * keys, or the row-local ones) with one scan. Row-local constraints need
 * two to gain anything; one foreign key gains the engine's check. */
static int run_group(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t, table_scope *sc,
                     table_batch *b, bool fks)
{
	int *idx = dbc_zalloc(ctx, sizeof(int) * (size_t)b->n);
	const dbc_constraint **cons = dbc_zalloc(ctx, sizeof(*cons) * (size_t)b->n);
	if (!idx || !cons)
		return DBC_ERROR;
	int least = fks ? 1 : 2;
	/* Only constraints whose own plan is a scan join it: a skip (the host
	 * refused the expression) or a planning error is left to the second
	 * walk, which reports it as before. */
	int m = 0;
	for (int i = 0; i < b->n; i++) {
		if ((b->cons[i].kind == DBC_CON_FOREIGN_KEY) != fks)
			continue;
		dbc_check_plan own;
		if (dbc_check_plan_constraint(ctx, s, t, &b->cons[i], &own) != DBC_OK) {
			if (cancelled(ctx))
				return DBC_ERROR;
			dbc_error_clear(ctx);
			continue;
		}
		if (own.skip)
			continue;
		idx[m] = i;
		cons[m++] = &b->cons[i];
	}
	if (m < least)
		return DBC_OK;
	if (scope_open(ctx, sc) != DBC_OK)
		return DBC_ERROR;
	if (sc->skip)
		return DBC_OK; /* each reports the table's reason */
	dbc_check_plan plan;
	int planned = fks ? dbc_check_plan_engine_fks(ctx, s, t, cons, m, &plan)
	                  : dbc_check_plan_row_local(ctx, s, t, cons, m, &plan);
	if (planned == DBC_OK && run_batch_plan(ctx, &plan, b, idx, m) == DBC_OK)
		return DBC_OK;
	if (cancelled(ctx))
		return DBC_ERROR;
	/* One of them errors on some row (or the scan could not run): each is
	 * checked on its own. An error inside a scope unwound it. */
	for (int i = 0; i < m; i++)
		b->done[idx[i]] = false;
	dbc_error_clear(ctx);
	if (ctx->host->check_enter)
		scope_close(ctx, sc);
	return DBC_OK;
}

static int run_batch(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t, table_scope *sc,
                     table_batch *b)
{
	if (b->n < 1)
		return DBC_OK;
	b->done = dbc_zalloc(ctx, sizeof(bool) * (size_t)b->n);
	b->counts = dbc_zalloc(ctx, sizeof(int64_t) * (size_t)b->n);
	b->samples = dbc_zalloc(ctx, sizeof(char *) * (size_t)b->n);
	if (!b->done || !b->counts || !b->samples)
		return DBC_ERROR;
	if (run_group(ctx, s, t, sc, b, false) != DBC_OK)
		return DBC_ERROR;
	return run_group(ctx, s, t, sc, b, true);
}

static int check_one(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t, const char *display,
                     const dbc_constraint *con, table_scope *sc, dbc_check_findings *out)
{
	int64_t count = 0;
	char *sample = "[]";
	char *skip = NULL;
	table_batch *b = sc->batch;
	int slot = -1;
	if (b && b->collecting)
		return batched(ctx, s, t, con, sc) ? batch_push(ctx, b, con) : DBC_OK;
	if (b && batched(ctx, s, t, con, sc)) {
		slot = b->next++;
		if (slot >= b->n || b->cons[slot].kind != con->kind ||
		    strcmp(b->cons[slot].name, con->name) != 0)
			return dbc_error(ctx, DBC_SQLSTATE_INTERNAL,
			                 "constraint %s of table %s was not collected", con->name, display);
	}
	if (engine_proves(ctx, s, t, con)) {
		/* reported as checked with no violation: the engine's proof, not a scan */
	} else if (slot >= 0 && b->done && b->done[slot]) {
		count = b->counts[slot];
		sample = b->samples[slot];
	} else if (check_in_scope(ctx, s, t, con, false, sc, &count, &sample, &skip) != DBC_OK) {
		add_context(ctx, "constraint", con->name, display);
		return DBC_ERROR;
	}
	if (skip && !(sample = not_checked_sample(ctx, skip)))
		return DBC_ERROR;
	dbc_check_finding f = {.table = display,
	                       .name = con->name,
	                       .kind = dbc_constraint_kind_name(con->kind),
	                       .checked = !skip,
	                       .count = skip ? 0 : count,
	                       .sample = sample};
	if (dbc_check_findings_add(ctx, out, &f) != DBC_OK)
		return DBC_ERROR;
	if (ctx->host->interrupted && ctx->host->interrupted(ctx))
		return DBC_ERROR;
	return DBC_OK;
}

/* Catalogs keep NOT NULL as a column flag (SQLite, PostgreSQL before 18):
 * each such column is checked as a constraint named <table>_<column>_not_null
 * unless the model already lists one for it. */
static int check_not_null_columns(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                                  const char *display, const dbc_check_options *opt,
                                  table_scope *sc, dbc_check_findings *out)
{
	if (opt && opt->skip_trusted)
		return DBC_OK; /* the engine always enforces a NOT NULL column */
	for (int i = 0; i < t->ncolumns; i++) {
		const dbc_column *col = &t->columns[i];
		if (!col->not_null || col->hidden)
			continue;
		bool listed = false;
		for (int k = 0; k < t->nconstraints; k++)
			if (t->constraints[k].kind == DBC_CON_NOT_NULL && t->constraints[k].columns.n == 1 &&
			    strcmp(t->constraints[k].columns.items[0], col->name) == 0)
				listed = true;
		/* a primary key check already counts its NULL keys */
		if (listed || in_primary_key(t, col->name) || not_null_in_parent(ctx, s, t, col->name))
			continue;
		dbc_constraint con = {0};
		con.kind = DBC_CON_NOT_NULL;
		con.name = dbc_printf(ctx, "%s_%s_not_null", t->name, col->name);
		con.validated = con.enforced = true;
		if (!con.name || dbc_strlist_add(ctx, &con.columns, col->name) != DBC_OK ||
		    check_one(ctx, s, t, display, &con, sc, out) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* SQLite's unique indexes made with CREATE UNIQUE INDEX belong to no
 * constraint, yet enforce uniqueness as much as a UNIQUE constraint does (a
 * file written by another tool, or edited, can hold duplicates): each is
 * checked as kind unique, named by the index. An index with an expression
 * key is left to PRAGMA integrity_check, which reports its duplicates
 * ("non-unique entry in index"): the model keeps no expression text.
 * PostgreSQL's valid unique indexes prove themselves (engine_proves). */
static int check_unique_indexes(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                                const char *display, table_scope *sc, dbc_check_findings *out)
{
	if (enforced_binds_rows(ctx))
		return DBC_OK;
	for (int i = 0; i < s->nindexes; i++) {
		const dbc_index *ix = &s->indexes[i];
		if (!ix->unique || ix->constraint || ix->schema || !ix->table ||
		    strcmp(ix->table, t->name) != 0 || t->schema ||
		    dbc_strlist_find(&ix->keys, "(expression)") >= 0)
			continue;
		dbc_constraint con = {0};
		con.kind = DBC_CON_UNIQUE;
		con.name = ix->name;
		con.columns = ix->keys;
		con.validated = con.enforced = true;
		con.from_index = ix;
		if (check_one(ctx, s, t, display, &con, sc, out) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

static int kind_rank(dbc_constraint_kind k)
{
	switch (k) {
	case DBC_CON_PRIMARY_KEY:
		return 0;
	case DBC_CON_UNIQUE:
		return 1;
	case DBC_CON_FOREIGN_KEY:
		return 2;
	case DBC_CON_CHECK:
		return 3;
	case DBC_CON_NOT_NULL:
		return 4;
	default:
		return 5;
	}
}

static int by_kind_and_name(const void *a, const void *b)
{
	const dbc_constraint *x = *(const dbc_constraint *const *)a;
	const dbc_constraint *y = *(const dbc_constraint *const *)b;
	int d = kind_rank(x->kind) - kind_rank(y->kind);
	return d ? d : strcmp(x->name, y->name);
}

/* Rows come out in a stable order whatever order the catalog listed them in. */
static const dbc_constraint **sorted_constraints(dbc_ctx *ctx, const dbc_table *t)
{
	if (!t->nconstraints)
		return NULL;
	const dbc_constraint **order = dbc_alloc(ctx, sizeof(*order) * (size_t)t->nconstraints);
	if (!order)
		return NULL;
	for (int k = 0; k < t->nconstraints; k++)
		order[k] = &t->constraints[k];
	qsort(order, (size_t)t->nconstraints, sizeof(*order), by_kind_and_name);
	return order;
}

/* Calls visit for every table the options select (one table, not ignored,
 * checkable), with its display name and its constraints in report order. */
typedef int (*table_visit)(dbc_ctx *ctx, void *arg, const dbc_table *t, const char *display,
                           const dbc_constraint **order);

static int each_selected_table(dbc_ctx *ctx, const dbc_schema *s, const dbc_check_options *opt,
                               const dbc_table *only, table_visit visit, void *arg)
{
	for (int i = 0; i < s->ntables; i++) {
		const dbc_table *t = &s->tables[i];
		if ((only && t != only) || !checkable(t))
			continue;
		char *display = dbc_qualified_name(ctx, t->schema, t->name);
		if (!display)
			return DBC_ERROR;
		if (ignored(opt, t, display))
			continue;
		const dbc_constraint **order = sorted_constraints(ctx, t);
		if (t->nconstraints && !order)
			return DBC_ERROR;
		if (visit(ctx, arg, t, display, order) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

typedef struct check_walk {
	const dbc_schema *s;
	const dbc_check_options *opt;
	unsigned kinds;
	dbc_check_findings *out;
	dbc_domain_checks domains; /* dbc_host.domain_checks'; none without the hook */
} check_walk;

/* A domain CHECK added NOT VALID constrains every column of that domain:
 * each (column, domain constraint) is checked as a CHECK of the table named
 * by the domain constraint, its test the host's (the domain's code, run
 * with the domain owner's rights). A partition's rows are checked through
 * its partitioned parent, whose columns have the same types. Columns of
 * arrays or composites over a domain are not checked. */
static int check_domain_columns(dbc_ctx *ctx, const check_walk *w, const dbc_table *t,
                                const char *display, table_scope *sc)
{
	if (t->partition_of)
		return DBC_OK;
	for (int r = 0; r < w->domains.n; r++) {
		const dbc_domain_check *d = &w->domains.items[r];
		if (!t->schema || strcmp(d->schema, t->schema) != 0 || strcmp(d->table, t->name) != 0)
			continue;
		dbc_constraint con = {0};
		con.kind = DBC_CON_CHECK;
		con.name = d->name;
		con.expr = d->test;
		con.enforced = true; /* every write checks it; old rows were never */
		if (dbc_strlist_add(ctx, &con.columns, d->column) != DBC_OK ||
		    check_one(ctx, w->s, t, display, &con, sc, w->out) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* One walk over the table's constraints in report order (see table_batch). */
static int walk_table(dbc_ctx *ctx, const check_walk *w, const dbc_table *t, const char *display,
                      const dbc_constraint **order, table_scope *sc)
{
	int rc = DBC_OK;
	for (int k = 0; rc == DBC_OK && k < t->nconstraints; k++) {
		const dbc_constraint *con = order[k];
		if (con->kind == DBC_CON_EXCLUDE || !(w->kinds & DBC_CHECK_KIND(con->kind)) ||
		    dropped_while_read(con))
			continue;
		if (w->opt && w->opt->skip_trusted && con->validated && con->enforced)
			continue;
		if (derived_copy(ctx, w->s, t, con))
			continue;
		rc = check_one(ctx, w->s, t, display, con, sc, w->out);
	}
	if (rc == DBC_OK && (w->kinds & DBC_CHECK_KIND(DBC_CON_CHECK)))
		rc = check_domain_columns(ctx, w, t, display, sc);
	if (rc == DBC_OK && (w->kinds & DBC_CHECK_KIND(DBC_CON_UNIQUE)) &&
	    !(w->opt && w->opt->skip_trusted))
		rc = check_unique_indexes(ctx, w->s, t, display, sc, w->out);
	if (rc == DBC_OK && (w->kinds & DBC_CHECK_KIND(DBC_CON_NOT_NULL)))
		rc = check_not_null_columns(ctx, w->s, t, display, w->opt, sc, w->out);
	return rc;
}

static int check_table(dbc_ctx *ctx, void *arg, const dbc_table *t, const char *display,
                       const dbc_constraint **order)
{
	check_walk *w = arg;
	table_batch batch = {.collecting = true};
	table_scope sc = {.t = t,
	                  .batch = &batch,
	                  .keys_proven = w->opt && w->opt->keys_proven,
	                  .engine_fks = dbc_check_engine_fks_serve(ctx, w->s, t)};
	int rc = walk_table(ctx, w, t, display, order, &sc);
	batch.collecting = false;
	if (rc == DBC_OK)
		rc = run_batch(ctx, w->s, t, &sc, &batch);
	if (rc == DBC_OK)
		rc = walk_table(ctx, w, t, display, order, &sc);
	/* leaving releases the table's locks: a call over 10,000 tables holds
	 * the locks of one table at a time */
	scope_close(ctx, &sc);
	return rc;
}

int dbc_check_constraint_findings(dbc_ctx *ctx, const dbc_schema *s, const dbc_check_options *opt,
                                  dbc_check_findings *out)
{
	const dbc_table *only = NULL;
	if (opt && opt->table && dbc_check_find_table(ctx, s, opt->table, "table", &only) != DBC_OK)
		return DBC_ERROR;
	check_walk w = {s, opt, opt && opt->kinds ? opt->kinds : DBC_CHECK_KINDS_ALL, out, {0}};
	if ((w.kinds & DBC_CHECK_KIND(DBC_CON_CHECK)) && ctx->host->domain_checks &&
	    ctx->host->domain_checks(ctx, &w.domains) != DBC_OK)
		return DBC_ERROR;
	return each_selected_table(ctx, s, opt, only, check_table, &w);
}

/* One foreign key or declared relation, seen as a MATCH SIMPLE foreign key. */
typedef struct orphan_item {
	const dbc_table *child;
	dbc_constraint con;
	const char *child_display;
	char *parent_display;
	bool parent_missing;
} orphan_item;

typedef struct orphan_list {
	orphan_item *items;
	int n;
	int cap;
} orphan_list;

static orphan_item *orphan_push(dbc_ctx *ctx, orphan_list *l)
{
	if (dbc_grow(ctx, &l->items, l->n, &l->cap, sizeof(orphan_item), 16) != DBC_OK)
		return NULL;
	orphan_item *it = &l->items[l->n++];
	memset(it, 0, sizeof(*it));
	return it;
}

/* A declared relation must still fit the schema: tables and columns exist. */
static int relation_fits(dbc_ctx *ctx, const dbc_schema *s, const dbc_relation *r,
                         const dbc_table **child, bool *parent_missing)
{
	char *cname = dbc_qualified_name(ctx, r->child_schema, r->child_table);
	*child = dbc_schema_find_table(s, r->child_schema, r->child_table);
	const dbc_table *parent = dbc_schema_find_table(s, r->parent_schema, r->parent_table);
	*parent_missing = parent == NULL;
	const char *missing = NULL;
	if (!*child)
		missing = dbc_printf(ctx, "table %s", cname);
	for (int i = 0; !missing && i < r->child_columns.n; i++)
		if (!dbc_table_find_column(*child, r->child_columns.items[i]))
			missing = dbc_printf(ctx, "column %s.%s", cname, r->child_columns.items[i]);
	for (int i = 0; !missing && parent && i < r->parent_columns.n; i++)
		if (!dbc_table_find_column(parent, r->parent_columns.items[i]))
			missing = dbc_printf(ctx, "column %s.%s",
			                     dbc_qualified_name(ctx, r->parent_schema, r->parent_table),
			                     r->parent_columns.items[i]);
	if (!missing)
		return DBC_OK;
	dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "relation \"%s\" names %s, which no longer exists",
	          r->name, missing);
	dbc_error_hint(ctx, "Drop the relation with dbcheck_drop_relation and declare it again.");
	return DBC_ERROR;
}

typedef struct orphan_walk {
	const dbc_schema *s;
	orphan_list *l;
} orphan_walk;

static int collect_table_fks(dbc_ctx *ctx, void *arg, const dbc_table *t, const char *display,
                             const dbc_constraint **order)
{
	orphan_walk *w = arg;
	for (int k = 0; k < t->nconstraints; k++) {
		const dbc_constraint *con = order[k];
		if (con->kind != DBC_CON_FOREIGN_KEY || dropped_while_read(con) ||
		    derived_copy(ctx, w->s, t, con))
			continue;
		orphan_item *it = orphan_push(ctx, w->l);
		if (!it)
			return DBC_ERROR;
		it->child = t;
		it->con = *con;
		it->child_display = display;
		it->parent_display = dbc_qualified_name(ctx, con->ref_schema, con->ref_table);
		it->parent_missing = !dbc_schema_find_table(w->s, con->ref_schema, con->ref_table);
		if (!it->parent_display)
			return DBC_ERROR;
	}
	return DBC_OK;
}

static int collect_orphan_items(dbc_ctx *ctx, const dbc_schema *s, const dbc_check_options *opt,
                                orphan_list *l)
{
	const dbc_table *only = NULL;
	if (opt && opt->table && dbc_check_find_table(ctx, s, opt->table, "table", &only) != DBC_OK)
		return DBC_ERROR;
	orphan_walk w = {s, l};
	if (!(opt && opt->relations_only) &&
	    each_selected_table(ctx, s, opt, only, collect_table_fks, &w) != DBC_OK)
		return DBC_ERROR;
	dbc_relation *rels;
	int nrels;
	if (dbc_relations_load(ctx, &rels, &nrels) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < nrels; i++) {
		const dbc_relation *r = &rels[i];
		const dbc_table *child;
		bool parent_missing;
		if (relation_fits(ctx, s, r, &child, &parent_missing) != DBC_OK)
			return DBC_ERROR;
		char *display = dbc_qualified_name(ctx, child->schema, child->name);
		if (!display)
			return DBC_ERROR;
		if ((only && child != only) || ignored(opt, child, display))
			continue;
		orphan_item *it = orphan_push(ctx, l);
		if (!it)
			return DBC_ERROR;
		it->child = child;
		if (dbc_relation_as_constraint(ctx, r, &it->con) != DBC_OK)
			return DBC_ERROR;
		it->child_display = display;
		it->parent_display = dbc_qualified_name(ctx, r->parent_schema, r->parent_table);
		it->parent_missing = parent_missing;
		if (!it->parent_display)
			return DBC_ERROR;
	}
	return DBC_OK;
}

int dbc_check_orphan_findings(dbc_ctx *ctx, const dbc_schema *s, const dbc_check_options *opt,
                              dbc_check_findings *out)
{
	orphan_list l = {0};
	if (collect_orphan_items(ctx, s, opt, &l) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < l.n; i++) {
		orphan_item *it = &l.items[i];
		table_scope sc = {.t = it->child};
		int64_t count = 0;
		char *sample = "[]";
		char *skip = NULL;
		int rc = check_in_scope(ctx, s, it->child, &it->con, true, &sc, &count, &sample, &skip);
		scope_close(ctx, &sc);
		if (rc != DBC_OK) {
			add_context(ctx, "relation", it->con.name, it->child_display);
			return DBC_ERROR;
		}
		if (skip && !(sample = not_checked_sample(ctx, skip)))
			return DBC_ERROR;
		dbc_check_finding f = {.table = it->child_display,
		                       .name = it->con.name,
		                       .parent = it->parent_display,
		                       .checked = !skip,
		                       .count = skip ? 0 : count,
		                       .sample = sample};
		if (dbc_check_findings_add(ctx, out, &f) != DBC_OK)
			return DBC_ERROR;
		if (ctx->host->interrupted && ctx->host->interrupted(ctx))
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* One item's DELETE, in the host's check scope with keep: the child table's
 * owner runs the comparison (its casts and operators), the caller must be
 * allowed to delete from the child and read the parent. */
static int delete_one(dbc_ctx *ctx, const dbc_schema *s, const orphan_item *it, int64_t *n)
{
	const dbc_table *t = it->child;
	char *sql, *skip = NULL;
	int rc;
	if (ctx->host->check_enter) {
		if (ctx->host->check_enter(ctx, t->schema, t->name, true, &skip) != DBC_OK)
			return DBC_ERROR;
		if (!skip &&
		    ctx->host->check_lock(ctx, it->con.ref_schema, it->con.ref_table, &skip) != DBC_OK) {
			ctx->host->check_leave(ctx, false);
			return DBC_ERROR;
		}
		if (skip) {
			ctx->host->check_leave(ctx, false);
			dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "cannot delete the orphans of %s now",
			          it->con.name);
			dbc_error_detail(ctx, "%s", skip);
			dbc_error_hint(ctx, "Try again when the DDL on those tables is done.");
			return DBC_ERROR;
		}
	}
	rc = dbc_check_plan_delete(ctx, s, t, &it->con, &sql);
	const char *changes = ctx->host->dialect->changes_query;
	if (rc == DBC_OK && !changes) {
		rc = ctx->host->query(ctx, sql, 0, NULL, take_count, n);
	} else if (rc == DBC_OK) {
		rc = ctx->host->query(ctx, sql, 0, NULL, NULL, NULL);
		if (rc == DBC_OK)
			rc = ctx->host->query(ctx, changes, 0, NULL, take_count, n);
	}
	if (ctx->host->check_leave)
		ctx->host->check_leave(ctx, rc == DBC_OK);
	return rc;
}

static int delete_all(dbc_ctx *ctx, const dbc_schema *s, const orphan_list *l, int64_t *count)
{
	for (int i = 0; i < l->n; i++) {
		const orphan_item *it = &l->items[i];
		int64_t n = 0;
		if (delete_one(ctx, s, it, &n) != DBC_OK) {
			add_context(ctx, "relation", it->con.name, it->child_display);
			return DBC_ERROR;
		}
		*count += n;
	}
	return DBC_OK;
}

int dbc_check_cleanup_orphans(dbc_ctx *ctx, const dbc_schema *s, bool dry_run, int64_t *count)
{
	*count = 0;
	if (dry_run) {
		dbc_check_findings found = {0};
		if (dbc_check_orphan_findings(ctx, s, NULL, &found) != DBC_OK)
			return DBC_ERROR;
		for (int i = 0; i < found.n; i++)
			*count += found.items[i].count;
		return DBC_OK;
	}
	orphan_list l = {0};
	if (collect_orphan_items(ctx, s, NULL, &l) != DBC_OK)
		return DBC_ERROR;
	/* Without its parent table every child row would count as an orphan:
	 * that is a broken schema to repair, not rows to delete. */
	for (int i = 0; i < l.n; i++)
		if (l.items[i].parent_missing) {
			dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
			          "refusing to delete orphans of %s: its parent table %s does not exist",
			          l.items[i].con.name, l.items[i].parent_display);
			dbc_error_hint(ctx, "Create the parent table, or drop the foreign key or relation.");
			return DBC_ERROR;
		}
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	if (delete_all(ctx, s, &l, count) != DBC_OK) {
		ctx->host->rollback(ctx, level);
		*count = 0;
		return DBC_ERROR;
	}
	return ctx->host->release(ctx, level);
}
