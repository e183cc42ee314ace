/*
 * retain_export.c — the source database's half of an archive policy whose
 * archive is another database (target "archive-db:NAME"; docs/retention.md,
 * "Archives in another database"). The command moves each batch in stages,
 * each a transaction of its own in one of the two databases, so a kill at
 * any moment leaves a state the next run finishes exactly once:
 *
 *   picked    dbretain_export_next recorded the batch (its key, its rows'
 *             identities in retain_batch_rows, their count and content
 *             hash) and handed over the rows as JSON lines; the archive
 *             stores them under the batch key (an upsert: storing again is
 *             a no-op, a changed batch replaces the old copy).
 *   verified  dbretain_export_mark: the archive read back the count and
 *             hash this database recorded.
 *   done      dbretain_export_delete deleted exactly those rows: the rows
 *             it deletes (RETURNING) must have the recorded count and hash,
 *             or the delete is undone and the batch is picked again from
 *             the rows as they are now (stage picked), to be stored again.
 *
 * Invariant: a row leaves the source only in a transaction that marks its
 * batch done, and only when the archive holds a copy with the same content
 * (the verified hash); a batch of one policy is in at most one of the
 * stages picked and verified at a time.
 */
#include "base/json.h"
#include "retain/archive_codec.h"
#include "retain/retain_policy.h"
#include "settings/settings.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BATCHES    "retain_batches"
#define BATCH_ROWS "retain_batch_rows"
#define POLICIES   "retain_policies"

/* ------------------------------------------------------------ the rows */

static json_t *value_json(const dbc_value *v)
{
	switch (v->type) {
	case DBC_INT:
		return json_integer(v->i);
	case DBC_FLOAT:
		return isfinite(v->f) ? json_real(v->f) : json_string(isnan(v->f) ? "NaN" : "Infinity");
	case DBC_BOOL:
		return json_boolean(v->i != 0);
	case DBC_TEXT:
		return v->nul_len ? dbc_json_strn(v->s, v->nul_len) : dbc_json_str(v->s);
	case DBC_NULL:
	default:
		return json_null();
	}
}

typedef struct rows_acc {
	const dbc_table *t;
	dbc_buf lines;
	dbc_rows_hash h;
} rows_acc;

/* One row as a JSON object of its columns in the table's order: the line
 * the archive keeps and the hash covers. */
static int take_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	rows_acc *a = arg;
	json_t *o = json_object();
	for (int i = 0; o && i < ncol && i < a->t->ncolumns; i++)
		if (!dbc_json_set(o, a->t->columns[i].name, value_json(&c[i]))) {
			json_decref(o);
			o = NULL;
		}
	char *line = o ? dbc_json_dump(ctx, o, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
	json_decref(o);
	if (!line)
		return ctx->failed ? DBC_ERROR
		                   : dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if (a->h.rows)
		dbc_buf_appendc(&a->lines, '\n');
	dbc_buf_append(&a->lines, line);
	return dbc_rows_hash_add(ctx, &a->h, line, strlen(line));
}

/* The columns of the source, quoted, comma-separated, each after prefix
 * ("s." in a SELECT; "" in RETURNING, which SQLite wants unqualified). */
static char *columns_of(dbc_ctx *ctx, const dbc_table *t, const char *prefix)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < t->ncolumns; i++)
		dbc_buf_appendf(&b, "%s%s%s", i ? ", " : "", prefix,
		                ctx->host->quote_ident(ctx, t->columns[i].name));
	return dbc_buf_finish(&b);
}

/* "s.<row id> is one of batch $2's rows" */
static char *in_batch(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_policy_ctx *pc)
{
	char *sub = dbc_printf(ctx,
	                       "SELECT CAST(k.row_key AS %s) FROM %s" BATCH_ROWS " AS k "
	                       "WHERE k.batch_id = $2",
	                       ctx->host->dialect->row_id_type, ctx->host->book_prefix);
	char *id = dbc_printf(ctx, "s.%s", pc->row_id);
	return sub && id ? eng->rows_in(ctx, id, sub) : NULL;
}

/* The rows of batch $2 that are still there and still due, over alias s
 * (and with among, those of them it locked: $3), that the one rule
 * removes: the rows it archives are the rows its delete takes. */
