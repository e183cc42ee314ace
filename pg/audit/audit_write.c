/*
 * audit_write.c — writes entries into dbcare.audit_log (docs/audit.md, "How
 * entries are written").
 *
 * A writer lives for one call of the trigger function (one statement of the
 * audited table, or one row of a trigger made before 0.3.0): it forms each
 * entry here (id, hash chain, row hash) and hands the log its rows by one of
 * two paths:
 *
 * - the plain path (every PostgreSQL version; forced by compiling with
 *   -DDBC_PLAIN_PG_PATHS): entries are gathered in batches of BATCH_ENTRIES
 *   and each batch is one prepared SPI statement, INSERT ... SELECT FROM
 *   unnest(<one array per column>), so the executor starts once a batch, not
 *   once an entry;
 * - the direct path (PostgreSQL 15 only, the version it was written and
 *   tested against, see DIRECT_WRITE): each entry is a tuple inserted with
 *   the table access method (table_tuple_insert) and indexed with
 *   ExecInsertIndexTuples, as logical replication's apply worker and COPY
 *   write rows, below the executor's public interface.
 *   docs/postgresql.md ("Engine internals") gives the figure that keeps it.
 *
 * Invariants (both paths):
 * - The log's constraints still hold: its NOT NULLs (and any CHECK its owner
 *   adds) are checked; the id comes from the identity's own sequence, found
 *   by the catalog's dependency, not by name.
 * - No trigger of the log fires (the log has none; dbaudit_enable refuses
 *   dbcare's own tables). Every column but row_hash is set here; row_hash is
 *   stored by the direct path with the C routine its generation expression
 *   calls (pg/audit/audit_row_hash.c), and computed by that expression on the
 *   plain path, so the values agree.
 * - Every statement the writer runs (the chain's head, the plain path's
 *   batch) runs under the pinned search_path (pg/host/pinned_path.c), and so
 *   do the entries when the log's owner gave it a CHECK or an index
 *   expression or predicate (expressions_on_log): the trigger function has
 *   no SET clause, and the session's path would find a user's "=" first.
 * - Entries are written as the log's owner, inside a security-restricted
 *   operation, and the caller's identity is back before the next row's values
 *   are turned into JSON by the audited table's type output functions (which
 *   must never run as the owner). Opening the log checks no privilege.
 * - Ids are drawn in the order entries are added (under the chain's lock for
 *   a chained table), and a batch inserts its entries in that order.
 * - An error or cancel between entries leaves nothing to undo by hand: the
 *   (sub)transaction's abort releases the relation, its indexes and the
 *   identity, and removes the entries with the change that made them.
 */
#include "pg/host/glue.h"

/* The direct path's gate: its executor-state and index calls are written
 * for PostgreSQL 15 (InitResultRelInfo, ExecInsertIndexTuples' 15
 * signature); -DDBC_PLAIN_PG_PATHS builds the plain path alone. */
#if PG_VERSION_NUM >= 150000 && PG_VERSION_NUM < 160000 && !defined(DBC_PLAIN_PG_PATHS)
#define DIRECT_WRITE 1
#endif

#include "access/relation.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/xid8.h"
#ifdef DIRECT_WRITE
#include "access/genam.h"
#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#endif

#include "replication/message.h"

#include "audit_glue.h"
#include "audit_wal.h"

#include "audit/audit.h"
#include "datatype/timestamp.h"

/* SET LOCAL dbcare.actor = '...': the application's user, logged with each
 * entry. Kept with the writer that logs it, below the trigger function
 * (pg/audit/audit_trigger.c), which calls the writer: one direction. */
static char *audit_actor = NULL;

void pgdbc_define_audit_settings(void)
{
	DefineCustomStringVariable(
	    "dbcare.actor", "The application's user, recorded in dbcare.audit_log.actor.",
	    "Set it with SET LOCAL in each transaction that changes audited tables.", &audit_actor,
	    NULL, PGC_USERSET, 0, NULL, NULL, NULL);
}

const char *pgdbc_audit_actor(void)
{
	return audit_actor;
}

