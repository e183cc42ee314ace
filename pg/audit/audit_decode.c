/*
 * audit_decode.c — dbcare as a logical decoding output plugin (the slot of
 * wal mode, docs/audit.md "Choosing a mode"): the changes of the tables
 * audited in wal mode, turned into the entries the audit trigger would
 * write, for the worker that writes them into the log
 * (pg/audit/audit_wal_worker.c).
 *
 * A table is audited in wal mode when it carries dbcare's audit trigger
 * whose mode argument holds "+wal" (pg/audit/fn_audit.c makes it): it fires
 * before each statement only to log the context the WAL lacks (the user,
 * dbcare.actor; pg/audit/audit_write.c), and its arguments are the configuration the
 * decoder reads from the catalog as of each change (the historic snapshot),
 * so a change is recorded exactly when the table was audited at its
 * commit, with the columns and key it had then. The entry is made by the
 * trigger's own code (pgdbc_audit_entry), so both modes write the same
 * JSON.
 *
 * The output is binary, one record per row of
 * pg_logical_slot_peek_binary_changes, a transaction's records only when it
 * changed an audited table:
 *   'B' xid(4) epoch-full xid(8) commit time(8) end lsn(8)   the transaction
 *   'A' user\0actor\0application\0     the context before the entries it applies to
 *                                       (the trigger's signed message, its MAC checked
 *                                       and cut off)
 *   'R' reason                          a dbcare.actor message rejected (not the
 *                                       trigger's: forged or malformed), ignored
 *   'E' chain(1) op(1) table key old new   an entry (each field below)
 *   'C'                                     the transaction's end
 * A field is a length (int32, -1 for NULL) and its bytes: the table's stored
 * name as text, jsonb as its whole varlena (4-byte header). op: i u d t.
 * The worker reads what this machine wrote: native byte order.
 */
#include "pg/host/glue.h"

#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_namespace.h"
#include "commands/trigger.h"
#include "executor/tuptable.h"
#include "replication/logical.h"
#include "replication/output_plugin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "audit_glue.h"
#include "audit_wal.h"

/* One relation's configuration in the transaction being decoded (NULL: not
 * audited in wal mode then). Rebuilt for each transaction: its catalog is
 * the historic snapshot's. */
typedef struct decoded_rel {
	Oid relid;
	pgdbc_audit_cfg *cfg;
	TupleDesc desc; /* the descriptor cfg and the slots are for */
	/* made once per relation and transaction: a slot pins its descriptor
	 * in the resource owner until it is dropped */
	TupleTableSlot *oldslot, *newslot;
} decoded_rel;

typedef struct decoder {
	MemoryContext txn_cxt; /* the configurations and each change's JSON */
	MemoryContext row_cxt; /* one change's; reset after each */
	HTAB *rels;
	bool begun; /* the transaction's 'B' is written */
	/* the transaction's last dbcare.actor message not yet written: 'A'
	 * goes out before the next entry, so a transaction that changed no
	 * audited table writes nothing */
	char *actor;
	Size actor_len;
} decoder;

static void drop_slots(decoded_rel *e)
{
	if (e->oldslot)
		ExecDropSingleTupleTableSlot(e->oldslot);
	if (e->newslot)
		ExecDropSingleTupleTableSlot(e->newslot);
	e->oldslot = e->newslot = NULL;
}

static void forget_rels(decoder *d)
{
	HASH_SEQ_STATUS it;
	decoded_rel *e;
	if (d->rels) {
		hash_seq_init(&it, d->rels);
		while ((e = hash_seq_search(&it)) != NULL)
			drop_slots(e);
		hash_destroy(d->rels);
	}
	d->rels = NULL;
	MemoryContextReset(d->txn_cxt);
}

static void startup(LogicalDecodingContext *ctx, OutputPluginOptions *opt, bool is_init)
{
	(void)is_init;
	decoder *d = MemoryContextAllocZero(ctx->context, sizeof(decoder));
	d->txn_cxt = AllocSetContextCreate(ctx->context, "dbcare decode txn", ALLOCSET_DEFAULT_SIZES);
	d->row_cxt = AllocSetContextCreate(ctx->context, "dbcare decode row", ALLOCSET_DEFAULT_SIZES);
	ctx->output_plugin_private = d;
	opt->output_type = OUTPUT_PLUGIN_BINARY_OUTPUT;
	opt->receive_rewrites = false;
}