static char *batch_removable(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_policy_ctx *pc,
                             const char *among)
{
	char *in = in_batch(ctx, eng, pc);
	char *cands = in ? dbc_printf(ctx, "SELECT s.%s FROM %s%s AS s WHERE %s AND %s%s%s", pc->row_id,
	                              dbc_retain_only(ctx), pc->qt, in, pc->due, among ? " AND " : "",
	                              among ? among : "")
	                 : NULL;
	return dbc_retain_removable(ctx, eng, pc, cands);
}

/* The batch's rows that are still there, still due and removed by the
 * rule: as JSON lines with their count and hash. */
static int read_batch(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_policy_ctx *pc,
                      int64_t batch_id, rows_acc *a)
{
	memset(a, 0, sizeof(*a));
	a->t = pc->t;
	dbc_buf_init(&a->lines, ctx);
	dbc_buf_append(&a->lines, "");
	char *rows = batch_removable(ctx, eng, pc, NULL), *cols = columns_of(ctx, pc->t, "s.");
	char *sql = rows && cols ? dbc_printf(ctx, "SELECT %s FROM %s%s AS s WHERE %s", cols,
	                                      dbc_retain_only(ctx), pc->qt, rows)
	                         : NULL;
	dbc_value v[2] = {dbc_text(pc->cutoff), dbc_int(batch_id)};
	return sql ? ctx->host->query(ctx, sql, 2, v, take_row, a) : DBC_ERROR;
}

/* ----------------------------------------------------------- the state */

typedef struct batch_state {
	bool found;
	int64_t id, rows;
	char *key, *stage, *hash, *fingerprint;
} batch_state;

static int take_state(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	batch_state *b = arg;
	(void)ncol;
	b->found = true;
	b->id = c[0].type == DBC_INT ? c[0].i : strtoll(c[0].s ? c[0].s : "0", NULL, 10);
	b->key = c[1].type == DBC_TEXT ? dbc_strdup(ctx, c[1].s) : NULL;
	b->stage = c[2].type == DBC_TEXT ? dbc_strdup(ctx, c[2].s) : NULL;
	b->rows = c[3].type == DBC_INT ? c[3].i : strtoll(c[3].s ? c[3].s : "0", NULL, 10);
	b->hash = c[4].type == DBC_TEXT ? dbc_strdup(ctx, c[4].s) : NULL;
	b->fingerprint = c[5].type == DBC_TEXT ? dbc_strdup(ctx, c[5].s) : NULL;
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

/* The policy's batch that is picked or verified (there is at most one), or
 * batch id when id > 0 (any stage). */
static int load_state(dbc_ctx *ctx, const char *policy, int64_t id, batch_state *b)
{
	memset(b, 0, sizeof(*b));
	char *sql = dbc_printf(
	    ctx,
	    "SELECT batch_id, batch_key, stage, row_count, hash, fingerprint FROM %s" BATCHES
	    " WHERE policy = $1 AND %s ORDER BY batch_id LIMIT 1",
	    ctx->host->book_prefix, id > 0 ? "batch_id = $2" : "stage IN ('picked', 'verified')");
	dbc_value v[2] = {dbc_text(policy), dbc_int(id)};
	return sql ? ctx->host->query(ctx, sql, id > 0 ? 2 : 1, v, take_state, b) : DBC_ERROR;
}

static int set_state(dbc_ctx *ctx, int64_t id, const char *stage, int64_t rows, const char *hash)
{
	char *sql = dbc_printf(ctx,
	                       "UPDATE %s" BATCHES " SET stage = $2, row_count = $3, hash = $4, "
	                       "changed_at = %s WHERE batch_id = $1",
	                       ctx->host->book_prefix, ctx->host->dialect->now);
	dbc_value v[4] = {dbc_int(id), dbc_text(stage), dbc_int(rows), dbc_text(hash)};
	return sql ? ctx->host->query(ctx, sql, 4, v, NULL, NULL) : DBC_ERROR;
}

/* ------------------------------------------------------- the policy */

/* The policy, resolved, its cutoff computed, checked as an apply checks
 * it (cascades, other roles' code), its turn taken. */
static int open_policy(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *name,
                       dbc_policies *ps, dbc_schema *s, dbc_policy_ctx *pc)
{
	if (dbc_book_ensure_part(ctx, "retain") != DBC_OK || dbc_retain_load(ctx, name, ps) != DBC_OK)
		return DBC_ERROR;
	const dbc_policy *p = &ps->items[0];
	if (!dbc_retain_external(p)) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "retention policy \"%s\" does not archive into another database", p->name);
		dbc_error_hint(ctx, "dbretain_apply moves its rows.");
		return DBC_ERROR;
	}
	if (eng->policy_lock && eng->policy_lock(ctx, p->name) != DBC_OK)
		return DBC_ERROR;
	dbc_schema_init(s, ctx);
	char *what = dbc_printf(ctx, "retention policy \"%s\"", p->name);
	if (!what || ctx->host->read_schema(ctx, s) != DBC_OK ||
	    dbc_policy_resolve(ctx, eng, s, p, true, pc) != DBC_OK ||
	    dbc_retain_refuse_cascade(ctx, s, pc->t, p) != DBC_OK ||
	    dbc_retain_refuse_unenforced(ctx, s, pc->t, what) != DBC_OK)
		return DBC_ERROR;
	/* the batch's reads and its DELETE run the table's policies, triggers
	 * and rules with the caller's rights: never another role's code */
	return dbc_retain_owner_code(ctx, eng, pc->t->schema, pc->t->name, "DELETE", what);
}

