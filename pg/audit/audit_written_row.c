/*
 * pg/audit/audit_written_row.c — the commit-time count added to the
 * backend's row of dbcare.audit_written through the table and index access
 * methods, without the executor: the row found where this backend last
 * updated it (else by its primary key), updated by table_tuple_update, its index entry added when
 * the new version is not a heap-only tuple. The same update through SPI (pg/audit/audit_pending.c)
 * spends more on the executor's set-up and teardown and the plan's
 * revalidation than on the update (issue 63).
 *
 * Invariants:
 * - It does what `UPDATE dbcare.audit_written SET entries = entries + n
 *   WHERE slot = $1` does when nothing else has touched the row, and does
 *   nothing otherwise: the row updated by another transaction, the table
 *   not dbcare's layout (a plain table, not a partition, of two columns,
 *   one index: a B-tree primary key on the first), a trigger, a rule, row
 *   security or a CHECK constraint on it, a publication unable to replicate
 *   an update (replica identity NOTHING), a sum out of bigint's range, the
 *   caller without SELECT and UPDATE on it.
 *   The caller then runs that UPDATE, which handles each case as SQL does.
 * - It runs in the committing transaction, as the caller's user, under the
 *   transaction's active snapshot: the count is committed or rolled back
 *   with the entries.
 * - Built for PostgreSQL 15 only (table_tuple_update's signature; 16 made
 *   update_indexes an enum); -DDBC_PLAIN_PG_PATHS leaves the SQL alone.
 */
#include "pg/host/glue.h"

#if PG_VERSION_NUM >= 150000 && PG_VERSION_NUM < 160000 && !defined(DBC_PLAIN_PG_PATHS)
#define DIRECT_COUNT 1
#endif

#ifdef DIRECT_COUNT
#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#endif

#include "audit_glue.h"

#ifdef DIRECT_COUNT
/* Whether the relation is dbcare's plain table (slot int4, entries int8),
 * with a B-tree primary key on slot alone its one index, and nothing an
 * UPDATE would also run or check: no trigger, rule, row security, CHECK
 * constraint, partition bound, or a publication's refusal to replicate an
 * update (CheckCmdReplicaIdentity refuses one only under identity NOTHING,
 * this table having a primary key). */
static bool plain_layout(Relation rel, Oid *pk)
{
	TupleDesc desc = RelationGetDescr(rel);
	if (rel->rd_rel->relkind != RELKIND_RELATION || rel->rd_rel->relispartition ||
	    rel->rd_rel->relreplident == REPLICA_IDENTITY_NOTHING || desc->natts != 2 ||
	    (desc->constr && desc->constr->num_check > 0) ||
	    TupleDescAttr(desc, 0)->atttypid != INT4OID ||
	    TupleDescAttr(desc, 1)->atttypid != INT8OID || TupleDescAttr(desc, 0)->attisdropped ||
	    TupleDescAttr(desc, 1)->attisdropped || rel->trigdesc != NULL || rel->rd_rel->relhasrules ||
	    rel->rd_rel->relrowsecurity)
		return false;
	List *indexes = RelationGetIndexList(rel);
	*pk = RelationGetPrimaryKeyIndex(rel);
	bool ok = list_length(indexes) == 1 && OidIsValid(*pk);
	list_free(indexes);
	return ok;
}

/* Whether the primary key is the one update_row looks up and fills: a
 * B-tree on column 1 alone, no expression, no predicate. */
static bool plain_key(Relation pk)
{
	return pk->rd_rel->relam == BTREE_AM_OID && pk->rd_index->indnatts == 1 &&
	       pk->rd_index->indkey.values[0] == 1 && RelationGetIndexExpressions(pk) == NIL &&
	       RelationGetIndexPredicate(pk) == NIL;
}

/* plain_layout and plain_key of the table, read once a generation of the
 * catalog (pg/audit/audit_cache.c): any change to the table, its index,
 * triggers, rules or policies moves it. */
static bool plain_layout_kept(Relation rel, Oid *pk)
{
	static Oid kept_rel = InvalidOid;
	static uint64 kept_generation = 0;
	static Oid kept_pk = InvalidOid;
	uint64 now = pgdbc_audit_cache_generation();
	if (kept_generation != now || kept_rel != RelationGetRelid(rel)) {
		if (!plain_layout(rel, pk))
			return false;
		Relation index = index_open(*pk, RowExclusiveLock);
		bool plain = plain_key(index);
		index_close(index, NoLock);
		if (!plain)
			return false;
		kept_pk = *pk;
		kept_rel = RelationGetRelid(rel);
		kept_generation = now;
	}
	*pk = kept_pk;
	return true;
}

/* The backend's row as this backend last wrote it: the version its last
 * count made. The next commit fetches it there (a visible version of the
 * row, checked by its slot) instead of searching the primary key, whose
 * search walks the row's chain of versions each commit leaves on its page;
 * a version gone, moved or not visible (the transaction that made it rolled
 * back, a VACUUM, a rewrite, another relation) sends it to the search. */
