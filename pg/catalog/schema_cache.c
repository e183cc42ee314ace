/*
 * pg/catalog/schema_cache.c — the schema model (and its fingerprint) kept per backend
 * between calls, keyed by a digest of the catalog rows the reader depends on,
 * so repeated reports and fingerprints skip the catalog reader (pg/catalog/catalog.c).
 *
 * The key reads catalog pages, tuple headers and the settings array below
 * PostgreSQL's SQL interface (bufmgr, heap visibility, utils/guc_tables.h).
 * So the cache is built only for the PostgreSQL major version whose layout
 * this file was written and tested against (the gate below), and the setting
 * dbcare.schema_cache (default on) turns it off: every call then reads the
 * catalog through pg/catalog/catalog.c alone. test/script/pg_schema_cache.sh checks
 * that both paths give the same answers.
 */
#include "pg/host/glue.h"

#include "utils/guc.h"

/* The version gate: the key's page and settings reads are written for
 * PostgreSQL 15 (RelationData.rd_node, the 15 settings array);
 * -DDBC_PLAIN_PG_PATHS builds the plain path alone. */
#if PG_VERSION_NUM >= 150000 && PG_VERSION_NUM < 160000 && !defined(DBC_PLAIN_PG_PATHS)
#define SCHEMA_CACHE_BUILT 1
#endif

#ifdef SCHEMA_CACHE_BUILT
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "storage/bufmgr.h"
#include "catalog/pg_aggregate_d.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_attrdef_d.h"
#include "catalog/pg_attribute_d.h"
#include "catalog/pg_authid_d.h"
#include "catalog/pg_class_d.h"
#include "catalog/pg_collation_d.h"
#include "catalog/pg_constraint_d.h"
#include "catalog/pg_depend_d.h"
#include "catalog/pg_enum_d.h"
#include "catalog/pg_extension_d.h"
#include "catalog/pg_index_d.h"
#include "catalog/pg_inherits_d.h"
#include "catalog/pg_language_d.h"
#include "catalog/pg_namespace_d.h"
#include "catalog/pg_opclass_d.h"
#include "catalog/pg_operator_d.h"
#include "catalog/pg_partitioned_table_d.h"
#include "catalog/pg_proc_d.h"
#include "catalog/pg_range_d.h"
#include "catalog/pg_rewrite_d.h"
#include "catalog/pg_sequence_d.h"
#include "catalog/pg_transform_d.h"
#include "catalog/pg_trigger_d.h"
#include "catalog/pg_ts_config_d.h"
#include "catalog/pg_ts_dict_d.h"
#include "catalog/pg_type_d.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/guc_tables.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#endif

#include <string.h>

/* dbcare.schema_cache: false makes every call read the catalog. */
static bool schema_cache_setting = true;

void pgdbc_define_schema_cache_setting(void)
{
	DefineCustomBoolVariable(
	    "dbcare.schema_cache",
	    "Keeps the schema model between calls while the catalog is unchanged.",
	    "Off: every call reads the catalog. Has no effect where the cache is not built "
	    "(PostgreSQL other than 15).",
	    &schema_cache_setting, true, PGC_USERSET, 0, NULL, NULL, NULL);
}

/* Errors the reader meets when another session's DDL commits under it: a
 * relation or object seen in the catalog snapshot is gone when a deparser or
 * the relation cache looks it up ("could not open relation with OID",
 * "cache lookup failed": XX000; 42P01, 42704), or the reader was chosen to
 * break a deadlock with that DDL (40P01, pg_get_viewdef locks the view's
 * tables). */
static bool concurrent_ddl_error(const dbc_ctx *ctx)
{
	static const char *const states[] = {DBC_SQLSTATE_INTERNAL, "42P01", "42704", "40P01"};
	for (size_t i = 0; i < lengthof(states); i++)
		if (strcmp(ctx->sqlstate, states[i]) == 0)
			return true;
	return false;
}