/* {policy, table, fingerprint}: where a batch comes from, as the archive
 * keeps it. */
static char *source_json(dbc_ctx *ctx, const batch_state *b, const dbc_policy_ctx *pc)
{
	json_t *src = json_object();
	if (!src || !dbc_json_set(src, "policy", dbc_json_str(pc->p->name)) ||
	    !dbc_json_set(src, "table",
	                  dbc_json_str(dbc_qualified_name(ctx, pc->t->schema, pc->t->name))) ||
	    !dbc_json_set(src, "fingerprint", dbc_json_str(b->fingerprint))) {
		json_decref(src);
		dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	char *source = dbc_json_dump(ctx, src, JSON_COMPACT);
	json_decref(src);
	return source;
}

static int add_out(dbc_rows *out, const batch_state *b, const dbc_policy_ctx *pc,
                   const char *payload)
{
	dbc_ctx *ctx = out->ctx;
	char *source = source_json(ctx, b, pc);
	if (!source)
		return DBC_ERROR;
	dbc_value row[DBC_RETAIN_EXPORT_NCOLS] = {dbc_int(b->id),
	                                          dbc_text(b->key),
	                                          dbc_text(b->stage),
	                                          dbc_text(pc->p->target_name),
	                                          dbc_text(source),
	                                          dbc_int(b->rows),
	                                          dbc_text(b->hash ? b->hash : ""),
	                                          payload ? dbc_text(payload) : dbc_null()};
	return dbc_rows_add(out, row);
}

/* Picks batch b again from its rows as they are now (stage picked). */
static int repick(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_policy_ctx *pc,
                  batch_state *b, char **payload)
{
	rows_acc a;
	if (read_batch(ctx, eng, pc, b->id, &a) != DBC_OK)
		return DBC_ERROR;
	b->stage = "picked";
	b->rows = a.h.rows;
	b->hash = dbc_rows_hash_text(ctx, &a.h);
	*payload = dbc_buf_finish(&a.lines);
	return *payload && b->hash ? set_state(ctx, b->id, b->stage, b->rows, b->hash) : DBC_ERROR;
}

/* How many rows batch id names. */
static int batch_size(dbc_ctx *ctx, int64_t id, int64_t *n)
{
	char *text = NULL;
	char *sql = dbc_printf(ctx, "SELECT count(*) FROM %s" BATCH_ROWS " WHERE batch_id = $1",
	                       ctx->host->book_prefix);
	dbc_value v = dbc_int(id);
	if (!sql || dbc_query_text(ctx, sql, 1, &v, &text, NULL) != DBC_OK)
		return DBC_ERROR;
	*n = text ? strtoll(text, NULL, 10) : 0;
	return DBC_OK;
}

/* A new batch: at most n due, unblocked rows, oldest first, skipping rows
 * other transactions hold. b->found false when nothing is due. */
static int pick_new(dbc_ctx *ctx, const dbc_retain_hooks *eng, dbc_schema *s,
                    const dbc_policy_ctx *pc, int64_t n, batch_state *b, char **payload)
{
	const dbc_dialect *d = ctx->host->dialect;
	const char *prefix = ctx->host->book_prefix;
	char *fingerprint = NULL;
	char *key = dbc_archive_random_key(ctx);
	if (!key || dbc_schema_fingerprint_model(s, &fingerprint) != DBC_OK)
		return DBC_ERROR;
	char *ins = dbc_printf(ctx,
	                       "INSERT INTO %s" BATCHES " (policy, batch_key, stage, row_count, hash, "
	                       "fingerprint, created_at, changed_at) VALUES ($1, $2, 'picked', 0, '', "
	                       "$3, %s, %s)",
	                       prefix, d->now, d->now);
	dbc_value v[3] = {dbc_text(pc->p->name), dbc_text(key), dbc_text(fingerprint)};
	if (!ins || ctx->host->query(ctx, ins, 3, v, NULL, NULL) != DBC_OK ||
	    (memset(b, 0, sizeof(*b)),
	     dbc_query_text(
	         ctx,
	         dbc_printf(ctx, "SELECT batch_id FROM %s" BATCHES " WHERE batch_key = $1", prefix), 1,
	         &v[1], &b->key, NULL) != DBC_OK) ||
	    !b->key)
		return DBC_ERROR;
	b->id = strtoll(b->key, NULL, 10);
	b->key = key;
	b->fingerprint = fingerprint;
	/* the batch's candidates as an apply picks them: the oldest leaves,
	 * or when there is none, the sweep (a cycle and what it references) */
	dbc_value kv[2] = {dbc_text(pc->cutoff), dbc_int(b->id)};
	for (int sweep = 0; sweep < 2; sweep++) {
		char *pick = dbc_retain_pick(ctx, eng, pc, n, false, sweep);
		char *in = pick ? eng->rows_in(ctx, pc->row_id, pick) : NULL;
		char *keys = in ? dbc_printf(ctx,
		                             "INSERT INTO %s" BATCH_ROWS " (batch_id, row_key) SELECT $2, "
		                             "CAST(%s AS text) FROM %s%s WHERE %s",
		                             prefix, pc->row_id, dbc_retain_only(ctx), pc->qt, in)
		                : NULL;
		int64_t added = 0;
		if (!keys || ctx->host->query(ctx, keys, 2, kv, NULL, NULL) != DBC_OK ||
		    batch_size(ctx, b->id, &added) != DBC_OK)
			return DBC_ERROR;
		if (added > 0 || !dbc_retain_self_keyed(pc))
			break;
		/* a sweep that took nothing: said when rows are stuck behind
		 * the limit, as dbretain_apply says it */
		int64_t batch = 0;
		if (sweep && (dbc_setting_get_int(ctx, "retain.batch_size", &batch) != DBC_OK ||
		              dbc_retain_refuse_cut_groups(ctx, eng, pc, n, batch, n,
		                                           "dbretain_export_next") != DBC_OK))
			return DBC_ERROR;
	}
	if (repick(ctx, eng, pc, b, payload) != DBC_OK)
		return DBC_ERROR;
	if (b->rows > 0) {
		b->found = true;
		return DBC_OK;
	}
	/* nothing due: no batch */
	char *drop = dbc_printf(ctx, "DELETE FROM %s" BATCHES " WHERE batch_id = $1", prefix);
	dbc_value id = dbc_int(b->id);
	b->found = false;
	return drop ? ctx->host->query(ctx, drop, 1, &id, NULL, NULL) : DBC_ERROR;
}

int dbc_retain_export_next(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *name,
                           int64_t max_rows, dbc_rows *out)
{
	dbc_rows_init(out, ctx, DBC_RETAIN_EXPORT_NCOLS);
	int64_t batch = 0;
	if (dbc_setting_get_int(ctx, "retain.batch_size", &batch) != DBC_OK)
		return DBC_ERROR;
	if (max_rows <= 0 || max_rows > batch)
		max_rows = batch > 0 ? batch : 1;
	dbc_policies ps;
	dbc_schema s;
	dbc_policy_ctx pc;
	batch_state b;
	char *payload = NULL;
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	int rc = open_policy(ctx, eng, name, &ps, &s, &pc);
	if (rc == DBC_OK)
		rc = load_state(ctx, name, 0, &b);
	if (rc == DBC_OK && b.found && strcmp(b.stage, "picked") == 0)
		/* picked before a kill: its rows as they are now (the archive's
		 * copy, if any, is replaced when they changed) */
		rc = repick(ctx, eng, &pc, &b, &payload);
	else if (rc == DBC_OK && !b.found)
		rc = pick_new(ctx, eng, &s, &pc, max_rows, &b, &payload);
	if (rc == DBC_OK && b.found)
		rc = add_out(out, &b, &pc, payload);
	if (rc == DBC_OK)
		return ctx->host->release(ctx, level);
	ctx->host->rollback(ctx, level);
	return DBC_ERROR;
}

int dbc_retain_export_mark(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *name,
                           int64_t batch_id, int64_t rows, const char *hash, char **stage)
{
	(void)eng;
	*stage = NULL;
	dbc_policies ps;
	batch_state b;
	if (dbc_book_ensure_part(ctx, "retain") != DBC_OK ||
	    dbc_retain_load(ctx, name, &ps) != DBC_OK || load_state(ctx, name, batch_id, &b) != DBC_OK)
		return DBC_ERROR;
	if (!b.found)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "retention policy \"%s\" has no archive batch %lld", name,
		                 (long long)batch_id);
	if (b.rows != rows || !b.hash || strcmp(b.hash, hash) != 0) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "retention policy \"%s\": the archive holds %lld rows (hash %s) of batch %lld, "
		          "this database picked %lld (hash %s); nothing is deleted",
		          name, (long long)rows, hash, (long long)batch_id, (long long)b.rows,
		          b.hash ? b.hash : "");
		dbc_error_hint(ctx, "Run the archive again: the batch is stored anew.");
		return DBC_ERROR;
	}
	if (strcmp(b.stage, "picked") == 0 &&
	    set_state(ctx, b.id, "verified", b.rows, b.hash) != DBC_OK)
		return DBC_ERROR;
	*stage = strcmp(b.stage, "picked") == 0 ? "verified" : b.stage;
	return DBC_OK;
}