static void decode_shutdown(LogicalDecodingContext *ctx)
{
	decoder *d = ctx->output_plugin_private;
	forget_rels(d);
}

/* The table's wal-mode audit trigger, if it has one: dbcare's function
 * (dbcare.audit_trigger), "+wal" in its mode argument. Disabled or not:
 * it only logs the statements' context (pg/audit/audit_write.c). */
static const Trigger *wal_trigger(Relation rel)
{
	TriggerDesc *td = rel->trigdesc;
	for (int i = 0; td && i < td->numtriggers; i++) {
		const Trigger *t = &td->triggers[i];
		if (t->tgnargs < 3 || !strstr(t->tgargs[1], "+wal") ||
		    strcmp(t->tgname, PGDBC_AUDIT_WAL_TRIGGER) != 0)
			continue;
		char *fn = get_func_name(t->tgfoid);
		Oid nsp = get_func_namespace(t->tgfoid);
		char *nspname = OidIsValid(nsp) ? get_namespace_name(nsp) : NULL;
		if (fn && nspname && strcmp(fn, "audit_trigger") == 0 && strcmp(nspname, "dbcare") == 0)
			return t;
	}
	return NULL;
}

static decoded_rel *rel_of(decoder *d, Relation rel)
{
	Oid relid = RelationGetRelid(rel);
	bool found;
	if (d->rels == NULL) {
		HASHCTL hc;
		hc.keysize = sizeof(Oid);
		hc.entrysize = sizeof(decoded_rel);
		hc.hcxt = d->txn_cxt;
		d->rels =
		    hash_create("dbcare decoded relations", 16, &hc, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	decoded_rel *e = hash_search(d->rels, &relid, HASH_ENTER, &found);
	if (found && e->desc == RelationGetDescr(rel))
		return e;
	if (found)
		drop_slots(e); /* the relation changed within the transaction */
	const Trigger *t = wal_trigger(rel);
	e->desc = RelationGetDescr(rel);
	e->cfg = t ? pgdbc_audit_cfg_of(d->txn_cxt, t, relid, e->desc) : NULL;
	e->oldslot = e->newslot = NULL;
	if (e->cfg) {
		MemoryContext old = MemoryContextSwitchTo(d->txn_cxt);
		e->oldslot = MakeSingleTupleTableSlot(e->desc, &TTSOpsHeapTuple);
		e->newslot = MakeSingleTupleTableSlot(e->desc, &TTSOpsHeapTuple);
		MemoryContextSwitchTo(old);
	}
	return e;
}

static void put_field(StringInfo out, const void *bytes, int32 len)
{
	appendBinaryStringInfo(out, (const char *)&len, sizeof(len));
	if (len > 0)
		appendBinaryStringInfo(out, bytes, len);
}

static void put_jsonb(StringInfo out, Datum j)
{
	if (j == (Datum)0) {
		put_field(out, NULL, -1);
		return;
	}
	struct varlena *v = pg_detoast_datum((struct varlena *)DatumGetPointer(j));
	put_field(out, v, (int32)VARSIZE(v));
}

/* The transaction's 'B', before its first record. */
static void begin_once(LogicalDecodingContext *ctx, ReorderBufferTXN *txn)
{
	decoder *d = ctx->output_plugin_private;
	if (d->begun)
		return;
	FullTransactionId next = ReadNextFullTransactionId();
	uint32 epoch = EpochFromFullTransactionId(next);
	if (txn->xid > XidFromFullTransactionId(next))
		epoch--; /* the xid is of the previous epoch */
	uint64 full = ((uint64)epoch << 32) | txn->xid;
	int64 at = txn->xact_time.commit_time;
	uint64 end = txn->end_lsn;
	OutputPluginPrepareWrite(ctx, true);
	appendStringInfoChar(ctx->out, 'B');
	appendBinaryStringInfo(ctx->out, (const char *)&txn->xid, sizeof(TransactionId));
	appendBinaryStringInfo(ctx->out, (const char *)&full, sizeof(full));
	appendBinaryStringInfo(ctx->out, (const char *)&at, sizeof(at));
	appendBinaryStringInfo(ctx->out, (const char *)&end, sizeof(end));
	OutputPluginWrite(ctx, true);
	d->begun = true;
}

static void actor_once(LogicalDecodingContext *ctx)
{
	decoder *d = ctx->output_plugin_private;
	if (d->actor == NULL)
		return;
	OutputPluginPrepareWrite(ctx, true);
	appendStringInfoChar(ctx->out, 'A');
	appendBinaryStringInfo(ctx->out, d->actor, (int)d->actor_len);
	OutputPluginWrite(ctx, true);
	d->actor = NULL;
}

static void begin_txn(LogicalDecodingContext *ctx, ReorderBufferTXN *txn)
{
	decoder *d = ctx->output_plugin_private;
	(void)txn;
	d->begun = false;
	d->actor = NULL;
	forget_rels(d);
}

static void commit_txn(LogicalDecodingContext *ctx, ReorderBufferTXN *txn, XLogRecPtr lsn)
{
	decoder *d = ctx->output_plugin_private;
	(void)txn, (void)lsn;
	if (d->begun) {
		OutputPluginPrepareWrite(ctx, true);
		appendStringInfoChar(ctx->out, 'C');
		OutputPluginWrite(ctx, true);
	}
	d->begun = false;
	forget_rels(d);
}

static void write_entry(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
                        const pgdbc_audit_cfg *c, char op, Datum key, Datum old, Datum new)
{
	const char *table = pgdbc_audit_cfg_table(c);
	begin_once(ctx, txn);
	actor_once(ctx);
	OutputPluginPrepareWrite(ctx, true);
	appendStringInfoChar(ctx->out, 'E');
	appendStringInfoChar(ctx->out, pgdbc_audit_cfg_chain(c) ? 1 : 0);
	appendStringInfoChar(ctx->out, op);
	put_field(ctx->out, table, (int32)strlen(table));
	put_jsonb(ctx->out, key);
	put_jsonb(ctx->out, old);
	put_jsonb(ctx->out, new);
	OutputPluginWrite(ctx, true);
}

#if PG_VERSION_NUM >= 170000
#define CHANGE_TUPLE(t) (t)
#else
#define CHANGE_TUPLE(t) ((t) ? &(t)->tuple : NULL)
#endif

/* The new version of an updated row with the values its UPDATE left in
 * TOAST unchanged (logged as a pointer the decoder cannot read) taken from
 * the old version, which the table's REPLICA IDENTITY FULL logs whole. */
static HeapTuple untoasted(TupleDesc desc, HeapTuple newtup, HeapTuple oldtup)
{
	int n = desc->natts;
	Datum *values = palloc(sizeof(Datum) * n), *old_values = palloc(sizeof(Datum) * n);
	bool *nulls = palloc(sizeof(bool) * n), *old_nulls = palloc(sizeof(bool) * n);
	bool filled = false;
	heap_deform_tuple(newtup, desc, values, nulls);
	if (oldtup)
		heap_deform_tuple(oldtup, desc, old_values, old_nulls);
	for (int i = 0; i < n; i++) {
		Form_pg_attribute a = TupleDescAttr(desc, i);
		if (a->attisdropped || a->attlen != -1 || nulls[i] ||
		    !VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(values[i])))
			continue;
		if (!oldtup || old_nulls[i])
			ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			                errmsg("dbcare: an unchanged TOAST value of \"%s\" has no previous"
			                       " version in the WAL",
			                       NameStr(a->attname)),
			                errhint("Tables audited in wal mode need REPLICA IDENTITY FULL.")));
		values[i] = old_values[i];
		filled = true;
	}
	return filled ? heap_form_tuple(desc, values, nulls) : newtup;
}