/* Attempts at reading the catalog while DDL keeps changing it under us. */
#define READ_ATTEMPTS 5

/* One read of the catalog into *read (the call's arena) inside a savepoint of
 * its own, so a failed read leaves nothing behind and can be retried. */
static int read_once(dbc_ctx *ctx, dbc_schema *read)
{
	int sp = ctx->host->savepoint(ctx);
	if (sp < 0)
		return DBC_ERROR;
	if (pgdbc_read_catalog(ctx, read) != DBC_OK) {
		ctx->host->rollback(ctx, sp);
		return DBC_ERROR;
	}
	return ctx->host->release(ctx, sp);
}

/* The catalog read without the cache, into the call's arena. A read that
 * fails with an error concurrent DDL causes is read again (a new snapshot
 * at READ COMMITTED: a table dropped under the reader is then simply not
 * there); without a key to tell whether the catalog changed, an error of
 * another cause with the same SQLSTATE is reported after READ_ATTEMPTS. */
static int read_uncached(dbc_ctx *ctx, dbc_schema *out)
{
	dbc_schema read;
	for (int attempt = 1;; attempt++) {
		dbc_schema_init(&read, ctx);
		if (read_once(ctx, &read) == DBC_OK)
			break;
		if (attempt == READ_ATTEMPTS || !concurrent_ddl_error(ctx))
			return DBC_ERROR;
		dbc_error_clear(ctx);
	}
	*out = read;
	return DBC_OK;
}

#ifdef SCHEMA_CACHE_BUILT

/*
 * Why the key is right.
 *
 * The model is a function of the catalog rows the reader's queries (and the
 * pg_get_*def / format_type / reg* output functions inside them) can see, and
 * of session settings. Every transactional change of a catalog row writes a
 * new tuple version (new ctid, new xmin) or removes one from the visible set;
 * a version is named for good by (catalog, ctid, raw xmin): its line pointer
 * cannot be reused while its inserting transaction runs, and after it ends no
 * other version gets that xmin. So the digest of the (catalog, ctid, xmin)
 * set of every visible row changes with any DDL, committed here or in another
 * session, and DDL rolled back (or a savepoint rolled back) brings back the
 * very set whose model was right. Freezing keeps the raw xmin.
 *
 * Reading every row header is most of the key's cost. A page marked
 * all-visible holds only rows visible to every snapshot, and any insert,
 * update or delete on it clears that mark and writes WAL, which sets the
 * page's LSN; so an all-visible page enters the key as (catalog, file, block,
 * LSN) without reading its rows (the file number, because VACUUM FULL starts
 * a new file whose pages may reuse old LSNs). Other pages, and all pages
 * while in recovery (where the mark cannot be trusted), go row by row with a
 * visibility test under the snapshot. A page switching from one form to the
 * other (VACUUM) is a miss, never a stale hit.
 *
 * In-place updates (heap_inplace_update) change a row without a new version
 * or clearing the mark, but they do write WAL: on an all-visible page the
 * page's LSN covers them. In pg_class they are constant (VACUUM and ANALYZE
 * write relpages, reltuples, relallvisible, relhasindex, relfrozenxid, ...:
 * nothing the reader reads), so pg_class goes row by row, where they do not
 * count, never by page LSN. Some releases flip pg_index's indisvalid
 * / indisready / indislive in place during CREATE / DROP INDEX CONCURRENTLY,
 * and the model reports indisvalid: pg_index rows read row by row are
 * digested with their content.
 *
 * The rows are read under the snapshot the reader's queries get (SPI's: the
 * transaction snapshot, after a command counter increment), before the
 * reader runs, so a model is never older than its key: DDL committed between
 * the two only makes the next call miss.
 *
 * Settings: the host runs every query under a pinned search_path, so the
 * session's does not change the text; everything else that can (DateStyle,
 * TimeZone, extra_float_digits, quote_all_identifiers, bytea_output,
 * session_replication_role for "enforced", ...) is covered by digesting the
 * current value of every setting, plus the database and the current role.
 *
 * What the key costs against the reader it saves: docs/benchmarks.md
 * ("PostgreSQL health `quick` re-read the whole catalog on every call").
 */