/* Deletes verified batch b's rows when the DELETE returns exactly the
 * verified count and hash (the batch then done, its rows' identities
 * forgotten, the policy's total counted): *deleted their number. Else
 * deletes nothing and picks the batch again from its rows as they are
 * (*deleted -1: to be stored again). */
static int delete_verified(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_policy_ctx *pc,
                           batch_state *b, int64_t *deleted)
{
	const char *name = pc->p->name;
	/* the DELETE in a savepoint of its own: undone unless it deleted
	 * exactly the rows the archive verified */
	int inner = ctx->host->savepoint(ctx);
	if (inner < 0)
		return DBC_ERROR;
	rows_acc a;
	memset(&a, 0, sizeof(a));
	a.t = pc->t;
	dbc_buf_init(&a.lines, ctx);
	char *in = in_batch(ctx, eng, pc), *cols = columns_of(ctx, pc->t, ""), *among = NULL;
	dbc_value v[3] = {dbc_text(pc->cutoff), dbc_int(b->id), dbc_null()};
	int nv = 2;
	if (in && eng->locked_ids && pc->blocked) {
		/* The DELETE reads the children under its snapshot but locks each
		 * row only as it reaches it: a child committed in between would
		 * fail it with the key's 23503. So the batch's rows are locked
		 * first, and the DELETE (a newer snapshot) takes those still
		 * unblocked: a row referenced meanwhile is left, the count and
		 * hash then differ and the batch is picked again. */
		const char *skip = ctx->host->dialect->skip_locked;
		char *pick = dbc_printf(ctx, "SELECT s.%s FROM %s%s AS s WHERE %s AND %s%s", pc->row_id,
		                        dbc_retain_only(ctx), pc->qt, in, pc->due,
		                        skip ? dbc_printf(ctx, skip, "s") : "");
		char *ids;
		int64_t locked;
		among = eng->rows_among(ctx, dbc_printf(ctx, "s.%s", pc->row_id), 3);
		if (!pick || !among ||
		    dbc_retain_lock_rows(ctx, eng, pick, 2, v, &ids, &locked) != DBC_OK) {
			ctx->host->rollback(ctx, inner);
			return DBC_ERROR;
		}
		v[2] = dbc_text(ids);
		nv = 3;
	}
	char *rows = in ? batch_removable(ctx, eng, pc, among) : NULL;
	char *del = rows && cols ? dbc_printf(ctx, "DELETE FROM %s%s AS s WHERE %s RETURNING %s",
	                                      dbc_retain_only(ctx), pc->qt, rows, cols)
	                         : NULL;
	char *hash = del && ctx->host->query(ctx, del, nv, v, take_row, &a) == DBC_OK
	                 ? dbc_rows_hash_text(ctx, &a.h)
	                 : NULL;
	if (!hash) {
		ctx->host->rollback(ctx, inner);
		return DBC_ERROR;
	}
	if (a.h.rows == b->rows && strcmp(hash, b->hash) == 0) {
		char *forget = dbc_printf(ctx, "DELETE FROM %s" BATCH_ROWS " WHERE batch_id = $1",
		                          ctx->host->book_prefix);
		char *total = dbc_printf(ctx,
		                         "UPDATE %s" POLICIES " SET archived_rows = archived_rows + $2, "
		                         "last_run_at = %s WHERE name = $1",
		                         ctx->host->book_prefix, ctx->host->dialect->column_now);
		dbc_value id = dbc_int(b->id), t[2] = {dbc_text(name), dbc_int(a.h.rows)};
		if (ctx->host->release(ctx, inner) != DBC_OK || !forget || !total ||
		    ctx->host->query(ctx, forget, 1, &id, NULL, NULL) != DBC_OK ||
		    ctx->host->query(ctx, total, 2, t, NULL, NULL) != DBC_OK ||
		    set_state(ctx, b->id, "done", b->rows, b->hash) != DBC_OK)
			return DBC_ERROR;
		*deleted = a.h.rows;
		return DBC_OK;
	}
	/* the rows changed (or went) since the archive took them: nothing is
	 * deleted; the batch is picked again from the rows as they are */
	ctx->host->rollback(ctx, inner);
	char *payload = NULL;
	if (repick(ctx, eng, pc, b, &payload) != DBC_OK)
		return DBC_ERROR;
	*deleted = -1;
	return DBC_OK;
}