/* The context of a change of a table audited in wal mode, which the WAL
 * does not hold: its trigger (BEFORE each statement) logs a transactional
 * message with the current user, dbcare.actor and the application name,
 * signed for this transaction (pg/audit/audit_actor_key.c; pg/audit/audit_decode.c
 * accepts no other), which the entries of the transaction's later changes
 * carry. Once per (sub)transaction while all three stay the same: a
 * message in a subtransaction rolled back is gone with it, and the next
 * statement, in another subtransaction, logs one again; a SET ROLE, a
 * SECURITY DEFINER function, a new actor or application logs one again. */
void pgdbc_audit_wal_context(void)
{
	static TransactionId last_xid = InvalidTransactionId;
	static Oid last_user = InvalidOid;
	static char *last_context = NULL; /* actor \0 application, last_len bytes */
	static int last_len = -1;
	const char *actor = audit_actor ? audit_actor : "";
	const char *app = application_name ? application_name : "";
	if (strlen(actor) > DBC_AUDIT_ACTOR_MAX)
		ereport(ERROR, (errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
		                errmsg("dbcare: dbcare.actor is %zu bytes; a table audited in wal mode"
		                       " records at most %d",
		                       strlen(actor), DBC_AUDIT_ACTOR_MAX)));
	StringInfoData context;
	initStringInfo(&context);
	appendStringInfoString(&context, actor);
	appendStringInfoChar(&context, '\0');
	appendStringInfoString(&context, app);
	TransactionId xid = GetCurrentTransactionIdIfAny();
	if (TransactionIdIsValid(xid) && xid == last_xid && GetUserId() == last_user && last_context &&
	    context.len == last_len && memcmp(context.data, last_context, (size_t)last_len) == 0) {
		pfree(context.data);
		return;
	}
	StringInfoData body;
	initStringInfo(&body);
	appendStringInfoString(&body, GetUserNameFromId(GetUserId(), false));
	appendStringInfoChar(&body, '\0');
	appendBinaryStringInfo(&body, context.data, context.len + 1); /* and its NUL */
	pgdbc_audit_actor_sign(&body);
	(void)LogLogicalMessage(PGDBC_AUDIT_ACTOR_PREFIX, body.data, body.len, true);
	pfree(body.data);
	last_xid = GetCurrentTransactionId();
	last_user = GetUserId();
	char *copy = MemoryContextAlloc(TopMemoryContext, (Size)context.len + 1);
	memcpy(copy, context.data, (size_t)context.len + 1);
	pfree(context.data);
	if (last_context)
		pfree(last_context);
	last_context = copy;
	last_len = context.len;
}

/* The log's columns, in the order of pg/sql/70_audit.sql. */
enum {
	COL_ID,
	COL_AT,
	COL_TXID,
	COL_DB_USER,
	COL_ACTOR,
	COL_OPERATION,
	COL_TABLE_NAME,
	COL_KEY,
	COL_OLD,
	COL_NEW,
	COL_PREV_HASH,
	COL_HASH,
	COL_ROW_HASH, /* optional: a log not yet upgraded to 0.3.0 has none */
	LOG_NCOLS
};
StaticAssertDecl(LOG_NCOLS == PGDBC_AUDIT_LOG_COLUMNS, "the writer's arrays hold every column");

static const char *const log_columns[LOG_NCOLS] = {
    "id",  "at",         "txid",       "db_user",   "actor", "operation", "table_name",
    "key", "old_values", "new_values", "prev_hash", "hash",  "row_hash"};

/* The sequence of the log's identity, remembered with the log's OID (a
 * dropped and re-created extension has a new log, so a new lookup). */
static Oid cached_log = InvalidOid;
static Oid cached_seq = InvalidOid;

/* The current user's name, remembered for the next entry until any role
 * changes (a role renamed in another session is logged by its new name:
 * the syscache invalidation of pg_authid forgets the remembered one). */
static Oid cached_user = InvalidOid;

static void forget_user_name(Datum arg, int cacheid, uint32 hashvalue)
{
	(void)arg, (void)cacheid, (void)hashvalue;
	cached_user = InvalidOid;
}

static const char *user_name(Oid user)
{
	static bool registered = false;
	static char name[NAMEDATALEN];
	if (!registered) {
		CacheRegisterSyscacheCallback(AUTHOID, forget_user_name, (Datum)0);
		registered = true;
	}
	if (user != cached_user) {
		strlcpy(name, GetUserNameFromId(user, false), sizeof(name));
		cached_user = user;
	}
	return name;
}