static const Oid key_catalogs[] = {
    RelationRelationId,      AttributeRelationId, AttrDefaultRelationId, ConstraintRelationId,
    IndexRelationId,         InheritsRelationId,  PartitionedRelationId, TriggerRelationId,
    RewriteRelationId,       DependRelationId,    TypeRelationId,        ProcedureRelationId,
    AggregateRelationId,     NamespaceRelationId, ExtensionRelationId,   SequenceRelationId,
    EnumRelationId,          RangeRelationId,     CollationRelationId,   AccessMethodRelationId,
    OperatorClassRelationId, OperatorRelationId,  LanguageRelationId,    TSConfigRelationId,
    TSDictionaryRelationId,  TransformRelationId, AuthIdRelationId,
};

typedef struct schema_key {
	Oid database;
	Oid role;
	uint64 settings;
	uint64 rows;
	uint64 sum1, sum2; /* two independent 64-bit digests, summed over the rows */
} schema_key;

/* The rows a catalog query gave under an entry's key (pgdbc_catalog_query),
 * in one allocation of the entry's context. */
typedef struct catalog_rows {
	struct catalog_rows *next;
	const char *sql;
	int ncol;
	int nrows;
	dbc_value *cells;
} catalog_rows;

/* One cached model. It lives in its own memory context, a child of
 * TopMemoryContext; a call that was handed the model pins it until the call's
 * memory goes away, so a nested call that replaces the entry never frees a
 * model still in use. */
typedef struct cache_entry {
	MemoryContext cxt;
	schema_key key;
	int pins;
	dbc_ctx arena; /* owns the model's copy and the fingerprint */
	dbc_schema model;
	char *fingerprint;
	catalog_rows *queries; /* catalog queries answered under the same key */
} cache_entry;

static cache_entry *current_entry = NULL;

/* The memory of the entry being built: the entry's arena allocates only while
 * it is being filled, and dbc_host.alloc has no argument to say where. */
static MemoryContext building_cxt = NULL;