/* dbc_retain_export_delete's steps, inside its savepoint. */
static int delete_batch(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *name,
                        int64_t batch_id, int64_t *deleted)
{
	dbc_policies ps;
	dbc_schema s;
	dbc_policy_ctx pc;
	batch_state b;
	if (open_policy(ctx, eng, name, &ps, &s, &pc) != DBC_OK ||
	    load_state(ctx, name, batch_id, &b) != DBC_OK)
		return DBC_ERROR;
	if (!b.found)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "retention policy \"%s\" has no archive batch %lld", name,
		                 (long long)batch_id);
	if (strcmp(b.stage, "done") == 0)
		return DBC_OK; /* deleted before: nothing more */
	if (strcmp(b.stage, "verified") != 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		                 "retention policy \"%s\": archive batch %lld is %s, not verified; "
		                 "nothing is deleted",
		                 name, (long long)batch_id, b.stage);
	return delete_verified(ctx, eng, &pc, &b, deleted);
}

int dbc_retain_export_delete(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *name,
                             int64_t batch_id, int64_t *deleted)
{
	*deleted = 0;
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	if (delete_batch(ctx, eng, name, batch_id, deleted) != DBC_OK) {
		ctx->host->rollback(ctx, level);
		return DBC_ERROR;
	}
	return ctx->host->release(ctx, level);
}

