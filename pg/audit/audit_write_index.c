/*
 * audit_write_index.c — the index entries of the entries the direct path
 * writes (pg/audit/audit_write.c, PostgreSQL 15 only, behind the same gate).
 *
 * A statement's entries arrive in id order, so an index on a growing value
 * takes them at its right edge; but an index on anything else takes them
 * at random places: one descent of the tree, its pages' cache lines and
 * sometimes a page split per entry. So the entries of every non-unique
 * B-tree index of the log (its owner's: the log's own B-tree index is its
 * primary key, (row_hash, id), unique, maintained entry by entry: sorting
 * its entries cost more instructions than it saved, issue 63) are gathered
 * while the entries
 * are stored, sorted in the index's own order (a tuplesort, as CREATE INDEX
 * sorts, spilling past work_mem) and inserted in that order at the end of
 * the call or every SORTED_CHUNK entries: consecutive inserts then walk the
 * tree's pages in order. A writer with at most UNSORTED_ENTRIES entries
 * (a one-row statement's) inserts them at once, without a sort.
 *
 * A BRIN index (the log's on at) holds a summary per range of heap pages,
 * and an entry whose index values are those of the writer's previous entry
 * in the same range changes no summary: brininsert would look the range up
 * (its revmap, a buffer lock) only to find it holds the values already,
 * about a twentieth of an audited bulk INSERT's instructions. Such an entry
 * is not passed to the index. The previous entry is in the heap already, so
 * a summary made at any time (the first insert found the range unsummarized,
 * a concurrent brin_summarize_range, a range desummarized and summarized
 * again) holds its values, which are this entry's: a BRIN summary of a
 * range is a function of the set of values in it, a repeated value adds
 * nothing.
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
 *   insert is deferred (or, for a BRIN index, left out as above).
 */
#include "pg/host/glue.h"

#if PG_VERSION_NUM >= 150000 && PG_VERSION_NUM < 160000 && !defined(DBC_PLAIN_PG_PATHS)

#include "access/brin.h"
#include "access/genam.h"
#include "access/itup.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "utils/datum.h"
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

/* The values a BRIN index last took from this writer, and their range. */
typedef struct pgdbc_audit_summary {
	BlockNumber range; /* InvalidBlockNumber: none yet */
	Datum values[INDEX_MAX_KEYS];
	bool isnull[INDEX_MAX_KEYS];
} pgdbc_audit_summary;

/* How an index takes the writer's entries, in the order rri holds them. */
enum { AT_ONCE, SUMMARY, SORTED };

static int index_class(Relation index, const IndexInfo *info)
{
	if (index->rd_rel->relam == BRIN_AM_OID)
		return SUMMARY;
	return sorted_later(index, info) ? SORTED : AT_ONCE;
}

void pgdbc_audit_index_open(pgdbc_audit_writer *w)
{
	ResultRelInfo *rri = w->rri;
	int n = rri->ri_NumIndices, count[SORTED + 1] = {0}, at = 0;
	RelationPtr rels = rri->ri_IndexRelationDescs;
	IndexInfo **infos = rri->ri_IndexRelationInfo;
	/* the indexes maintained at once first, the BRIN ones next, the sorted
	 * ones last (in their order otherwise): ExecInsertIndexTuples then sees
	 * only the first ri_NumIndices */
	Relation *r = palloc(sizeof(Relation) * (n + 1));
	IndexInfo **f = palloc(sizeof(IndexInfo *) * (n + 1));
	for (int cls = AT_ONCE; cls <= SORTED; cls++)
		for (int i = 0; i < n; i++)
			if (index_class(rels[i], infos[i]) == cls) {
				r[at] = rels[i];
				f[at++] = infos[i];
				count[cls]++;
			}
	memcpy(rels, r, sizeof(Relation) * n);
	memcpy(infos, f, sizeof(IndexInfo *) * n);
	pfree(r);
	pfree(f);
	w->nindexes = n;
	w->nsummary = count[SUMMARY];
	w->nsorted = count[SORTED];
	rri->ri_NumIndices = count[AT_ONCE];
	w->summary = w->nsummary > 0
	                 ? MemoryContextAlloc(w->cxt, sizeof(pgdbc_audit_summary) * w->nsummary)
	                 : NULL;
	for (int k = 0; k < w->nsummary; k++)
		w->summary[k].range = InvalidBlockNumber;
	w->sorted = w->nsorted > 0 ? MemoryContextAllocZero(w->cxt, sizeof(void *) * w->nsorted) : NULL;
	w->sorted_n = 0;
}