static void *entry_alloc(size_t size)
{
	if (!building_cxt)
		return NULL;
	return MemoryContextAllocExtended(building_cxt, size, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

static void entry_free(void *ptr)
{
	(void)ptr; /* the entry's context goes as a whole */
}

static dbc_host entry_host;

/* ------------------------------------------------------------------ key */

static inline uint64 mix64(uint64 x)
{
	x ^= x >> 33;
	x *= UINT64CONST(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64CONST(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return x;
}

static uint64 str_hash(const char *s)
{
	return s ? hash_bytes_extended((const unsigned char *)s, (int)strlen(s), 0x5eed)
	         : UINT64CONST(0x9e3779b97f4a7c15);
}

/* The hashes of the settings' names, by their place in the settings array,
 * and the place of search_path: names never change place while the array
 * and its length stay (a setting added re-sorts and lengthens it; a
 * placeholder replaced by its extension's definition keeps its name). */
static struct config_generic **named_vars = NULL;
static int named_n = 0;
static uint64 *name_hashes = NULL;
static int search_path_at = -1;

static void name_settings(struct config_generic **vars, int n)
{
	uint64 *h = MemoryContextAllocExtended(TopMemoryContext, sizeof(uint64) * (size_t)Max(n, 1),
	                                       MCXT_ALLOC_NO_OOM);
	if (name_hashes)
		pfree(name_hashes);
	name_hashes = h;
	named_vars = h ? vars : NULL;
	named_n = h ? n : 0;
	search_path_at = -1;
	for (int i = 0; h && i < n; i++) {
		h[i] = str_hash(vars[i]->name);
		if (strcmp(vars[i]->name, "search_path") == 0)
			search_path_at = i;
	}
}

static uint64 settings_digest(void)
{
	struct config_generic **vars = get_guc_variables();
	int n = GetNumConfigOptions();
	uint64 h = 0;
	if (vars != named_vars || n != named_n)
		name_settings(vars, n);
	for (int i = 0; i < n; i++) {
		struct config_generic *g = vars[i];
		uint64 v = 0;
		if (i == search_path_at)
			continue; /* pinned by the host for every query */
		switch (g->vartype) {
		case PGC_BOOL:
			v = *((struct config_bool *)g)->variable;
			break;
		case PGC_INT:
			v = (uint64)(int64)(*((struct config_int *)g)->variable);
			break;
		case PGC_REAL:
			memcpy(&v, ((struct config_real *)g)->variable, sizeof(v));
			break;
		case PGC_STRING:
			v = str_hash(*((struct config_string *)g)->variable);
			break;
		case PGC_ENUM:
			v = (uint64)(int64)(*((struct config_enum *)g)->variable);
			break;
		}
		h = mix64(h ^ (name_hashes ? name_hashes[i] : str_hash(g->name))) +
		    mix64(v + UINT64CONST(0x632be59bd9b4e019));
	}
	return h;
}

static inline void add_term(schema_key *k, uint64 w1, uint64 w2)
{
	k->rows++;
	k->sum1 += mix64(mix64(w1 ^ UINT64CONST(0x9ae16a3b2f90404f)) ^ w2);
	k->sum2 += mix64(mix64(w2 ^ UINT64CONST(0xc3a5c85c97cb3127)) ^ w1);
}

/* One catalog into the key, page by page. */
static void add_catalog(schema_key *k, Oid relid, Snapshot snap)
{
	Relation rel = table_open(relid, AccessShareLock);
	BlockNumber nblocks = RelationGetNumberOfBlocks(rel);
	/* pg_class is updated in place by every VACUUM and ANALYZE (relpages,
	 * reltuples, ...): its pages are never named by their LSN, which that
	 * changes, but row by row, so that does not count as a change. pg_index
	 * rows are digested with their content (in-place flag flips). */
	bool by_page = relid != RelationRelationId && !snap->takenDuringRecovery;
	bool content = relid == IndexRelationId;
	uint64 file = ((uint64)relid << 32) | rel->rd_node.relNode;
	for (BlockNumber blk = 0; blk < nblocks; blk++) {
		Buffer buf;
		Page page;
		buf = ReadBufferExtended(rel, MAIN_FORKNUM, blk, RBM_NORMAL, NULL);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		if (by_page && PageIsAllVisible(page)) {
			add_term(k, file ^ UINT64CONST(0x8000000000000000),
			         ((uint64)blk << 32) ^ PageGetLSN(page));
		} else {
			OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
			for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++) {
				ItemId lp = PageGetItemId(page, off);
				HeapTupleData tup;
				uint64 w2;
				if (!ItemIdIsNormal(lp))
					continue;
				tup.t_data = (HeapTupleHeader)PageGetItem(page, lp);
				tup.t_len = ItemIdGetLength(lp);
				tup.t_tableOid = relid;
				ItemPointerSet(&tup.t_self, blk, off);
				if (!HeapTupleSatisfiesVisibility(&tup, snap, buf))
					continue;
				w2 = ((uint64)blk << 16) | off;
				if (content)
					w2 ^=
					    hash_bytes_extended((const unsigned char *)tup.t_data + tup.t_data->t_hoff,
					                        (int)(tup.t_len - tup.t_data->t_hoff), 0x1dc)
					    << 1;
				add_term(k, ((uint64)relid << 32) | HeapTupleHeaderGetRawXmin(tup.t_data), w2);
			}
		}
		UnlockReleaseBuffer(buf);
	}
	table_close(rel, AccessShareLock);
}

static void catalog_key(void *arg)
{
	schema_key *k = arg;
	memset(k, 0, sizeof(*k));
	k->database = MyDatabaseId;
	k->role = GetUserId();
	k->settings = settings_digest();
	/* What SPI does before each of the reader's queries, so both see the
	 * same rows, this call's own earlier DDL included. */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
	for (size_t i = 0; i < lengthof(key_catalogs); i++) {
		CHECK_FOR_INTERRUPTS();
		add_catalog(k, key_catalogs[i], GetActiveSnapshot());
	}
	PopActiveSnapshot();
}

/* ------------------------------------------------------------------ entries */

static void entry_drop(cache_entry *e)
{
	if (e == current_entry)
		current_entry = NULL;
	if (e->pins == 0)
		MemoryContextDelete(e->cxt);
}

typedef struct entry_pin {
	MemoryContextCallback cb;
	cache_entry *entry;
} entry_pin;

static void entry_unpin(void *arg)
{
	cache_entry *e = ((entry_pin *)arg)->entry;
	if (--e->pins == 0 && e != current_entry)
		MemoryContextDelete(e->cxt);
}

/* Hands out a shallow copy of the entry's model, pinned for the call. The
 * caller's memo has the fingerprint, and the snapshot text when this call
 * built the entry; otherwise a text asked for is built into the call's memory
 * (the model is the cache's; callers only read it). */
static int hand_out(dbc_ctx *ctx, cache_entry *e, char *snapshot, dbc_schema *out)
{
	pgdbc_call *call = ctx->host_data;
	entry_pin *pin = MemoryContextAllocExtended(call->call_cxt, sizeof(*pin), MCXT_ALLOC_NO_OOM);
	dbc_schema_memo *memo = dbc_zalloc(ctx, sizeof(*memo));
	if (!pin || !memo)
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	pin->entry = e;
	pin->cb.func = entry_unpin;
	pin->cb.arg = pin;
	e->pins++;
	MemoryContextRegisterResetCallback(call->call_cxt, &pin->cb);
	memo->ctx = ctx;
	memo->fingerprint = e->fingerprint;
	memo->snapshot = snapshot;
	memo->host_entry = e;
	*out = e->model;
	out->ctx = ctx;
	out->memo = memo;
	return DBC_OK;
}

/* A new entry from a model just read into the call's arena: the model copied
 * into the entry's context and its fingerprint computed. The snapshot text is
 * built in the call's arena and handed back in *snapshot for this call, not
 * kept: it is as large as the model. */
static cache_entry *entry_build(dbc_ctx *ctx, dbc_schema *read, const schema_key *key,
                                char **snapshot)
{
	MemoryContext cxt =
	    AllocSetContextCreate(TopMemoryContext, "dbcare schema cache", ALLOCSET_DEFAULT_SIZES);
	cache_entry *e = MemoryContextAllocZero(cxt, sizeof(*e));
	char *fp = NULL;
	int rc;
	e->cxt = cxt;
	e->key = *key;
	if (!entry_host.dialect) {
		entry_host = *pgdbc_installed_host();
		entry_host.alloc = entry_alloc;
		entry_host.free = entry_free;
	}
	rc = dbc_schema_snapshot_json(read, snapshot);
	if (rc == DBC_OK)
		rc = dbc_schema_fingerprint_of(ctx, *snapshot, &fp);
	building_cxt = cxt;
	dbc_ctx_init(&e->arena, &entry_host, NULL);
	if (rc == DBC_OK && dbc_schema_copy(&e->arena, read, &e->model) == DBC_OK &&
	    dbc_schema_index_tables(&e->model) == DBC_OK) /* while the entry's arena allocates */
		e->fingerprint = dbc_strdup(&e->arena, fp);
	building_cxt = NULL;
	if (rc != DBC_OK || !e->fingerprint) {
		if (!ctx->failed)
			dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY,
			          "out of memory while caching the schema model");
		MemoryContextDelete(cxt);
		return NULL;
	}
	return e;
}

static void restore_error(dbc_ctx *ctx, const dbc_ctx *from)
{
	ctx->failed = from->failed;
	memcpy(ctx->sqlstate, from->sqlstate, sizeof(ctx->sqlstate));
	ctx->message = from->message;
	ctx->detail = from->detail;
	ctx->hint = from->hint;
	ctx->context = from->context;
	ctx->error_line = from->error_line;
	ctx->error_cursor = from->error_cursor;
}

static int read_cached(dbc_ctx *ctx, dbc_schema *out)
{
	schema_key key;
	dbc_schema read;
	cache_entry *e;
	char *snapshot = NULL;
	/* A read that fails because DDL of another session committed while it
	 * ran is read again, from the catalog as that DDL left it (a new
	 * snapshot at READ COMMITTED): a table dropped under the reader is
	 * then simply not there. Only when the catalog did change (the key
	 * moved; a deadlock victim always), so an error of any other cause is
	 * reported at once. */
	for (int attempt = 1;; attempt++) {
		if (pgdbc_guarded(ctx, catalog_key, &key) != DBC_OK)
			return DBC_ERROR;
		if (current_entry && memcmp(&current_entry->key, &key, sizeof(key)) == 0)
			return hand_out(ctx, current_entry, NULL, out);
		/* Dropped before reading: if the read fails or is cancelled, no entry
		 * with a key of another catalog state stays behind. */
		if (current_entry)
			entry_drop(current_entry);
		dbc_schema_init(&read, ctx);
		if (read_once(ctx, &read) == DBC_OK)
			break;
		if (attempt == READ_ATTEMPTS || !concurrent_ddl_error(ctx))
			return DBC_ERROR;
		if (strcmp(ctx->sqlstate, "40P01") != 0) {
			schema_key now;
			dbc_ctx failed = *ctx; /* the error, as it was (texts in the arena) */
			dbc_error_clear(ctx);
			if (pgdbc_guarded(ctx, catalog_key, &now) != DBC_OK)
				return DBC_ERROR;
			if (memcmp(&now, &key, sizeof(key)) == 0) {
				/* nothing changed: not the DDL's doing */
				restore_error(ctx, &failed);
				return DBC_ERROR;
			}
		}
		dbc_error_clear(ctx);
	}
	e = entry_build(ctx, &read, &key, &snapshot);
	if (!e)
		return DBC_ERROR;
	current_entry = e;
	return hand_out(ctx, e, snapshot, out);
}

/* ------------------------------------------------------------------ catalog queries */

/*
 * Why kept rows are right. A query of the key's catalogs alone is, like the
 * model, a function of the catalog rows it can see and of the settings and
 * role in the key. Its rows are kept under the key of the model the caller
 * holds, which this call computed before the query ran; a later call reuses
 * them only when it computes the same key. Equal keys mean no DDL committed
 * between the two keys -- and so none between the first key and the query,
 * which ran between them -- so the query would give the same rows. DDL of
 * this transaction rolled back restores a key together with the rows it
 * answered. The rows come back in the order the query gave them.
 */
typedef struct recording {
	dbc_rows rows;
	bool started;
	dbc_row_fn fn;
	void *arg;
} recording;

static int record_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	recording *r = arg;
	if (!r->started) {
		dbc_rows_init(&r->rows, ctx, ncol);
		r->started = true;
	}
	if (ncol != r->rows.ncol)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL,
		                 "catalog query returned rows of %d and %d columns", r->rows.ncol, ncol);
	if (dbc_rows_add(&r->rows, c) != DBC_OK)
		return DBC_ERROR;
	return r->fn(ctx, r->arg, ncol, c);
}