/* Maps the log's columns by name, so a log whose columns were reordered by a
 * dump and restore of an older layout is still written correctly (the plain
 * path names its columns; it only needs them to exist). A mapping made is
 * kept for the log and the catalog generation it was read in
 * (pg/audit/audit_cache.c): a column added, dropped or renamed moves it. */
static void map_columns(pgdbc_audit_writer *w)
{
	static Oid kept_log = InvalidOid;
	static uint64 kept_generation = 0;
	static int kept_attno[LOG_NCOLS];
	uint64 now = pgdbc_audit_cache_generation();
	if (kept_generation == now && kept_log == RelationGetRelid(w->log)) {
		memcpy(w->attno, kept_attno, sizeof(kept_attno));
		return;
	}
	TupleDesc desc = RelationGetDescr(w->log);
	for (int c = 0; c < LOG_NCOLS; c++) {
		/* as created, column c is attribute c: one comparison each */
		if (c < desc->natts && !TupleDescAttr(desc, c)->attisdropped &&
		    strcmp(NameStr(TupleDescAttr(desc, c)->attname), log_columns[c]) == 0) {
			w->attno[c] = c;
			continue;
		}
		w->attno[c] = -1;
		for (int i = 0; i < desc->natts; i++) {
			Form_pg_attribute a = TupleDescAttr(desc, i);
			if (!a->attisdropped && strcmp(NameStr(a->attname), log_columns[c]) == 0)
				w->attno[c] = i;
		}
		if (w->attno[c] < 0 && c != COL_ROW_HASH)
			ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
			                errmsg("dbcare: dbcare.audit_log has no column \"%s\"", log_columns[c]),
			                errhint("ALTER EXTENSION dbcare UPDATE;")));
	}
	memcpy(kept_attno, w->attno, sizeof(kept_attno));
	kept_log = RelationGetRelid(w->log);
	kept_generation = now;
}

#ifdef DIRECT_WRITE
/* Whether writing an entry plans an expression its owner added to the log
 * (the log as made has none): a CHECK constraint, an index's expression or
 * predicate. Planning inlines an SQL function, its body parsed under the
 * path in force. Read from the catalog rows, before the indexes are opened:
 * opening them (ExecOpenIndices) is what first plans their expressions. */
static bool expressions_on_log(Relation log)
{
	if (log->rd_rel->relchecks > 0)
		return true;
	List *indexes = RelationGetIndexList(log);
	bool found = false;
	ListCell *lc;
	foreach (lc, indexes) {
		HeapTuple t = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
		if (!HeapTupleIsValid(t))
			elog(ERROR, "dbcare: cache lookup failed for index %u of dbcare.audit_log",
			     lfirst_oid(lc));
		found = !heap_attisnull(t, Anum_pg_index_indexprs, NULL) ||
		        !heap_attisnull(t, Anum_pg_index_indpred, NULL);
		ReleaseSysCache(t);
		if (found)
			break;
	}
	list_free(indexes);
	return found;
}

/* expressions_on_log, read once a generation of the catalog
 * (pg/audit/audit_cache.c): an index or CHECK added to the log moves it. */
static bool expressions_on_log_kept(Relation log)
{
	static Oid kept_log = InvalidOid;
	static uint64 kept_generation = 0;
	static bool kept = false;
	uint64 now = pgdbc_audit_cache_generation();
	if (kept_generation != now || kept_log != RelationGetRelid(log)) {
		kept = expressions_on_log(log);
		kept_log = RelationGetRelid(log);
		kept_generation = now;
	}
	return kept;
}
#endif

void pgdbc_audit_writer_open(pgdbc_audit_writer *w, Oid owner, bool chain)
{
	memset(w, 0, sizeof(*w));
	w->path_nest = -1;
	w->owner = owner;
	w->chain = chain;
	Oid logid = pgdbc_audit_table_oid("audit_log");
	if (!OidIsValid(logid))
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
		                errmsg("dbcare: dbcare.audit_log does not exist")));
	/* the writer's own memory: the chain's table name, the plain path's
	 * batch; entries are added from per-row contexts */
	w->cxt =
	    AllocSetContextCreate(CurrentMemoryContext, "dbcare audit writer", ALLOCSET_DEFAULT_SIZES);
	w->log = relation_open(logid, RowExclusiveLock);
	map_columns(w);
	if (cached_log != logid) {
		cached_seq = getIdentitySequence(logid, (AttrNumber)(w->attno[COL_ID] + 1), false);
		cached_log = logid;
	}
	w->seq = cached_seq;
	w->at = GetCurrentTransactionStartTimestamp();
	w->txid = GetTopFullTransactionId();