static Oid last_rel = InvalidOid;
static ItemPointerData last_tid;

/* The row of slot at its last known place, into old; false when it is not
 * there (or not visible to snapshot). */
static bool fetch_last(Relation rel, int32 slot, Snapshot snapshot, TupleTableSlot *old)
{
	if (last_rel != RelationGetRelid(rel) || !ItemPointerIsValid(&last_tid) ||
	    (uint64)ItemPointerGetBlockNumber(&last_tid) >=
	        table_relation_size(rel, MAIN_FORKNUM) / BLCKSZ ||
	    !table_tuple_fetch_row_version(rel, &last_tid, snapshot, old))
		return false;
	bool null;
	Datum its_slot = slot_getattr(old, 1, &null);
	return !null && DatumGetInt32(its_slot) == slot;
}

/* The row of slot found by its primary key, into old. */
static bool search_row(Relation rel, Relation pk, int32 slot, Snapshot snapshot,
                       TupleTableSlot *old)
{
	ScanKeyData key;
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(slot));
	IndexScanDesc scan = index_beginscan(rel, pk, snapshot, 1, 0);
	index_rescan(scan, &key, 1, NULL, 0);
	bool found = index_getnext_slot(scan, ForwardScanDirection, old);
	if (found)
		ExecMaterializeSlot(old); /* kept past the scan's end */
	index_endscan(scan);
	return found;
}

/* The primary key, opened the first time the update needs it: a version
 * found where it was last updated and updated as a heap-only tuple needs
 * none. */
static Relation open_pk(Relation *pk, Oid pk_oid)
{
	if (*pk == NULL)
		*pk = index_open(pk_oid, RowExclusiveLock);
	return *pk;
}

/* Updates the row of slot; false when it met anything but a row this
 * transaction may update at once. */
static bool update_row(Relation rel, Oid pk_oid, int32 slot, int64 entries)
{
	Snapshot snapshot = GetActiveSnapshot();
	TupleTableSlot *old = table_slot_create(rel, NULL);
	TupleTableSlot *new = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsVirtual);
	Relation pk = NULL;
	bool done = false;
	if (fetch_last(rel, slot, snapshot, old) ||
	    search_row(rel, open_pk(&pk, pk_oid), slot, snapshot, old)) {
		bool null;
		Datum was = slot_getattr(old, 2, &null);
		int64 sum;
		/* out of range: the UPDATE raises the error */
		if (!null && !pg_add_s64_overflow(DatumGetInt64(was), entries, &sum)) {
			ExecClearTuple(new);
			new->tts_values[0] = Int32GetDatum(slot);
			new->tts_values[1] = Int64GetDatum(sum);
			new->tts_isnull[0] = new->tts_isnull[1] = false;
			ExecStoreVirtualTuple(new);
			TM_FailureData failure;
			LockTupleMode mode;
			bool update_indexes;
			/* wait: a concurrent writer's end is waited for, as by UPDATE */
			if (table_tuple_update(rel, &old->tts_tid, new, GetCurrentCommandId(true), snapshot,
			                       InvalidSnapshot, true, &failure, &mode,
			                       &update_indexes) == TM_Ok) {
				if (update_indexes) { /* the new version is not heap-only */
					open_pk(&pk, pk_oid);
					index_insert(pk, new->tts_values, new->tts_isnull, &new->tts_tid, rel,
					             UNIQUE_CHECK_YES, true, BuildIndexInfo(pk));
				}
				last_rel = RelationGetRelid(rel);
				last_tid = new->tts_tid;
				done = true;
			}
		}
	}
	if (pk != NULL)
		index_close(pk, NoLock);
	ExecDropSingleTupleTableSlot(new);
	ExecDropSingleTupleTableSlot(old);
	return done;
}
#endif

bool pgdbc_audit_written_add(Oid relid, int32 slot, int64 entries)
{
#ifdef DIRECT_COUNT
	/* both, as the UPDATE needs (pg_class_aclcheck passes either); a
	 * superuser has both, as pg_class_aclmask answers after reading the
	 * table's pg_class row, which the usual log owner skips */
	AclMode needs = ACL_SELECT | ACL_UPDATE;
	if (!superuser_arg(GetUserId()) &&
	    pg_class_aclmask(relid, GetUserId(), needs, ACLMASK_ALL) != needs)
		return false;
	Relation rel = table_open(relid, RowExclusiveLock);
	Oid pk_oid;
	bool done = plain_layout_kept(rel, &pk_oid) && update_row(rel, pk_oid, slot, entries);
	table_close(rel, NoLock);
	/* seen by a session at client_min_messages = debug1 (pg_audit_chain) */
	if (done)
		elog(DEBUG1, "dbcare: the audit count was added in place");
	return done;
#else
	(void)relid;
	(void)slot;
	(void)entries;
	return false;
#endif
}
