/*
 * pg/audit/audit_cache.c — what the audit trigger and writer keep between
 * the statements and transactions of a backend, and for how long: the OIDs
 * of dbcare's tables, and facts read from the catalog (a trigger's
 * configuration, whether the log has expressions, the count table's
 * layout). A one-row transaction paid their lookups at every commit
 * (issue 63).
 *
 * Invariants:
 * - A kept fact is used only in the generation it was read in. The
 *   generation moves at every relcache invalidation of any relation and
 *   every invalidation of a pg_class name, a schema name, a function or a
 *   type: coarse (DDL is rare beside writes; a fact read again costs what
 *   it cost before it was kept), and never later than the lookups it
 *   replaces would have seen the change (both learn of it when the backend
 *   accepts invalidation messages: a lock taken, a transaction started, a
 *   command of its own transaction ended).
 * - Facts that need memory are made in pgdbc_audit_cache_cxt(). A context
 *   of an older generation is deleted at the end of the transaction, not
 *   when the generation moves: a statement running may still hold what it
 *   gave (an invalidation arrives at any lock, in the middle of a trigger).
 */
#include "pg/host/glue.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "audit_glue.h"

static uint64 generation = 1;

/* the context of the current generation's facts, and the generation it
 * holds; those of older generations, deleted at the transaction's end */
static MemoryContext facts_cxt = NULL;
static uint64 facts_generation = 0;
static List *retired = NIL;

static void moved_relation(Datum arg, Oid relid)
{
	(void)arg, (void)relid;
	generation++;
}

static void moved_catalog(Datum arg, int cacheid, uint32 hashvalue)
{
	(void)arg, (void)cacheid, (void)hashvalue;
	generation++;
}

static void end_of_transaction(XactEvent event, void *arg)
{
	(void)arg;
	if (retired == NIL ||
	    !(event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT || event == XACT_EVENT_PREPARE ||
	      event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT))
		return;
	ListCell *lc;
	foreach (lc, retired)
		MemoryContextDelete((MemoryContext)lfirst(lc));
	list_free(retired);
	retired = NIL;
}

uint64 pgdbc_audit_cache_generation(void)
{
	static bool registered = false;
	if (!registered) {
		CacheRegisterRelcacheCallback(moved_relation, (Datum)0);
		CacheRegisterSyscacheCallback(RELNAMENSP, moved_catalog, (Datum)0);
		CacheRegisterSyscacheCallback(NAMESPACENAME, moved_catalog, (Datum)0);
		CacheRegisterSyscacheCallback(PROCOID, moved_catalog, (Datum)0);
		CacheRegisterSyscacheCallback(TYPEOID, moved_catalog, (Datum)0);
		RegisterXactCallback(end_of_transaction, NULL);
		registered = true;
	}
	return generation;
}

MemoryContext pgdbc_audit_cache_cxt(void)
{
	uint64 now = pgdbc_audit_cache_generation();
	if (facts_cxt != NULL && facts_generation == now)
		return facts_cxt;
	if (facts_cxt != NULL) {
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
		retired = lappend(retired, facts_cxt);
		MemoryContextSwitchTo(old);
	}
	facts_cxt =
	    AllocSetContextCreate(TopMemoryContext, "dbcare audit kept facts", ALLOCSET_SMALL_SIZES);
	facts_generation = now;
	return facts_cxt;
}

/* dbcare's tables by name, kept with the generation they were found in */
typedef struct kept_table {
	const char *name;
	Oid oid;
	uint64 generation;
} kept_table;

Oid pgdbc_audit_table_oid(const char *name)
{
	static kept_table kept[] = {{"audit_log", InvalidOid, 0},
	                            {"audit_written", InvalidOid, 0},
	                            {"audit_chain", InvalidOid, 0}};
	uint64 now = pgdbc_audit_cache_generation();
	kept_table *k = NULL;
	for (size_t i = 0; i < lengthof(kept); i++)
		if (strcmp(kept[i].name, name) == 0)
			k = &kept[i];
	if (k && k->generation == now)
		return k->oid;
	Oid nsp = get_namespace_oid("dbcare", true);
	Oid oid = OidIsValid(nsp) ? get_relname_relid(name, nsp) : InvalidOid;
	if (k) {
		k->oid = oid;
		k->generation = now;
	}
	return oid;
}
