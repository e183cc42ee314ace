/*
 * audit_wal.c — what dbaudit_enable and the readers ask of wal mode
 * (pg/audit/audit_wal.h): the checks and the slot before a table is enabled, the
 * worker started, and the readers' wait for the entries not yet decoded.
 */
#include "pg/host/glue.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "replication/slot.h"
#include "storage/latch.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/varlena.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/pg_lsn.h"
#include "utils/wait_event.h"

/* A waiting reader wakes the worker by setting its latch (PGPROC, below
 * the public interfaces: docs/postgresql.md, "Engine internals"); the
 * plain path waits for the worker's next round (at most 100 ms later). */
#if PG_VERSION_NUM >= 150000 && PG_VERSION_NUM < 160000 && !defined(DBC_PLAIN_PG_PATHS)
#define WORKER_WAKE 1
#endif
#ifdef WORKER_WAKE
#include "storage/proc.h"
#include "storage/procarray.h"
#endif

#include "audit_glue.h"
#include "audit_wal.h"

/* dbcare.audit_wal_wait: how long a reader waits for the worker (ms). */
static int wait_ms = 10000;

/* dbcare.audit_wal_max_retained: the WAL the slot may hold back (MB). */
static int max_retained_mb = 1024;

int64 pgdbc_audit_wal_max_retained(void)
{
	return (int64)max_retained_mb << 20;
}