/* The index at position k of the writer's BRIN indexes (SUMMARY) or of
 * its sorted ones (SORTED), and its IndexInfo. */
static Relation index_at(const pgdbc_audit_writer *w, int cls, int k, IndexInfo **info)
{
	int at = w->rri->ri_NumIndices + (cls == SORTED ? w->nsummary : 0) + k;
	*info = w->rri->ri_IndexRelationInfo[at];
	return w->rri->ri_IndexRelationDescs[at];
}

static void insert_sorted(pgdbc_audit_writer *w)
{
	for (int k = 0; k < w->nsorted; k++) {
		Tuplesortstate *sort = w->sorted[k];
		IndexInfo *info;
		Relation index = index_at(w, SORTED, k, &info);
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

/* The index's values for the tuple in the expression context's scan slot;
 * false when the index is not ready or its predicate leaves the tuple out. */
static bool index_values(pgdbc_audit_writer *w, IndexInfo *info, TupleTableSlot *slot,
                         Datum *values, bool *isnull)
{
	if (!info->ii_ReadyForInserts)
		return false;
	if (info->ii_Predicate != NIL) {
		if (info->ii_PredicateState == NULL)
			info->ii_PredicateState = ExecPrepareQual(info->ii_Predicate, w->estate);
		if (!ExecQual(info->ii_PredicateState, GetPerTupleExprContext(w->estate)))
			return false;
	}
	FormIndexDatum(info, slot, w->estate, values, isnull);
	return true;
}

/* The entry into the writer's k-th BRIN index, unless its values are those
 * of the writer's previous entry in the same range (the file comment). */
static void add_summarized(pgdbc_audit_writer *w, int k, TupleTableSlot *slot)
{
	IndexInfo *info;
	Relation index = index_at(w, SUMMARY, k, &info);
	pgdbc_audit_summary *last = &w->summary[k];
	TupleDesc desc = RelationGetDescr(index);
	Datum values[INDEX_MAX_KEYS];
	bool isnull[INDEX_MAX_KEYS];
	if (!index_values(w, info, slot, values, isnull))
		return;
	BlockNumber range = ItemPointerGetBlockNumber(&slot->tts_tid) / BrinGetPagesPerRange(index);
	int natts = info->ii_NumIndexAttrs;
	bool same = range == last->range;
	for (int i = 0; same && i < natts; i++) {
		Form_pg_attribute a = TupleDescAttr(desc, i);
		same = isnull[i] == last->isnull[i] &&
		       (isnull[i] || datumIsEqual(values[i], last->values[i], a->attbyval, a->attlen));
	}
	if (same)
		return;
	index_insert(index, values, isnull, &slot->tts_tid, w->log, UNIQUE_CHECK_NO, false, info);
	MemoryContext old = MemoryContextSwitchTo(w->cxt);
	for (int i = 0; i < natts; i++) {
		Form_pg_attribute a = TupleDescAttr(desc, i);
		if (last->range != InvalidBlockNumber && !last->isnull[i] && !a->attbyval)
			pfree(DatumGetPointer(last->values[i]));
		last->isnull[i] = isnull[i];
		last->values[i] = isnull[i] ? (Datum)0 : datumCopy(values[i], a->attbyval, a->attlen);
	}
	MemoryContextSwitchTo(old);
	last->range = range;
}

/* The index entries of the tuple just inserted from slot; unsorted: those
 * of the sorted indexes too, at once (the writer's few entries). */
void pgdbc_audit_index_add(pgdbc_audit_writer *w, TupleTableSlot *slot, bool unsorted)
{
	if (w->rri->ri_NumIndices > 0)
		ExecInsertIndexTuples(w->rri, slot, w->estate, false, false, NULL, NIL);
	if (w->nsummary == 0 && w->nsorted == 0)
		return;
	GetPerTupleExprContext(w->estate)->ecxt_scantuple = slot;
	for (int k = 0; k < w->nsummary; k++)
		add_summarized(w, k, slot);
	for (int k = 0; k < w->nsorted; k++) {
		IndexInfo *info;
		Relation index = index_at(w, SORTED, k, &info);
		Datum values[INDEX_MAX_KEYS];
		bool isnull[INDEX_MAX_KEYS];
		if (!index_values(w, info, slot, values, isnull))
			continue;
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
	if (w->nsorted > 0 && !unsorted && ++w->sorted_n >= SORTED_CHUNK)
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