static void change(LogicalDecodingContext *ctx, ReorderBufferTXN *txn, Relation rel,
                   ReorderBufferChange *ch)
{
	decoder *d = ctx->output_plugin_private;
	decoded_rel *r = rel_of(d, rel);
	pgdbc_audit_cfg *c = r->cfg;
	if (c == NULL)
		return;
	TupleDesc desc = RelationGetDescr(rel);
	HeapTuple newtup = CHANGE_TUPLE(ch->data.tp.newtuple);
	HeapTuple oldtup = CHANGE_TUPLE(ch->data.tp.oldtuple);
	char op;
	switch (ch->action) {
	case REORDER_BUFFER_CHANGE_INSERT:
		op = 'i';
		oldtup = NULL;
		break;
	case REORDER_BUFFER_CHANGE_UPDATE:
		op = 'u';
		break;
	case REORDER_BUFFER_CHANGE_DELETE:
		op = 'd';
		newtup = NULL;
		break;
	default:
		return;
	}
	if ((op != 'i' && oldtup == NULL) || (op != 'd' && newtup == NULL))
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("dbcare: the WAL holds no old row for a change of %s",
		                       pgdbc_audit_cfg_table(c)),
		                errhint("Tables audited in wal mode need REPLICA IDENTITY FULL.")));
	MemoryContext old_cxt = MemoryContextSwitchTo(d->row_cxt);
	TupleTableSlot *oslot = NULL, *nslot = NULL;
	if (oldtup) {
		oslot = r->oldslot;
		ExecStoreHeapTuple(oldtup, oslot, false);
	}
	if (newtup) {
		nslot = r->newslot;
		ExecStoreHeapTuple(op == 'u' ? untoasted(desc, newtup, oldtup) : newtup, nslot, false);
	}
	Datum key, old, new;
	if (pgdbc_audit_entry(c, desc, oslot, nslot, &key, &old, &new))
		write_entry(ctx, txn, c, op, key, old, new);
	if (oslot)
		ExecClearTuple(oslot);
	if (nslot)
		ExecClearTuple(nslot);
	MemoryContextSwitchTo(old_cxt);
	MemoryContextReset(d->row_cxt);
}

