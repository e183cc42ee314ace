/*
 * pg/fastpath.c — moves this backend's fast-path relation locks into the
 * shared lock table before a call runs migration scripts.
 *
 * Why: PostgreSQL keeps up to 16 weak relation locks per backend in a
 * "fast path" array, and while any slot is in use every release of a weak
 * relation lock first takes the backend's fast-path LWLock and scans the 16
 * slots. A migration's DDL takes and releases hundreds of catalog locks per
 * statement. Run raw, those go through the shared table (the strong locks on
 * the new tables make them ineligible for the fast path) and the slots stay
 * empty; run by dbcare, the locks the call took first (the migration lock
 * row, the generation counter, the settings, and their indexes) sit in the
 * slots until commit, and the releases cost 70-90 M more instructions over
 * 1,000 migrations (2 % of applying them; the same extra as raw SQL that
 * first reads 16 tables).
 *
 * How: taking a strong lock on a relation makes PostgreSQL move every
 * backend's fast-path locks on it into the shared table. Each relation in a
 * slot is locked in SHARE mode without waiting and released at once; the
 * call's own weak locks stay held, now in the shared table. A SHARE lock
 * that is not free at that instant (another session writing the relation)
 * is not waited for: the call goes on, at worst with a slot still in use,
 * which costs only speed. The slot layout is read as PostgreSQL 15-17
 * define it.
 */
#include "glue.h"

#include "access/xlog.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "storage/proc.h"

/* lock.c's private layout of PGPROC.fpLockBits: three bits per slot */
#define FP_BITS_PER_SLOT 3
#define FP_SLOT_BITS(proc, slot) (((proc)->fpLockBits >> (FP_BITS_PER_SLOT * (slot))) & 7)

void pgdbc_move_fastpath_locks(void)
{
#if PG_VERSION_NUM >= 150000 && PG_VERSION_NUM < 180000
	Oid rels[FP_LOCK_SLOTS_PER_BACKEND];
	int n = 0;
	StaticAssertStmt(FP_LOCK_SLOTS_PER_BACKEND * FP_BITS_PER_SLOT <= 64,
	                 "fast-path slots fit in fpLockBits");
	/* a standby refuses SHARE locks (and runs no migrations) */
	if (RecoveryInProgress())
		return;
	LWLockAcquire(&MyProc->fpInfoLock, LW_SHARED);
	for (int f = 0; f < FP_LOCK_SLOTS_PER_BACKEND; f++)
		if (FP_SLOT_BITS(MyProc, f) != 0)
			rels[n++] = MyProc->fpRelId[f];
	LWLockRelease(&MyProc->fpInfoLock);
	for (int i = 0; i < n; i++) {
		LOCKTAG tag;
		SET_LOCKTAG_RELATION(tag, MyDatabaseId, rels[i]);
		if (LockAcquire(&tag, ShareLock, false, true) != LOCKACQUIRE_NOT_AVAIL)
			LockRelease(&tag, ShareLock, false);
	}
#endif
}