#ifdef DIRECT_WRITE
	/* The smallest executor state ExecConstraints and the index inserts
	 * need: one range table entry, the log as the result relation. */
	w->estate = CreateExecutorState();
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = logid;
	rte->relkind = w->log->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	ExecInitRangeTable(w->estate, list_make1(rte));
	w->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(w->rri, w->log, 1, NULL, 0);
	w->rri->ri_TrigDesc = NULL; /* the log's triggers never fire (file comment) */
	if (expressions_on_log_kept(w->log))
		w->path_nest = pgdbc_pin_search_path();
	ExecOpenIndices(w->rri, false);
	pgdbc_audit_index_open(w);
	w->estate->es_output_cid = GetCurrentCommandId(true);
	/* not zeroed: a one-row statement would clear 8 kB for its one slot */
	w->slots = MemoryContextAlloc(w->cxt, sizeof(TupleTableSlot *) * MULTI_ENTRIES);
	w->cid = w->estate->es_output_cid;
#else
	/* the plain path writes through SPI, which opens the log itself */
	relation_close(w->log, NoLock); /* the lock is held to the transaction's end */
	w->log = NULL;
	MemoryContext old = MemoryContextSwitchTo(w->cxt);
	for (int c = 0; c < LOG_NCOLS; c++) {
		w->batch_values[c] = palloc(sizeof(Datum) * BATCH_ENTRIES);
		w->batch_nulls[c] = palloc(sizeof(bool) * BATCH_ENTRIES);
	}
	MemoryContextSwitchTo(old);
	w->batch_cxt = AllocSetContextCreate(w->cxt, "dbcare audit batch", ALLOCSET_DEFAULT_SIZES);
#endif
}

/* ------------------------------------------------------------ hash chain */

static SPIPlanPtr chain_head_plan = NULL;
static SPIPlanPtr chain_init_plan = NULL;

/* Whether dbcare.audit_chain has a row per chain (0.3.3). Between installing
 * this build and ALTER EXTENSION UPDATE it still has the one row (id = 1) of
 * the log chain: entries then go on linking into that chain as before (the
 * v1 format), which the upgrade turns into the chain named ''. */
bool pgdbc_audit_chain_per_table(void)
{
	Oid rel = pgdbc_audit_table_oid("audit_chain");
	return OidIsValid(rel) && get_attnum(rel, "chain") != InvalidAttrNumber;
}

/* Locks the table's chain head row (making it for the table's first chained
 * entry) and reads the hash of the chain's last entry. The previous writer
 * of the table holds the row until its transaction ends, and this is called
 * before the writer draws its first entry's id: a chain's entries therefore
 * take their ids in the order they link, which is how dbaudit_verify walks
 * them (core/audit/audit_chain.c). Other tables' writers lock other rows.
 * Called as the log's owner, once per writer; only the transaction's first
 * writer of the chain reads the row: the lock is held to the transaction's
 * end, so later writers take the head this transaction keeps in memory and
 * moves once, before it commits (pg/audit/audit_pending.c). A log not yet
 * upgraded to 0.3.3 has one chain, kept under the name "". */
