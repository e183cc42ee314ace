/*
 * audit_write_index.c — the index entries of the entries the direct path
 * writes (pg/audit/audit_write.c, PostgreSQL 15 only, behind the same gate).
 *
 * A statement's entries arrive in id order, so the primary key (and any
 * index on a growing value) takes them at its right edge; but the row
 * index, (row_hash, id), takes them at random places: one descent of the
 * tree, its pages' cache lines and sometimes a page split per entry, about
 * half of the time an audited bulk INSERT spends on its log (docs/
 * benchmarks.md, "Trigger mode at the engine's limit"). So the entries of
 * every non-unique B-tree index of the log are gathered while the entries
 * are stored, sorted in the index's own order (a tuplesort, as CREATE INDEX
 * sorts, spilling past work_mem) and inserted in that order at the end of
 * the call or every SORTED_CHUNK entries: consecutive inserts then walk the
 * tree's pages in order. A writer with at most UNSORTED_ENTRIES entries
 * (a one-row statement's) inserts them at once, without a sort.
 *
 * Invariants:
 * - Unique indexes, exclusion constraints and indexes of other access
 *   methods are maintained at once, as ExecInsertIndexTuples does: a
 *   violation fails at the entry that causes it. A non-unique B-tree index
 *   checks nothing, so the order of its inserts changes no outcome.
 * - Every heap tuple of the log gets its index entries before the writer
 *   closes (before the trigger function returns): nothing reads the log in
 *   between (the entries are this call's, written below the executor), and
 *   an error in between aborts the (sub)transaction with the heap tuples.
 * - An index's values (expressions, partial predicates) are computed from
 *   the entry's tuple when it is stored, as the executor would; only the
 *   insert is deferred.
 */
#include "pg/host/glue.h"

#if PG_VERSION_NUM >= 150000 && PG_VERSION_NUM < 160000 && !defined(DBC_PLAIN_PG_PATHS)

#include "access/genam.h"
#include "access/itup.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "utils/rel.h"
#include "utils/tuplesort.h"

#include "audit_glue.h"

/* Entries gathered before the sorted inserts: bounds the sort's memory
 * (about 60 bytes an entry for the row index, under the default work_mem)
 * and keeps most of the ordering's gain. */
#define SORTED_CHUNK 50000

static bool sorted_later(Relation index, const IndexInfo *info)
{
	return index->rd_rel->relam == BTREE_AM_OID && !info->ii_Unique &&
	       info->ii_ExclusionOps == NULL;
}

void pgdbc_audit_index_open(pgdbc_audit_writer *w)
{
	ResultRelInfo *rri = w->rri;
	int n = rri->ri_NumIndices, now = 0;
	RelationPtr rels = rri->ri_IndexRelationDescs;
	IndexInfo **infos = rri->ri_IndexRelationInfo;
	/* the indexes maintained at once first, the sorted ones after them:
	 * ExecInsertIndexTuples then sees only the first ri_NumIndices */
	for (int i = 0; i < n; i++)
		if (!sorted_later(rels[i], infos[i])) {
			Relation r = rels[i];
			IndexInfo *info = infos[i];
			memmove(&rels[now + 1], &rels[now], sizeof(Relation) * (i - now));
			memmove(&infos[now + 1], &infos[now], sizeof(IndexInfo *) * (i - now));
			rels[now] = r;
			infos[now] = info;
			now++;
		}
	w->nindexes = n;
	w->nsorted = n - now;
	rri->ri_NumIndices = now;
	w->sorted = w->nsorted > 0 ? MemoryContextAllocZero(w->cxt, sizeof(void *) * w->nsorted) : NULL;
	w->sorted_n = 0;
}

static void insert_sorted(pgdbc_audit_writer *w)
{
	ResultRelInfo *rri = w->rri;
	for (int k = 0; k < w->nsorted; k++) {
		Tuplesortstate *sort = w->sorted[k];
		Relation index = rri->ri_IndexRelationDescs[rri->ri_NumIndices + k];
		IndexInfo *info = rri->ri_IndexRelationInfo[rri->ri_NumIndices + k];
		Datum values[INDEX_MAX_KEYS];
		bool isnull[INDEX_MAX_KEYS];
		IndexTuple itup;
		if (sort == NULL)
			continue;
		tuplesort_performsort(sort);
		while ((itup = tuplesort_getindextuple(sort, true)) != NULL) {
			index_deform_tuple(itup, RelationGetDescr(index), values, isnull);
			index_insert(index, values, isnull, &itup->t_tid, w->log, UNIQUE_CHECK_NO, false, info);
			CHECK_FOR_INTERRUPTS();
		}
		tuplesort_end(sort);
		w->sorted[k] = NULL;
	}
	w->sorted_n = 0;
}

/* The index entries of the tuple just inserted from slot; unsorted: those
 * of the sorted indexes too, at once (the writer's few entries). */
void pgdbc_audit_index_add(pgdbc_audit_writer *w, TupleTableSlot *slot, bool unsorted)
{
	ResultRelInfo *rri = w->rri;
	if (rri->ri_NumIndices > 0)
		ExecInsertIndexTuples(rri, slot, w->estate, false, false, NULL, NIL);
	if (w->nsorted == 0)
		return;
	ExprContext *econtext = GetPerTupleExprContext(w->estate);
	econtext->ecxt_scantuple = slot;
	for (int k = 0; k < w->nsorted; k++) {
		Relation index = rri->ri_IndexRelationDescs[rri->ri_NumIndices + k];
		IndexInfo *info = rri->ri_IndexRelationInfo[rri->ri_NumIndices + k];
		Datum values[INDEX_MAX_KEYS];
		bool isnull[INDEX_MAX_KEYS];
		if (!info->ii_ReadyForInserts)
			continue;
		if (info->ii_Predicate != NIL) {
			if (info->ii_PredicateState == NULL)
				info->ii_PredicateState = ExecPrepareQual(info->ii_Predicate, w->estate);
			if (!ExecQual(info->ii_PredicateState, econtext))
				continue;
		}
		FormIndexDatum(info, slot, w->estate, values, isnull);
		if (unsorted) {
			index_insert(index, values, isnull, &slot->tts_tid, w->log, UNIQUE_CHECK_NO, false,
			             info);
			continue;
		}
		if (w->sorted[k] == NULL) {
			MemoryContext old = MemoryContextSwitchTo(w->cxt);
			w->sorted[k] = tuplesort_begin_index_btree(w->log, index, false, false, work_mem, NULL,
			                                           TUPLESORT_NONE);
			MemoryContextSwitchTo(old);
		}
		tuplesort_putindextuplevalues(w->sorted[k], index, &slot->tts_tid, values, isnull);
	}
	if (!unsorted && ++w->sorted_n >= SORTED_CHUNK)
		insert_sorted(w);
}

/* The sorted indexes' remaining entries, then every index closed (its
 * lock held to the transaction's end, like the log's). */
void pgdbc_audit_index_close(pgdbc_audit_writer *w)
{
	insert_sorted(w);
	for (int i = 0; i < w->nindexes; i++)
		if (w->rri->ri_IndexRelationDescs[i])
			index_close(w->rri->ri_IndexRelationDescs[i], NoLock);
}

#endif