/* The recorded rows copied into one block of the entry's context; NULL when
 * that memory is not there (the rows are then not kept, nothing else). */
static catalog_rows *rows_keep(cache_entry *e, const char *sql, const recording *r)
{
	size_t ncells = r->started ? (size_t)r->rows.nrows * (size_t)r->rows.ncol : 0;
	size_t size = MAXALIGN(sizeof(catalog_rows)) + ncells * sizeof(dbc_value);
	catalog_rows *q;
	char *text;
	for (size_t i = 0; i < ncells; i++)
		if (r->rows.cells[i].type == DBC_TEXT)
			size += strlen(r->rows.cells[i].s) + 1;
	q = MemoryContextAllocExtended(e->cxt, size, MCXT_ALLOC_NO_OOM);
	if (!q)
		return NULL;
	q->next = NULL;
	q->sql = sql;
	q->ncol = r->started ? r->rows.ncol : 0;
	q->nrows = r->started ? r->rows.nrows : 0;
	q->cells = (dbc_value *)((char *)q + MAXALIGN(sizeof(catalog_rows)));
	text = (char *)(q->cells + ncells);
	for (size_t i = 0; i < ncells; i++) {
		q->cells[i] = r->rows.cells[i];
		if (q->cells[i].type == DBC_TEXT) {
			size_t n = strlen(r->rows.cells[i].s) + 1;
			memcpy(text, r->rows.cells[i].s, n);
			q->cells[i].s = text;
			text += n;
		}
	}
	return q;
}