static void chain_lock(pgdbc_audit_writer *w, const char *table)
{
	bool isnull;
	Oid type = TEXTOID;
	w->chain_legacy = !pgdbc_audit_chain_per_table();
	const char *chain = w->chain_legacy ? "" : table;
	/* the writer's context: entries are added from per-row contexts */
	w->chain_table = MemoryContextStrdup(w->cxt, chain);
	w->chain_locked = true;
	if (pgdbc_audit_pending_head(chain, &w->chain_legacy, w->prev_hash, &w->last_id))
		return;
	Datum arg = CStringGetTextDatum(table);
	int nest = pgdbc_pin_search_path();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dbcare: SPI_connect failed");
	if (w->chain_legacy) {
		if (SPI_execute("SELECT last_hash FROM dbcare.audit_chain WHERE id = 1 FOR UPDATE", false,
		                1) != SPI_OK_SELECT ||
		    (SPI_processed == 0 &&
		     (SPI_execute("INSERT INTO dbcare.audit_chain (id) VALUES (1)"
		                  " ON CONFLICT (id) DO NOTHING",
		                  false, 0) != SPI_OK_INSERT ||
		      SPI_execute("SELECT last_hash FROM dbcare.audit_chain WHERE id = 1 FOR UPDATE", false,
		                  1) != SPI_OK_SELECT ||
		      SPI_processed != 1)))
			elog(ERROR, "dbcare: could not read the audit log's hash chain");
	} else {
		pgdbc_audit_keep_plan(
		    &chain_head_plan,
		    "SELECT last_hash, last_id FROM dbcare.audit_chain WHERE chain = $1 FOR UPDATE", 1,
		    &type);
		if (SPI_execute_plan(chain_head_plan, &arg, NULL, false, 1) != SPI_OK_SELECT)
			elog(ERROR, "dbcare: could not read the audit log's hash chain");
	}
	if (!w->chain_legacy && SPI_processed == 0) {
		/* the table's first chained entry: its head row is made here, not
		 * by dbaudit_enable, so a restored dump does not meet a second one */
		if (SPI_execute_plan(
		        pgdbc_audit_keep_plan(&chain_init_plan,
		                              "INSERT INTO dbcare.audit_chain (chain) VALUES ($1)"
		                              " ON CONFLICT (chain) DO NOTHING",
		                              1, &type),
		        &arg, NULL, false, 0) != SPI_OK_INSERT ||
		    SPI_execute_plan(chain_head_plan, &arg, NULL, false, 1) != SPI_OK_SELECT ||
		    SPI_processed != 1)
			elog(ERROR, "dbcare: could not make the audit log's hash chain head");
	}
	Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	w->prev_hash[0] = '\0';
	if (!isnull) {
		char *prev = TextDatumGetCString(d);
		strlcpy(w->prev_hash, prev, sizeof(w->prev_hash));
	}
	w->last_id = 0;
	if (!w->chain_legacy) {
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
		if (!isnull)
			w->last_id = DatumGetInt64(d);
	}
	SPI_finish();
	pgdbc_unpin_search_path(nest);
	pgdbc_audit_pending_locked(chain, w->chain_legacy, w->prev_hash, w->last_id);
}

static char *text_or_null(const Datum *values, const bool *nulls, int col)
{
	return nulls[col] ? NULL : TextDatumGetCString(values[col]);
}

/* Sets the entry's hash and prev_hash (core/audit/audit_chain.c); values
 * and nulls by column (the enum above). */
