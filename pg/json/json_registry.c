/*
 * json_registry.c — how each backend learns that the JSON Schema registry
 * changed (core/jsonschema/js_registry.c), without reading it per statement.
 *
 * A trigger on the registry's two tables, dbcare.json_registry_changed(),
 * sends a relcache invalidation of dbcare.json_schema_changes with every
 * statement that writes either. Every backend that validated against the
 * registry listens (a relcache callback) and counts those invalidations, and
 * any reset of its caches: the count is the registry's generation as this
 * backend sees it. PostgreSQL delivers the invalidation to the writing
 * backend at its next command and to the others when they next accept
 * invalidations (at the start of each transaction, and when a statement
 * takes a lock not already held), so a compiled schema that read the
 * registry is compiled again from the next transaction after a change.
 */
#include "pg/host/glue.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

static bool listening;
static bool relid_known;
static Oid changes_relid = InvalidOid;
/* starts at 1: the core reads 0 as "compiled without the registry" */
static int64 generation = 1;

/* A change seen after a transaction-level snapshot was taken (REPEATABLE
 * READ, SERIALIZABLE): a schema compiled later in that transaction reads
 * the registry as the snapshot shows it, from before the change, yet at the
 * new generation; the generation moves again when the transaction ends. */
static bool bump_at_end;

static void on_relcache_invalidation(Datum arg, Oid relid)
{
	(void)arg;
	if (relid == InvalidOid || (relid_known && relid == changes_relid)) {
		generation++;
		relid_known = false; /* a dropped and remade extension has new tables */
		if (IsTransactionState() && IsolationUsesXactSnapshot() && FirstSnapshotSet)
			bump_at_end = true;
	}
}

static void on_transaction_end(XactEvent event, void *arg)
{
	(void)arg;
	if (bump_at_end &&
	    (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT || event == XACT_EVENT_PREPARE ||
	     event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT)) {
		generation++;
		bump_at_end = false;
	}
}

int pgdbc_json_registry_generation(dbc_ctx *ctx, int64_t *gen)
{
	(void)ctx;
	if (!listening) {
		CacheRegisterRelcacheCallback(on_relcache_invalidation, (Datum)0);
		RegisterXactCallback(on_transaction_end, NULL);
		listening = true;
	}
	if (!relid_known) {
		Oid nsp = get_namespace_oid("dbcare", true);
		changes_relid =
		    OidIsValid(nsp) ? get_relname_relid("json_schema_changes", nsp) : InvalidOid;
		relid_known = true;
	}
	*gen = generation;
	return DBC_OK;
}

Datum dbcare_json_registry_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("dbcare: json_registry_changed() runs as a trigger only")));
	TriggerData *td = (TriggerData *)fcinfo->context;
	Oid relid = get_relname_relid("json_schema_changes", RelationGetNamespace(td->tg_relation));
	if (OidIsValid(relid))
		CacheInvalidateRelcacheByRelid(relid);
	return PointerGetDatum(NULL);
}
