/*
 * pg/migrate/migrate_summary.c — what makes a stored migration status summary safe to
 * answer from in PostgreSQL (core/migrate/migrate_summary.c reads and stores it):
 * the trigger that bumps dbcare.migrations_generation on every write to the
 * migration tables, the generation a derivation describes, and whether this
 * call may read or store the row at all.
 *
 * Why a generation and not SQLite's "a write clears the row": under MVCC a
 * writer's DELETE does not see a summary row committed after its snapshot,
 * so a summary derived before the writer committed would outlive it. Here
 * writers bump one counter row (serialised by its row lock), a deriver reads
 * the counter in the same snapshot as it derives and stores the figures with
 * that value only while it is still current, and a reader accepts the row
 * only when its generation equals the counter it sees. A transaction bumps
 * once: later writes of the same transaction are invisible to everyone else
 * until it commits, and it never stores a summary of its own writes.
 */
#include "pg/host/glue.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"

static SPIPlanPtr stamp_plan, bump_plan;

/* The kept plan for sql; the plan cache re-plans it after DDL on the table. */
static SPIPlanPtr kept_plan(SPIPlanPtr *slot, const char *sql)
{
	if (!*slot) {
		SPIPlanPtr p = SPI_prepare(sql, 0, NULL);
		if (!p)
			elog(ERROR, "dbcare: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(p) != 0)
			elog(ERROR, "dbcare: SPI_keepplan failed");
		*slot = p;
	}
	return *slot;
}

/* The counter's value as this snapshot sees it, and whether this transaction
 * (or a live subtransaction of it) wrote that version. */
static int64 read_generation(bool *mine)
{
	SPIPlanPtr p =
	    kept_plan(&stamp_plan, "SELECT n, xmin FROM dbcare.migrations_generation WHERE id = 1");
	int64 n = 0;
	*mine = false;
	if (SPI_execute_plan(p, NULL, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "dbcare: reading dbcare.migrations_generation failed");
	if (SPI_processed == 1) {
		bool isnull;
		Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		n = isnull ? 0 : DatumGetInt64(d);
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
		*mine = !isnull && TransactionIdIsCurrentTransactionId(DatumGetTransactionId(d));
	}
	SPI_freetuptable(SPI_tuptable);
	return n;
}

/* Statement trigger on dbcare.migrations, migrations_applied and
 * migrations_history: one bump per transaction (a bump rolled back with its
 * savepoint leaves an older version visible, and the next write bumps again). */
Datum dbcare_migrations_changed(PG_FUNCTION_ARGS)
{
	bool mine;
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("dbcare: migrations_changed() runs only as a trigger")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dbcare: SPI_connect failed");
	read_generation(&mine);
	if (!mine && SPI_execute_plan(kept_plan(&bump_plan, "UPDATE dbcare.migrations_generation "
	                                                    "SET n = n + 1 WHERE id = 1"),
	                              NULL, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "dbcare: bumping dbcare.migrations_generation failed");
	SPI_finish();
	return PointerGetDatum(NULL);
}

static void stamp_body(void *arg)
{
	int64_t *stamp = arg;
	bool mine;
	int64 n = read_generation(&mine);
	*stamp = mine ? -1 : n;
}

int pgdbc_status_stamp(dbc_ctx *ctx, int64_t *stamp)
{
	*stamp = -1;
	return pgdbc_guarded(ctx, stamp_body, stamp);
}

static bool may(Oid rel, AclMode mode)
{
	return pg_class_aclcheck(rel, GetUserId(), mode) == ACLCHECK_OK;
}

/* No summary where the tables are missing (an install from before them) or
 * unreadable to this role; read only where a write is impossible or unwanted:
 * a standby or read-only transaction, no UPDATE grant, or SERIALIZABLE, where
 * the extra write could make the caller's commit fail. */
dbc_cache_access pgdbc_status_cache(dbc_ctx *ctx)
{
	Oid ns = get_namespace_oid("dbcare", true);
	Oid summary = OidIsValid(ns) ? get_relname_relid("migrations_summary", ns) : InvalidOid;
	Oid generation = OidIsValid(ns) ? get_relname_relid("migrations_generation", ns) : InvalidOid;
	(void)ctx;
	if (!OidIsValid(summary) || !OidIsValid(generation) || !may(summary, ACL_SELECT) ||
	    !may(generation, ACL_SELECT))
		return DBC_CACHE_NONE;
	if (RecoveryInProgress() || XactReadOnly || IsolationIsSerializable() ||
	    !may(summary, ACL_UPDATE))
		return DBC_CACHE_READ;
	return DBC_CACHE_WRITE;
}