void pgdbc_define_audit_wal_settings(void)
{
	DefineCustomIntVariable(
	    "dbcare.audit_wal_max_retained",
	    "The WAL the audit trail's replication slot may hold back (wal mode).",
	    "Past half of it the health check audit warns; past all of it the worker falls back"
	    " to trigger mode and drops the slot, so the disk does not fill.",
	    &max_retained_mb, 1024, 1, INT_MAX / 2, PGC_SIGHUP, GUC_UNIT_MB, NULL, NULL, NULL);
	DefineCustomIntVariable(
	    "dbcare.audit_wal_wait",
	    "How long a reader of the audit log waits for changes not yet decoded (wal mode).",
	    "Past it the reader fails rather than show an incomplete history.", &wait_ms, 10000, 0,
	    3600 * 1000, PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
}

void pgdbc_audit_wal_slot_name(char *out, size_t size)
{
	snprintf(out, size, "dbcare_audit_%u", MyDatabaseId);
}

static Oid extension_owner(void)
{
	bool isnull;
	if (SPI_execute("SELECT extowner FROM pg_catalog.pg_extension WHERE extname = 'dbcare'", true,
	                1) != SPI_OK_SELECT ||
	    SPI_processed != 1)
		elog(ERROR, "dbcare: the extension dbcare is not installed here");
	return DatumGetObjectId(
	    SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/* The slot's confirmed position, or false when the slot does not exist. */
static bool slot_confirmed(const char *slot, XLogRecPtr *confirmed)
{
	Oid type = TEXTOID;
	Datum arg = CStringGetTextDatum(slot);
	bool isnull;
	if (SPI_execute_with_args("SELECT confirmed_flush_lsn FROM pg_catalog.pg_replication_slots"
	                          " WHERE slot_name = $1",
	                          1, &type, &arg, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "dbcare: could not read pg_replication_slots");
	if (SPI_processed != 1)
		return false;
	Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	*confirmed = isnull ? InvalidXLogRecPtr : DatumGetLSN(d);
	return true;
}

/* Servers that restrict the output plugins a slot may name
 * (output_plugin_libraries, PostgreSQL 15.20 and later minors) must list
 * dbcare's: the slot decodes with it (pg/audit/audit_decode.c). */
static void check_plugin_trusted(void)
{
	const char *setting = GetConfigOption("output_plugin_libraries", true, false);
	List *names = NIL;
	ListCell *lc;
	if (setting == NULL)
		return; /* a server without the setting trusts every plugin */
	char *copy = pstrdup(setting);
	if (SplitIdentifierString(copy, ',', &names))
		foreach (lc, names) {
			const char *name = lfirst(lc);
			if (strcmp(name, "dbcare") == 0 || strcmp(name, "$libdir/dbcare") == 0)
				return;
		}
	ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
	                errmsg("dbcare: mode \"wal\" decodes the WAL with dbcare's output plugin, which"
	                       " output_plugin_libraries (now '%s') does not list",
	                       setting),
	                errhint("Add dbcare to output_plugin_libraries in postgresql.conf (for instance"
	                        " 'pgoutput, test_decoding, dbcare') and reload the server.")));
}

void pgdbc_audit_wal_prepare(void)
{
	char slot[NAMEDATALEN];
	XLogRecPtr confirmed;
	if (wal_level < WAL_LEVEL_LOGICAL)
		ereport(
		    ERROR,
		    (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		     errmsg("dbcare: mode \"wal\" needs wal_level = logical; this server runs with"
		            " wal_level = %s",
		            GetConfigOption("wal_level", false, false)),
		     errhint("Set wal_level = logical in postgresql.conf and restart the server, or"
		             " audit the table in trigger mode (the default), which needs no setting.")));
	if (max_replication_slots < 1)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("dbcare: mode \"wal\" needs a replication slot; this server runs"
		                       " with max_replication_slots = 0"),
		                errhint("Raise max_replication_slots and restart the server.")));
	check_plugin_trusted();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dbcare: SPI_connect failed");
	Oid owner = extension_owner();
	if (!superuser_arg(owner) && !has_rolreplication(owner))
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		                errmsg("dbcare: mode \"wal\" needs the owner of the extension dbcare (%s)"
		                       " to be a superuser or to have REPLICATION",
		                       GetUserNameFromId(owner, false)),
		                errhint("Its worker reads the changes from a replication slot as that"
		                        " role.")));
	pgdbc_audit_wal_slot_name(slot, sizeof(slot));
	if (!slot_confirmed(slot, &confirmed)) {
		if (!superuser() && !has_rolreplication(GetUserId()))
			ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			                errmsg("dbcare: the first table audited in mode \"wal\" makes the"
			                       " database's replication slot, which needs a superuser or a"
			                       " role with REPLICATION")));
		if (TransactionIdIsValid(GetTopTransactionIdIfAny()))
			ereport(ERROR,
			        (errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
			         errmsg("dbcare: the first table audited in mode \"wal\" makes the database's"
			                " replication slot %s, which needs a transaction that has written"
			                " nothing yet",
			                slot),
			         errhint("Call dbaudit_enable in a transaction of its own.")));
		Oid type = TEXTOID;
		Datum arg = CStringGetTextDatum(slot);
		if (SPI_execute_with_args("SELECT pg_catalog.pg_create_logical_replication_slot("
		                          "$1::pg_catalog.name, 'dbcare')",
		                          1, &type, &arg, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "dbcare: could not make the replication slot %s", slot);
		/* a new slot's positions start after anything an earlier slot (of a
		 * dump restored here, say) decoded */
		if (SPI_execute("UPDATE dbcare.audit_wal_state SET decoded_lsn = '0/0'", false, 0) !=
		    SPI_OK_UPDATE)
			elog(ERROR, "dbcare: could not reset dbcare.audit_wal_state");
	}
	SPI_finish();
}