static void chain_link(pgdbc_audit_writer *w, Datum *values, bool *nulls)
{
	const char *fields[DBC_AUDIT_LINK_FIELDS];
	fields[0] = psprintf(INT64_FORMAT,
	                     w->at + (int64)(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY);
	fields[1] = psprintf(UINT64_FORMAT, U64FromFullTransactionId(w->txid));
	fields[2] = text_or_null(values, nulls, COL_DB_USER);
	fields[3] = text_or_null(values, nulls, COL_ACTOR);
	fields[4] = text_or_null(values, nulls, COL_OPERATION);
	fields[5] = text_or_null(values, nulls, COL_TABLE_NAME);
	int json_cols[3] = {COL_KEY, COL_OLD, COL_NEW};
	for (int i = 0; i < 3; i++) {
		int a = json_cols[i];
		fields[6 + i] = nulls[a] ? NULL : OidOutputFunctionCall(F_JSONB_OUT, values[a]);
	}
	dbc_ctx ctx;
	char hex[DBC_AUDIT_HASH_LEN + 1];
	const char *prev = w->prev_hash[0] ? w->prev_hash : NULL;
	dbc_ctx_init(&ctx, pgdbc_installed_host(), NULL);
	int rc = w->chain_legacy ? dbc_audit_link(&ctx, prev, fields, hex)
	                         : dbc_audit_link_table(&ctx, prev, fields, hex);
	dbc_ctx_finish(&ctx);
	if (rc != DBC_OK)
		elog(ERROR, "dbcare: could not hash an audit log entry");
	values[COL_PREV_HASH] = prev ? CStringGetTextDatum(prev) : (Datum)0;
	nulls[COL_PREV_HASH] = prev == NULL;
	values[COL_HASH] = CStringGetTextDatum(hex);
	nulls[COL_HASH] = false;
	strlcpy(w->prev_hash, hex, sizeof(w->prev_hash));
	w->last_id = DatumGetInt64(values[COL_ID]);
	w->chain_moved = true;
}

/* ------------------------------------------------------------ storing */

#ifdef DIRECT_WRITE

/* The buffered entries inserted as the table access method's multi-insert
 * (COPY's path: one WAL record and one buffer lock per page of entries, not
 * per entry), then their index entries, in id order; called as the log's
 * owner. */
static void flush_entries(pgdbc_audit_writer *w, bool closing)
{
	int n = w->nbuffered;
	if (n == 0)
		return;
	if (n == 1)
		table_tuple_insert(w->log, w->slots[0], w->cid, 0, NULL);
	else {
		if (w->bistate == NULL) {
			/* the writer's: entries are added from per-row contexts */
			MemoryContext old = MemoryContextSwitchTo(w->cxt);
			w->bistate = GetBulkInsertState();
			MemoryContextSwitchTo(old);
		}
		table_multi_insert(w->log, w->slots, n, w->cid, 0, w->bistate);
	}
	/* a small statement's entries (one row's, most often) go straight into
	 * every index: sorting them would gain nothing and cost a sort's set-up */
	bool unsorted = closing && w->sorted_n == 0 && n <= UNSORTED_ENTRIES;
	for (int i = 0; i < n; i++) {
		pgdbc_audit_index_add(w, w->slots[i], unsorted);
		ResetPerTupleExprContext(w->estate);
		ExecClearTuple(w->slots[i]);
	}
	w->nbuffered = 0;
	w->buffered_bytes = 0;
}

/* The entry as one tuple of the log (its values copied into the slot's own
 * memory: the caller frees its per-row memory next), inserted once
 * MULTI_ENTRIES entries or MULTI_BYTES of their JSON are buffered, or when
 * the writer closes. */
static void store_entry(pgdbc_audit_writer *w, const char *table, const Datum *values,
                        const bool *nulls)
{
	if (w->nbuffered == w->nslots) {
		MemoryContext old = MemoryContextSwitchTo(w->cxt);
		w->slots[w->nslots++] = table_slot_create(w->log, NULL);
		MemoryContextSwitchTo(old);
	}
	TupleTableSlot *slot = w->slots[w->nbuffered];
	ExecClearTuple(slot);
	memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);
	for (int c = 0; c < COL_ROW_HASH; c++) {
		slot->tts_values[w->attno[c]] = values[c];
		slot->tts_isnull[w->attno[c]] = nulls[c];
	}
	/* what the generated column's dbcare.audit_row_hash would compute,
	 * without the call (pg/audit/audit_row_hash.c) */
	if (w->attno[COL_ROW_HASH] >= 0) {
		slot->tts_values[w->attno[COL_ROW_HASH]] = Int64GetDatum(pgdbc_audit_row_hash(
		    table, strlen(table), nulls[COL_KEY] ? (Datum)0 : values[COL_KEY]));
		slot->tts_isnull[w->attno[COL_ROW_HASH]] = false;
	}
	ExecStoreVirtualTuple(slot);
	ExecConstraints(w->rri, slot, w->estate);
	ResetPerTupleExprContext(w->estate);
	ExecMaterializeSlot(slot);
	/* the JSON values dominate an entry's size; a buffered entry is not
	 * yet TOASTed, so the bound is in bytes as well as in entries */
	for (int c = COL_KEY; c <= COL_NEW; c++)
		if (!nulls[c])
			w->buffered_bytes += VARSIZE_ANY(DatumGetPointer(values[c]));
	if (++w->nbuffered == MULTI_ENTRIES || w->buffered_bytes >= MULTI_BYTES)
		flush_entries(w, false);
}