int pgdbc_catalog_query(dbc_ctx *ctx, const dbc_schema *model, const char *sql, dbc_row_fn fn,
                        void *arg)
{
	cache_entry *e = model && model->memo ? model->memo->host_entry : NULL;
	recording r;
	catalog_rows *q;
	if (!e)
		return ctx->host->query(ctx, sql, 0, NULL, fn, arg);
	for (q = e->queries; q; q = q->next) {
		if (q->sql != sql)
			continue;
		for (int i = 0; i < q->nrows; i++)
			if (fn(ctx, arg, q->ncol, q->cells + (size_t)i * (size_t)q->ncol) != DBC_OK)
				return DBC_ERROR;
		return DBC_OK;
	}
	memset(&r, 0, sizeof(r));
	r.fn = fn;
	r.arg = arg;
	if (ctx->host->query(ctx, sql, 0, NULL, record_row, &r) != DBC_OK)
		return DBC_ERROR;
	q = rows_keep(e, sql, &r);
	if (q) {
		q->next = e->queries;
		e->queries = q;
	}
	return DBC_OK;
}

#else /* !SCHEMA_CACHE_BUILT */

int pgdbc_catalog_query(dbc_ctx *ctx, const dbc_schema *model, const char *sql, dbc_row_fn fn,
                        void *arg)
{
	(void)model;
	return ctx->host->query(ctx, sql, 0, NULL, fn, arg);
}