/* ------------------------------------------- an ATTACHed archive (SQLite)
 *
 * The same stages driven by the module itself, the archive an ATTACHed
 * database of the caller's connection. A transaction that writes two
 * database files is not atomic in WAL mode (each file commits on its
 * own), so each call writes one database only and the caller's loop calls
 * again: pick (the source), store (the archive), verify and delete (the
 * source, reading the archive's copy back in the same transaction). The
 * state between calls is the source's batch row and the archive's copy
 * under the batch's key; a kill between or inside calls leaves one of
 * them committed or not, and the next call goes on from what is there. */

/* Where the ATTACHed archive's table is: its name's prefix, and whether
 * it was there at the start of the call (only the call makes it). */
typedef struct attached {
	const char *schema;
	char *prefix;
	bool exists;
} attached;

/* The archive's copy of b holds exactly b's count and hash. */
static int archive_holds(dbc_ctx *ctx, const attached *at, const batch_state *b, bool *holds)
{
	char *hash = NULL;
	bool found = false;
	int64_t rows = 0;
	*holds = false;
	if (!at->exists)
		return DBC_OK;
	if (dbc_retain_archive_held(ctx, at->prefix, b->key, &found, &rows, &hash) != DBC_OK)
		return DBC_ERROR;
	*holds = found && rows == b->rows && b->hash && strcmp(hash, b->hash) == 0;
	return DBC_OK;
}

/* Stores b's rows as they are now when they are still the ones picked
 * (the archive's write); else picks the batch again (the source's). */
