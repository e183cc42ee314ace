/*
 * audit_floor.c — the floor of any trigger that writes an audit log like
 * dbcare.audit_log, for bench_audit_instructions.py. Built by pg_cluster.sh
 * into the bench cluster's library folder only (never part of dbcare):
 *
 *   audit_floor_trigger()  an AFTER INSERT ... FOR EACH STATEMENT trigger
 *                          (its new rows' transition table), argument: a
 *                          log made LIKE dbcare.audit_log. For each new row
 *                          it forms one log tuple and inserts them with the
 *                          table access method's multi-insert, 1,000 at a
 *                          time (COPY's path), then gives each the log's
 *                          index entries straight to the index access
 *                          methods: what the executor itself would do, less
 *                          everything it plans or checks.
 *
 * It pays only what any such writer must: each entry's tuple, its WAL, its
 * index entries. It pays nothing dbcare pays for what the log means, so no
 * design can be cheaper:
 * - the row image is one constant jsonb of a row's shape, made once (no
 *   JSON is built from the row), and so is the key;
 * - ids are a backend counter (no sequence), row_hash is the id's position
 *   in the statement (so the row index takes its entries in order, at its
 *   right edge, the cheapest order a B-tree has); no hash, no chain;
 * - a BRIN index takes the statement's first entry alone (its value, the
 *   transaction's start, is every entry's);
 * - no constraint is checked but the unique indexes' own.
 */
#include "postgres.h"

#include "access/brin.h"
#include "access/genam.h"
#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"
#include "utils/varlena.h"
#include "utils/xid8.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(audit_floor_trigger);

#define FLOOR_BATCH 1000

static const char *const columns[] = {"id",         "at",  "txid",       "db_user", "operation",
                                      "table_name", "key", "new_values", "row_hash"};
#define NCOLUMNS ((int)lengthof(columns))

static int attno_of(TupleDesc desc, const char *name)
{
	for (int i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped &&
		    strcmp(NameStr(TupleDescAttr(desc, i)->attname), name) == 0)
			return i;
	elog(ERROR, "audit_floor: the log has no column \"%s\"", name);
}

static Datum text_of(const char *s)
{
	return PointerGetDatum(cstring_to_text(s));
}

static Datum jsonb_of(const char *s)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(s));
}

/* The batch's index entries, index by index, entry by entry. */
static void index_batch(EState *estate, ResultRelInfo *rri, Relation log, TupleTableSlot **slots,
                        int n, bool *brin_done)
{
	ExprContext *econtext = GetPerTupleExprContext(estate);
	for (int k = 0; k < rri->ri_NumIndices; k++) {
		Relation index = rri->ri_IndexRelationDescs[k];
		IndexInfo *info = rri->ri_IndexRelationInfo[k];
		bool brin = index->rd_rel->relam == BRIN_AM_OID;
		for (int i = 0; i < n; i++) {
			Datum values[INDEX_MAX_KEYS];
			bool isnull[INDEX_MAX_KEYS];
			if (brin && *brin_done)
				break;
			econtext->ecxt_scantuple = slots[i];
			FormIndexDatum(info, slots[i], estate, values, isnull);
			index_insert(index, values, isnull, &slots[i]->tts_tid, log,
			             info->ii_Unique ? UNIQUE_CHECK_YES : UNIQUE_CHECK_NO, false, info);
		}
	}
	for (int k = 0; k < rri->ri_NumIndices; k++)
		if (rri->ri_IndexRelationDescs[k]->rd_rel->relam == BRIN_AM_OID)
			*brin_done = true;
}

Datum audit_floor_trigger(PG_FUNCTION_ARGS)
{
	static int64 next_id = 1;
	TriggerData *td = (TriggerData *)fcinfo->context;
	if (!CALLED_AS_TRIGGER(fcinfo) || td->tg_trigger->tgnargs != 1 || td->tg_newtable == NULL)
		elog(ERROR, "audit_floor: an AFTER INSERT statement trigger with a new table and a log");
	RangeVar *rv = makeRangeVarFromNameList(
	    textToQualifiedNameList(cstring_to_text(td->tg_trigger->tgargs[0])));
	Relation log = table_openrv(rv, RowExclusiveLock);
	TupleDesc desc = RelationGetDescr(log);
	int attno[NCOLUMNS];
	for (int c = 0; c < NCOLUMNS; c++)
		attno[c] = attno_of(desc, columns[c]);

	/* every entry's values but id and row_hash, made once */
	Datum fixed[NCOLUMNS];
	fixed[1] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	fixed[2] = FullTransactionIdGetDatum(GetTopFullTransactionId());
	fixed[3] = text_of(GetUserNameFromId(GetUserId(), false));
	fixed[4] = text_of("insert");
	fixed[5] = text_of("public.floor_audited");
	fixed[6] = jsonb_of("{\"id\": 12345}");
	fixed[7] = jsonb_of("{\"at\": \"2026-11-27T14:00:00.123456+00:00\", \"id\": 12345,"
	                    " \"v\": 45, \"name\": \"name 12345\"}");

	EState *estate = CreateExecutorState();
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = RelationGetRelid(log);
	rte->relkind = log->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	ExecInitRangeTable(estate, list_make1(rte));
	ResultRelInfo *rri = makeNode(ResultRelInfo);
	InitResultRelInfo(rri, log, 1, NULL, 0);
	ExecOpenIndices(rri, false);
	CommandId cid = GetCurrentCommandId(true);
	BulkInsertState bistate = GetBulkInsertState();
	TupleTableSlot *slots[FLOOR_BATCH];
	for (int i = 0; i < FLOOR_BATCH; i++)
		slots[i] = table_slot_create(log, NULL);
	TupleTableSlot *row =
	    MakeSingleTupleTableSlot(RelationGetDescr(td->tg_relation), &TTSOpsMinimalTuple);
	bool brin_done = false;
	int64 position = 0;
	int n = 0;
	tuplestore_rescan(td->tg_newtable);
	for (;;) {
		bool more = tuplestore_gettupleslot(td->tg_newtable, true, false, row);
		if (more) {
			TupleTableSlot *slot = slots[n++];
			ExecClearTuple(slot);
			memset(slot->tts_isnull, true, sizeof(bool) * desc->natts);
			for (int c = 1; c < NCOLUMNS - 1; c++) {
				slot->tts_values[attno[c]] = fixed[c];
				slot->tts_isnull[attno[c]] = false;
			}
			slot->tts_values[attno[0]] = Int64GetDatum(next_id++);
			slot->tts_isnull[attno[0]] = false;
			slot->tts_values[attno[NCOLUMNS - 1]] = Int64GetDatum(position++);
			slot->tts_isnull[attno[NCOLUMNS - 1]] = false;
			ExecStoreVirtualTuple(slot);
			ExecClearTuple(row);
		}
		if (n == FLOOR_BATCH || (!more && n > 0)) {
			table_multi_insert(log, slots, n, cid, 0, bistate);
			index_batch(estate, rri, log, slots, n, &brin_done);
			ResetPerTupleExprContext(estate);
			n = 0;
		}
		if (!more)
			break;
		CHECK_FOR_INTERRUPTS();
	}
	ExecDropSingleTupleTableSlot(row);
	for (int i = 0; i < FLOOR_BATCH; i++)
		ExecDropSingleTupleTableSlot(slots[i]);
	FreeBulkInsertState(bistate);
	ExecCloseIndices(rri);
	FreeExecutorState(estate);
	table_close(log, NoLock);
	return PointerGetDatum(NULL);
}