static void finish_entries(pgdbc_audit_writer *w)
{
	flush_entries(w, true);
	if (w->bistate)
		FreeBulkInsertState(w->bistate);
	/* not ExecCloseIndices, which releases each index's lock at once: the
	 * locks are held to the transaction's end, like the log's (cheaper,
	 * and the next statement takes them again anyway) */
	pgdbc_audit_index_close(w);
	for (int i = 0; i < w->nslots; i++)
		ExecDropSingleTupleTableSlot(w->slots[i]);
	FreeExecutorState(w->estate);
	relation_close(w->log, NoLock); /* the lock is held to the transaction's end */
}

#else

/* The batch's statement: the columns the writer sets (row_hash, where the
 * log has it, comes from its generation expression), one array each; at and
 * txid are the transaction's, the same for every entry. */
static SPIPlanPtr batch_plan = NULL;

static const Oid batch_types[] = {INT8ARRAYOID,  TIMESTAMPTZOID, XID8OID,      TEXTARRAYOID,
                                  TEXTARRAYOID,  TEXTARRAYOID,   TEXTARRAYOID, JSONBARRAYOID,
                                  JSONBARRAYOID, JSONBARRAYOID,  TEXTARRAYOID, TEXTARRAYOID};

/* The element types of the columns, by the enum (at and txid: scalars). */
static const Oid column_types[COL_ROW_HASH] = {INT8OID,  TIMESTAMPTZOID, XID8OID, TEXTOID,
                                               TEXTOID,  TEXTOID,        TEXTOID, JSONBOID,
                                               JSONBOID, JSONBOID,       TEXTOID, TEXTOID};

/* Inserts the gathered entries in the order they were added; called as the
 * log's owner. */
static void flush_batch(pgdbc_audit_writer *w)
{
	if (w->batch_n == 0)
		return;
	int nest = pgdbc_pin_search_path();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dbcare: SPI_connect failed");
	pgdbc_audit_keep_plan(
	    &batch_plan,
	    "INSERT INTO dbcare.audit_log (id, at, txid, db_user, actor, operation,"
	    " table_name, key, old_values, new_values, prev_hash, hash)"
	    " OVERRIDING SYSTEM VALUE"
	    " SELECT e.id, $2, $3, e.db_user, e.actor, e.operation, e.table_name,"
	    " e.key, e.old_values, e.new_values, e.prev_hash, e.hash"
	    " FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($4),"
	    " pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7),"
	    " pg_catalog.unnest($8), pg_catalog.unnest($9), pg_catalog.unnest($10),"
	    " pg_catalog.unnest($11), pg_catalog.unnest($12))"
	    " AS e(id, db_user, actor, operation, table_name, key, old_values, new_values,"
	    " prev_hash, hash)",
	    lengthof(batch_types), (Oid *)batch_types);
	/* the arrays live in SPI's memory, freed by SPI_finish */
	Datum args[lengthof(batch_types)];
	int dims[1] = {w->batch_n}, lbs[1] = {1};
	for (int c = 0; c < COL_ROW_HASH; c++) {
		int16 typlen;
		bool typbyval;
		char typalign;
		if (c == COL_AT || c == COL_TXID)
			continue;
		get_typlenbyvalalign(column_types[c], &typlen, &typbyval, &typalign);
		args[c] =
		    PointerGetDatum(construct_md_array(w->batch_values[c], w->batch_nulls[c], 1, dims, lbs,
		                                       column_types[c], typlen, typbyval, typalign));
	}
	args[COL_AT] = TimestampTzGetDatum(w->at);
	args[COL_TXID] = FullTransactionIdGetDatum(w->txid);
	if (SPI_execute_plan(batch_plan, args, NULL, false, 0) != SPI_OK_INSERT ||
	    SPI_processed != (uint64)w->batch_n)
		elog(ERROR, "dbcare: could not write the audit log's entries");
	SPI_finish();
	pgdbc_unpin_search_path(nest);
	w->batch_n = 0;
	MemoryContextReset(w->batch_cxt);
}

/* The entry added to the batch (its values copied into the batch's memory),
 * the batch written when full. */