static void truncate_rels(LogicalDecodingContext *ctx, ReorderBufferTXN *txn, int n,
                          Relation rels[], ReorderBufferChange *ch)
{
	decoder *d = ctx->output_plugin_private;
	(void)ch;
	for (int i = 0; i < n; i++) {
		pgdbc_audit_cfg *c = rel_of(d, rels[i])->cfg;
		if (c)
			write_entry(ctx, txn, c, 't', (Datum)0, (Datum)0, (Datum)0);
	}
}

/* The context of the entries after it (pg/audit/audit_write.c logs it): only a
 * message the audit trigger signed for this transaction is taken
 * (pg/audit/audit_actor_key.c), and only when the transaction changes an audited
 * table does it reach the output. Any other with the prefix (anyone may
 * emit one) changes nothing: an 'R' naming why goes out instead, for the
 * worker to count and report. */
static void message(LogicalDecodingContext *ctx, ReorderBufferTXN *txn, XLogRecPtr lsn,
                    bool transactional, const char *prefix, Size size, const char *body)
{
	(void)lsn;
	/* a message outside the transaction's replay applies to nothing */
	if (!transactional || txn == NULL || strcmp(prefix, PGDBC_AUDIT_ACTOR_PREFIX) != 0)
		return;
	decoder *d = ctx->output_plugin_private;
	dbc_audit_actor_fields f;
	const char *why = pgdbc_audit_actor_check(txn->xid, body, size, &f);
	if (why == NULL) {
		d->actor = MemoryContextAlloc(d->txn_cxt, f.signed_len);
		memcpy(d->actor, body, f.signed_len);
		d->actor_len = f.signed_len;
		return;
	}
	begin_once(ctx, txn);
	OutputPluginPrepareWrite(ctx, true);
	appendStringInfoChar(ctx->out, 'R');
	appendStringInfoString(ctx->out, why);
	OutputPluginWrite(ctx, true);
}

void _PG_output_plugin_init(OutputPluginCallbacks *cb)
{
	cb->startup_cb = startup;
	cb->begin_cb = begin_txn;
	cb->change_cb = change;
	cb->truncate_cb = truncate_rels;
	cb->commit_cb = commit_txn;
	cb->message_cb = message;
	cb->shutdown_cb = decode_shutdown;
}