#endif /* SCHEMA_CACHE_BUILT */

/* The call whose reads bypass the cache (pgdbc_schema_cache_bypass): a
 * catalog state it sees once, such as the generator's scratch place that is
 * rolled back, gains nothing from a key and an entry, and its entry would
 * evict the live catalog's, which the call and the next ones read again. A
 * call that ends by an error without setting it back leaves a pointer that a
 * later call's may equal: that call's reads are then uncached, and right. */
static const void *bypass_call;

const void *pgdbc_schema_cache_bypass(dbc_ctx *ctx, const void *call)
{
	const void *was = bypass_call;
	(void)ctx;
	bypass_call = call;
	return was;
}

int pgdbc_read_schema(dbc_ctx *ctx, dbc_schema *out)
{
	if (!ctx->host_data) /* not inside a call: nothing to pin the model to */
		return pgdbc_read_catalog(ctx, out);
	if (bypass_call && bypass_call == ctx->host_data)
		return read_uncached(ctx, out);
#ifdef SCHEMA_CACHE_BUILT
	if (schema_cache_setting)
		return read_cached(ctx, out);
	/* turned off: no model of an earlier catalog state stays in memory */
	if (current_entry)
		entry_drop(current_entry);
#endif
	return read_uncached(ctx, out);
}