/* The pid of this database's worker (pg_stat_activity), 0 when none runs. */
static int worker_pid(void)
{
	Oid types[2] = {TEXTOID, OIDOID};
	Datum args[2] = {CStringGetTextDatum(PGDBC_AUDIT_WAL_WORKER), ObjectIdGetDatum(MyDatabaseId)};
	bool isnull;
	if (SPI_execute_with_args("SELECT pid FROM pg_catalog.pg_stat_activity"
	                          " WHERE backend_type = $1 AND datid = $2",
	                          2, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "dbcare: could not read pg_stat_activity");
	if (SPI_processed == 0)
		return 0;
	Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt32(d);
}

static bool worker_runs(void)
{
	return worker_pid() != 0;
}

/* A reader waiting wakes the worker from its sleep between rounds (a
 * latch set on a process that has ended only wakes its slot's next user). */
static void wake_worker(int pid)
{
#ifdef WORKER_WAKE
	PGPROC *proc = BackendPidGetProc(pid);
	if (proc != NULL)
		SetLatch(&proc->procLatch);
#else
	(void)pid;
#endif
}

static void start_worker(Oid owner)
{
	BackgroundWorker w;
	memset(&w, 0, sizeof(w));
	w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	w.bgw_start_time = BgWorkerStart_RecoveryFinished;
	/* restarted a second after an error or a crash of the server */
	w.bgw_restart_time = 1;
	strlcpy(w.bgw_library_name, "dbcare", sizeof(w.bgw_library_name));
	strlcpy(w.bgw_function_name, "dbcare_audit_wal_main", sizeof(w.bgw_function_name));
	snprintf(w.bgw_name, sizeof(w.bgw_name), "%s of database %u", PGDBC_AUDIT_WAL_WORKER,
	         MyDatabaseId);
	strlcpy(w.bgw_type, PGDBC_AUDIT_WAL_WORKER, sizeof(w.bgw_type));
	w.bgw_main_arg = ObjectIdGetDatum(MyDatabaseId);
	memcpy(w.bgw_extra, &owner, sizeof(owner));
	if (!RegisterDynamicBackgroundWorker(&w, NULL))
		ereport(WARNING, (errmsg("dbcare: could not start the audit worker of wal mode"),
		                  errhint("Raise max_worker_processes.")));
}

/* Pinned: the audit trigger calls it under the session's search_path. */
void pgdbc_audit_wal_start_worker(void)
{
	int nest = pgdbc_pin_search_path();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dbcare: SPI_connect failed");
	if (!worker_runs())
		start_worker(extension_owner());
	SPI_finish();
	pgdbc_unpin_search_path(nest);
}

void pgdbc_audit_wal_ensure_worker(void)
{
	static bool checked = false;
	if (checked || RecoveryInProgress())
		return;
	pgdbc_audit_wal_start_worker();
	checked = true;
}

/* The statement (of its transaction) whose reader last found the log
 * complete: a statement that reads the log once per row (dbaudit_row_at
 * over a table) waits once, not once a row — every change committed before
 * the statement's first read is in the log, and the later reads of the same
 * statement ask no more (docs/audit.md). */
/* A statement is named by its transaction's start and its own start
 * (public: xact.h); two transactions of one backend never start in the
 * same microsecond, as each runs between them. */
static TimestampTz complete_transaction = 0;
static TimestampTz complete_statement = 0;

static void remember_complete(void)
{
	complete_transaction = GetCurrentTransactionStartTimestamp();
	complete_statement = GetCurrentStatementStartTimestamp();
}

void pgdbc_audit_wal_wait(void)
{
	char slot[NAMEDATALEN];
	XLogRecPtr confirmed = InvalidXLogRecPtr;
	if (RecoveryInProgress())
		return; /* a standby's log is the primary's, as far as it has come */
	if (complete_transaction == GetCurrentTransactionStartTimestamp() &&
	    complete_statement == GetCurrentStatementStartTimestamp())
		return;
	XLogRecPtr target = GetXLogInsertRecPtr();
	pgdbc_audit_wal_slot_name(slot, sizeof(slot));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dbcare: SPI_connect failed");
	if (!slot_confirmed(slot, &confirmed) || confirmed >= target) {
		SPI_finish();
		remember_complete();
		return;
	}
	int pid = worker_pid();
	if (pid == 0)
		start_worker(extension_owner());
	else
		wake_worker(pid);
	TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), wait_ms);
	while (slot_confirmed(slot, &confirmed) && confirmed < target &&
	       GetCurrentTimestamp() < until) {
		(void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 10,
		                PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	bool exists = slot_confirmed(slot, &confirmed);
	SPI_finish();
	if (exists && confirmed < target)
		ereport(ERROR,
		        (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		         errmsg("dbcare: the audit log is not complete: %llu bytes of WAL written before"
		                " this call are not yet decoded into it (wal mode)",
		                (unsigned long long)(target - confirmed)),
		         errdetail("Waited %d ms (dbcare.audit_wal_wait) for the worker \"%s\".", wait_ms,
		                   PGDBC_AUDIT_WAL_WORKER),
		         errhint("See the health check audit_wal; docs/audit.md tells how to fall back to"
		                 " trigger mode.")));
	remember_complete();
}