static void store_entry(pgdbc_audit_writer *w, const char *table, const Datum *values,
                        const bool *nulls)
{
	(void)table;
	MemoryContext old = MemoryContextSwitchTo(w->batch_cxt);
	int n = w->batch_n;
	for (int c = 0; c < COL_ROW_HASH; c++) {
		if (c == COL_AT || c == COL_TXID)
			continue;
		w->batch_nulls[c][n] = nulls[c];
		w->batch_values[c][n] =
		    nulls[c] ? (Datum)0 : datumCopy(values[c], c == COL_ID, c == COL_ID ? 8 : -1);
	}
	MemoryContextSwitchTo(old);
	if (++w->batch_n == BATCH_ENTRIES)
		flush_batch(w);
}

static void finish_entries(pgdbc_audit_writer *w)
{
	flush_batch(w);
}

#endif

/* ------------------------------------------------------------ entries */

/* A text column's value for the entry: the same as the previous entry's
 * (a statement's entries share their user, actor, operation and table)
 * unless the string differs, made once in the writer's memory. */
static Datum writer_text(pgdbc_audit_writer *w, int col, const char *s)
{
	text *t = (text *)DatumGetPointer(w->text[col]);
	size_t len = strlen(s);
	if (t == NULL || VARSIZE(t) - VARHDRSZ != len || memcmp(VARDATA(t), s, len) != 0) {
		if (t != NULL)
			pfree(t);
		t = (text *)MemoryContextAlloc(w->cxt, len + VARHDRSZ);
		SET_VARSIZE(t, len + VARHDRSZ);
		memcpy(VARDATA(t), s, len);
		w->text[col] = PointerGetDatum(t);
	}
	return PointerGetDatum(t);
}

void pgdbc_audit_writer_add(pgdbc_audit_writer *w, const char *table, const char *op, Datum key,
                            Datum old, Datum new)
{
	Datum values[LOG_NCOLS];
	bool nulls[LOG_NCOLS];
	Oid save_user;
	int save_sec;
	GetUserIdAndSecContext(&save_user, &save_sec);

	memset(nulls, true, sizeof(nulls));
#define SET(col, datum) (values[col] = (datum), nulls[col] = false)
	SET(COL_AT, TimestampTzGetDatum(w->at));
	SET(COL_TXID, FullTransactionIdGetDatum(w->txid));
	SET(COL_DB_USER,
	    writer_text(w, COL_DB_USER, w->decoded ? w->decoded_user : user_name(save_user)));
	const char *actor = w->decoded ? w->decoded_actor : pgdbc_audit_actor();
	if (actor && actor[0])
		SET(COL_ACTOR, writer_text(w, COL_ACTOR, actor));
	SET(COL_OPERATION, writer_text(w, COL_OPERATION, op));
	SET(COL_TABLE_NAME, writer_text(w, COL_TABLE_NAME, table));
	if (key != (Datum)0)
		SET(COL_KEY, key);
	if (old != (Datum)0)
		SET(COL_OLD, old);
	if (new != (Datum)0)
		SET(COL_NEW, new);
#undef SET

	SetUserIdAndSecContext(w->owner,
	                       save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	/* the chain's lock before the id: chained ids follow the chain's order */
	if (w->chain && !w->chain_locked)
		chain_lock(w, table);
	else if (w->chain && !w->chain_legacy && strcmp(w->chain_table, table) != 0)
		elog(ERROR, "dbcare: one audit writer wrote entries of two tables");
	values[COL_ID] = Int64GetDatum(nextval_internal(w->seq, false));
	nulls[COL_ID] = false;
	if (w->chain)
		chain_link(w, values, nulls);
	store_entry(w, table, values, nulls);
	w->written++;
	SetUserIdAndSecContext(save_user, save_sec);
}

void pgdbc_audit_writer_close(pgdbc_audit_writer *w)
{
	Oid save_user;
	int save_sec;
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(w->owner,
	                       save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	finish_entries(w);
	/* the head and the count reach their rows before the transaction
	 * commits (pg/audit/audit_pending.c) */
	if (w->chain_moved)
		pgdbc_audit_pending_move(w->chain_table, w->owner, w->prev_hash, w->last_id);
	pgdbc_audit_pending_count(w->owner, w->written);
	SetUserIdAndSecContext(save_user, save_sec);
	if (w->path_nest >= 0)
		pgdbc_unpin_search_path(w->path_nest);
	MemoryContextDelete(w->cxt);
}