static int store_or_repick(dbc_ctx *ctx, const dbc_retain_hooks *eng, const attached *at,
                           const dbc_policy_ctx *pc, batch_state *b, const char **stage)
{
	rows_acc a;
	if (read_batch(ctx, eng, pc, b->id, &a) != DBC_OK)
		return DBC_ERROR;
	char *hash = dbc_rows_hash_text(ctx, &a.h), *lines = dbc_buf_finish(&a.lines);
	if (!hash || !lines)
		return DBC_ERROR;
	if (a.h.rows != b->rows || strcmp(hash, b->hash ? b->hash : "") != 0) {
		char *payload = NULL;
		*stage = "picked";
		return repick(ctx, eng, pc, b, &payload);
	}
	char *source = source_json(ctx, b, pc), *back_hash = NULL;
	int64_t back_rows = 0;
	dbc_retain_archive_batch in = {.key = b->key,
	                               .archive = pc->p->target_name,
	                               .source = source,
	                               .hash = hash,
	                               .lines = lines,
	                               .codec = "zstd",
	                               .rows = a.h.rows};
	/* the archive table's INSERT or UPDATE runs its triggers and rules
	 * with the caller's rights: never another role's code */
	char *what = dbc_printf(ctx, "the archive of retention policy \"%s\"", pc->p->name);
	if (!source || !what ||
	    (!at->exists && eng->attached_archive_make(ctx, at->schema) != DBC_OK) ||
	    dbc_retain_owner_code(ctx, eng, at->schema, "retain_archive", "INSERT", what) != DBC_OK ||
	    dbc_retain_owner_code(ctx, eng, at->schema, "retain_archive", "UPDATE", what) != DBC_OK ||
	    dbc_retain_archive_store_in(ctx, at->prefix, &in, &back_rows, &back_hash) != DBC_OK)
		return DBC_ERROR;
	*stage = "stored";
	return DBC_OK;
}

int dbc_retain_attached_step(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *name,
                             const char *schema, const char **stage, int64_t *rows)
{
	*stage = NULL;
	*rows = 0;
	if (!eng->attached_archive || !eng->attached_archive_make)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		                 "this engine reaches another database through the command only "
		                 "(dbcare retain --archive-db)");
	attached at = {.schema = schema};
	bool holds = false;
	int64_t batch = 0;
	dbc_policies ps;
	dbc_schema s;
	dbc_policy_ctx pc;
	batch_state b;
	char *payload = NULL;
	/* the checks first: an attached database, no transaction around */
	if (eng->attached_archive(ctx, schema, &at.prefix, &at.exists) != DBC_OK ||
	    dbc_setting_get_int(ctx, "retain.batch_size", &batch) != DBC_OK)
		return DBC_ERROR;
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	int rc = open_policy(ctx, eng, name, &ps, &s, &pc);
	if (rc == DBC_OK)
		rc = load_state(ctx, name, 0, &b);
	if (rc == DBC_OK && !b.found) {
		/* the source's write: a new batch */
		rc = pick_new(ctx, eng, &s, &pc, batch > 0 ? batch : 1, &b, &payload);
		*stage = b.found ? "picked" : "idle";
		*rows = b.found ? b.rows : 0;
	} else if (rc == DBC_OK && (rc = archive_holds(ctx, &at, &b, &holds)) == DBC_OK) {
		if (holds) {
			/* the source's write: verified (the copy was read back just
			 * now, in this transaction) and deleted */
			rc = strcmp(b.stage, "picked") == 0 ? set_state(ctx, b.id, "verified", b.rows, b.hash)
			                                    : DBC_OK;
			if (rc == DBC_OK)
				rc = delete_verified(ctx, eng, &pc, &b, rows);
			*stage = *rows >= 0 ? "done" : "picked";
			if (*rows < 0)
				*rows = b.rows;
		} else if (strcmp(b.stage, "verified") == 0) {
			/* verified against a copy the archive no longer holds: the
			 * source's write, the batch stored again next */
			rc = set_state(ctx, b.id, "picked", b.rows, b.hash);
			*stage = "picked";
			*rows = b.rows;
		} else {
			rc = store_or_repick(ctx, eng, &at, &pc, &b, stage);
			*rows = b.rows;
		}
	}
	if (rc == DBC_OK)
		return ctx->host->release(ctx, level);
	ctx->host->rollback(ctx, level);
	return DBC_ERROR;
}
