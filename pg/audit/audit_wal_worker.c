/*
 * audit_wal_worker.c — the worker of wal mode (docs/audit.md): one dynamic
 * background worker per database reads the database's slot (decoded by
 * pg/audit/audit_decode.c) and writes the entries into dbcare.audit_log with the
 * trigger's writer (pg/audit/audit_write.c): same format, same hash chain.
 *
 * Exactly once. Each round, in one transaction: the slot's changes up to
 * the WAL flushed when the round began are peeked (not consumed), every
 * transaction whose commit ends after dbcare.audit_wal_state.decoded_lsn is
 * written, and decoded_lsn moves to the last one's end, all committed
 * together. Only then, in a second transaction, is the slot advanced. A
 * worker killed or a server crashed before the first commit leaves nothing
 * written and the slot where it was: the next round decodes the same
 * transactions again. One between the two commits leaves the entries
 * written and the slot behind: the next round decodes them again and skips
 * them by decoded_lsn. So no change is lost and none is written twice.
 *
 * The role of a change is the one the audit trigger's signed context
 * message ('A') named; a message the decoder rejected ('R': forged or
 * malformed) is counted in dbcare.audit_wal_state and logged, never
 * applied, and an entry no 'A' preceded in its transaction is written with
 * PGDBC_AUDIT_UNKNOWN_USER (and counted), never with an empty role.
 *
 * One worker per database: it holds a session advisory lock; a second one
 * started meanwhile exits. It exits (for good) when the slot is gone, and
 * drops the slot itself (then exits) once no table is in wal mode and the
 * log holds every change made while one was (retire_slot).
 */
#include "pg/host/glue.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "utils/guc.h"
#include "storage/ipc.h"
#include "storage/standby.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/pg_lsn.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "audit_glue.h"
#include "audit_wal.h"

/* How long an idle worker sleeps between rounds. */
#define POLL_MS 100
/* How far the slot's restart position may stay behind its confirmed one
 * before a record of the running transactions is logged (bytes). */
#define RESTART_SLACK (1024 * 1024)
/* Rows fetched from the decoder at a time. */
#define FETCH_ROWS 1000
/* The advisory lock's keys (pg_try_advisory_lock(int4, int4)): "dbca", 1. */
#define LOCK_KEY1 1684169569
#define LOCK_KEY2 1

/* The transaction being written: what its 'B' and 'A' records said. */
typedef struct decoded_txn {
	bool skip; /* written before (end <= decoded_lsn) */
	uint64 end;
	FullTransactionId txid;
	TimestampTz at;
	char *user;  /* PGDBC_AUDIT_UNKNOWN_USER until an 'A' names it */
	char *actor; /* NULL until an 'A' names it */
	pgdbc_audit_writer w;
	bool open;   /* w is open */
	char *table; /* w's table */
	bool chain;  /* w's */
} decoded_txn;

/* What a round wrote, for dbcare.audit_wal_state. */
typedef struct round_counts {
	int64 written;           /* entries */
	int64 unknown_user;      /* of them, with PGDBC_AUDIT_UNKNOWN_USER */
	int64 rejected;          /* dbcare.actor messages not the trigger's */
	TimestampTz rejected_at; /* the last one's transaction's commit (0: none) */
} round_counts;

typedef struct reader {
	const char *p, *end;
} reader;

static void need(reader *r, size_t n)
{
	if ((size_t)(r->end - r->p) < n)
		elog(ERROR, "dbcare: a decoded audit record is cut short");
}

static void take(reader *r, void *out, size_t n)
{
	need(r, n);
	memcpy(out, r->p, n);
	r->p += n;
}

/* A field: NULL for length -1; text fields end with a 0 added here. */
static char *field(reader *r, int32 *len_out)
{
	int32 len;
	take(r, &len, sizeof(len));
	*len_out = len;
	if (len < 0)
		return NULL;
	need(r, (size_t)len);
	char *v = palloc((size_t)len + 1);
	memcpy(v, r->p, (size_t)len);
	v[len] = '\0';
	r->p += len;
	return v;
}

static Datum jsonb_field(reader *r)
{
	int32 len;
	char *v = field(r, &len);
	if (v == NULL)
		return (Datum)0;
	if (len < VARHDRSZ || (int32)VARSIZE(v) != len)
		elog(ERROR, "dbcare: a decoded audit entry holds no jsonb");
	return PointerGetDatum(v);
}

static void close_writer(decoded_txn *t)
{
	if (t->open)
		pgdbc_audit_writer_close(&t->w);
	t->open = false;
}

/* The writer for an entry of this table: one per run of a table's entries
 * (a chained writer holds one table's chain). */
static pgdbc_audit_writer *writer_for(decoded_txn *t, const char *table, bool chain, Oid owner)
{
	if (t->open && t->chain == chain && strcmp(t->table, table) == 0)
		return &t->w;
	close_writer(t);
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);
	pgdbc_audit_writer_open(&t->w, owner, chain);
	MemoryContextSwitchTo(old);
	t->w.at = t->at;
	t->w.txid = t->txid;
	t->w.decoded = true;
	t->w.decoded_user = t->user;
	t->w.decoded_actor = t->actor;
	t->table = MemoryContextStrdup(TopTransactionContext, table);
	t->chain = chain;
	t->open = true;
	return &t->w;
}

static const char *op_name(char op)
{
	switch (op) {
	case 'i':
		return "insert";
	case 'u':
		return "update";
	case 'd':
		return "delete";
	default:
		return "truncate";
	}
}

/* A dbcare.actor message the decoder rejected (or an 'A' this worker
 * could not read): counted and reported, its transaction's entries keep
 * the context they had. */
static void rejected(const decoded_txn *t, const char *why, size_t why_len, round_counts *n)
{
	if (t->skip)
		return;
	n->rejected++;
	n->rejected_at = t->at;
	ereport(
	    WARNING,
	    (errmsg("dbcare: a dbcare.actor message of transaction %llu was rejected: %.*s",
	            (unsigned long long)U64FromFullTransactionId(t->txid), (int)Min(why_len, 200), why),
	     errdetail("Only the audit trigger's signed message names the role of a change;"
	               " this one was forged or malformed and changed nothing.")));
}

/* 'A': user \0 actor \0 application \0, which later entries carry; read
 * as strictly as the decoder read the message it came from. */
static void apply_context(decoded_txn *t, const char *body, size_t len, round_counts *n)
{
	dbc_audit_actor_fields f;
	const char *why = pgdbc_audit_actor_parse(body, len, 0, &f);
	if (why) {
		rejected(t, why, strlen(why), n);
		return;
	}
	close_writer(t);
	t->user = MemoryContextStrdup(TopTransactionContext, f.user);
	t->actor = f.actor_len ? MemoryContextStrdup(TopTransactionContext, f.actor) : NULL;
}

/* One record of the decoder's output (pg/audit/audit_decode.c's file comment). */
static void apply(decoded_txn *t, const char *data, size_t len, uint64 decoded, Oid owner,
                  round_counts *n)
{
	reader r = {data, data + len};
	char kind;
	take(&r, &kind, 1);
	if (kind == 'B') {
		TransactionId xid;
		uint64 full;
		close_writer(t);
		memset(t, 0, sizeof(*t));
		take(&r, &xid, sizeof(xid));
		take(&r, &full, sizeof(full));
		take(&r, &t->at, sizeof(t->at));
		take(&r, &t->end, sizeof(t->end));
		t->txid = FullTransactionIdFromU64(full);
		t->skip = t->end <= decoded;
		t->user = PGDBC_AUDIT_UNKNOWN_USER;
	} else if (kind == 'A') {
		apply_context(t, r.p, len - 1, n);
	} else if (kind == 'R') {
		rejected(t, r.p, len - 1, n);
	} else if (kind == 'E') {
		char chain, op;
		int32 tlen;
		take(&r, &chain, 1);
		take(&r, &op, 1);
		char *table = field(&r, &tlen);
		Datum key = jsonb_field(&r), old = jsonb_field(&r), new = jsonb_field(&r);
		if (table == NULL)
			elog(ERROR, "dbcare: a decoded audit entry names no table");
		if (!t->skip) {
			pgdbc_audit_writer_add(writer_for(t, table, chain != 0, owner), table, op_name(op), key,
			                       old, new);
			n->written++;
			if (strcmp(t->user, PGDBC_AUDIT_UNKNOWN_USER) == 0)
				n->unknown_user++;
		}
	} else if (kind == 'C') {
		close_writer(t);
	} else
		elog(ERROR, "dbcare: a decoded audit record of unknown kind %d", kind);
}

static void spi_exec(const char *sql, int nargs, Oid *types, Datum *args, int expect)
{
	if (SPI_execute_with_args(sql, nargs, types, args, NULL, false, 0) != expect)
		elog(ERROR, "dbcare: the audit worker's statement failed: %s", sql);
}

/* A pg_lsn (or NULL: 0) of the first column of the first row. */
static uint64 lsn_of(void)
{
	bool isnull;
	if (SPI_processed == 0)
		return 0;
	Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetLSN(d);
}

/* Writes the changes decoded up to `upto`; returns the entries written. */
static int64 write_round(const char *slot, uint64 upto, Oid owner)
{
	Oid types[2] = {TEXTOID, PG_LSNOID};
	Datum args[2] = {CStringGetTextDatum(slot), LSNGetDatum(upto)};
	round_counts n = {0};
	spi_exec("SELECT decoded_lsn FROM dbcare.audit_wal_state FOR UPDATE", 0, NULL, NULL,
	         SPI_OK_SELECT);
	if (SPI_processed != 1)
		elog(ERROR, "dbcare: dbcare.audit_wal_state has no row");
	uint64 decoded = lsn_of();
	SPIPlanPtr plan = SPI_prepare("SELECT data FROM pg_catalog.pg_logical_slot_peek_binary_changes"
	                              "($1::pg_catalog.name, $2, NULL)",
	                              2, types);
	if (plan == NULL)
		elog(ERROR, "dbcare: could not prepare the audit worker's decoding");
	Portal portal = SPI_cursor_open(NULL, plan, args, NULL, false);
	decoded_txn t;
	memset(&t, 0, sizeof(t));
	t.skip = true;
	uint64 last_end = decoded;
	MemoryContext per_row =
	    AllocSetContextCreate(CurrentMemoryContext, "dbcare wal row", ALLOCSET_DEFAULT_SIZES);
	for (;;) {
		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		SPITupleTable *tt = SPI_tuptable;
		for (uint64 i = 0; i < tt->numvals; i++) {
			bool isnull;
			Datum d = SPI_getbinval(tt->vals[i], tt->tupdesc, 1, &isnull);
			if (isnull)
				continue;
			MemoryContext old = MemoryContextSwitchTo(per_row);
			bytea *b = DatumGetByteaPP(d);
			apply(&t, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), decoded, owner, &n);
			MemoryContextSwitchTo(old);
			MemoryContextReset(per_row);
			if (!t.skip && t.end > last_end)
				last_end = t.end;
		}
		SPI_freetuptable(tt);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	close_writer(&t);
	/* only a round that wrote moves it: an idle round writes nothing, so
	 * the worker's own writes never keep it busy */
	if (last_end > decoded) {
		Oid st[4] = {PG_LSNOID, INT8OID, INT8OID, TIMESTAMPTZOID};
		Datum sa[4] = {LSNGetDatum(last_end), Int64GetDatum(n.rejected),
		               Int64GetDatum(n.unknown_user), TimestampTzGetDatum(n.rejected_at)};
		spi_exec("UPDATE dbcare.audit_wal_state SET decoded_lsn = $1,"
		         " decoded_at = pg_catalog.clock_timestamp(),"
		         " rejected_messages = rejected_messages + $2,"
		         " last_rejected_at = CASE WHEN $2 > 0 THEN $4 ELSE last_rejected_at END,"
		         " unknown_user_entries = unknown_user_entries + $3",
		         4, st, sa, SPI_OK_UPDATE);
	}
	return n.written;
}

/* The fall-back past dbcare.audit_wal_max_retained: every table audited in
 * wal mode is audited again in trigger mode with a baseline snapshot (its
 * rows as they are now), in one transaction; then the slot is dropped, so
 * the WAL it held back is freed. The changes not yet decoded are not in the
 * log: the snapshot entries mark where it takes up again. */
static void fall_back(const char *slot, uint64 retained)
{
	Oid types[1] = {TEXTOID};
	Datum args[1] = {CStringGetTextDatum(slot)};
	bool isnull;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dbcare: SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	spi_exec("SELECT pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_extension e"
	         " JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace"
	         " WHERE e.extname = 'dbcare'",
	         0, NULL, NULL, SPI_OK_SELECT);
	if (SPI_processed != 1)
		elog(ERROR, "dbcare: the extension dbcare is not installed here");
	char *nsp = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	spi_exec(psprintf("SELECT count(*) FROM (SELECT %s.dbaudit_disable(t.table_name),"
	                  " %s.dbaudit_enable(t.table_name, (t.options - 'mode')"
	                  " || '{\"baseline\": true}')"
	                  " FROM dbcare.audit_tables t WHERE t.options ->> 'mode' = 'wal'"
	                  " ORDER BY t.table_name) f",
	                  nsp, nsp),
	         0, NULL, NULL, SPI_OK_SELECT);
	int64 tables =
	    DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dbcare: SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	spi_exec("SELECT pg_catalog.pg_drop_replication_slot($1::pg_catalog.name)", 1, types, args,
	         SPI_OK_SELECT);
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	ereport(WARNING,
	        (errmsg("dbcare: the audit slot %s held back %llu MB of WAL, past"
	                " dbcare.audit_wal_max_retained: %lld tables audited in wal mode fell back to"
	                " trigger mode",
	                slot, (unsigned long long)(retained >> 20), (long long)tables),
	         errdetail("Their changes not yet decoded are not in the audit log; each table's"
	                   " snapshot entries mark where it takes up again.")));
}

/* A round decodes from the slot's restart position, which moves only past
 * a record of the running transactions (every 15 s from the background
 * writer): until then each round would decode again every transaction
 * since, a bulk one's hundreds of thousands of changes included. When the
 * restart position is behind what the log has, one is logged (and flushed)
 * now, so the slot's advance at the end of this round moves it. */
static void keep_restart_close(const char *slot)
{
	Oid types[1] = {TEXTOID};
	Datum args[1] = {CStringGetTextDatum(slot)};
	bool isnull;
	spi_exec("SELECT (confirmed_flush_lsn - restart_lsn)::pg_catalog.int8"
	         " FROM pg_catalog.pg_replication_slots WHERE slot_name = $1",
	         1, types, args, SPI_OK_SELECT);
	if (SPI_processed != 1)
		return;
	Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	static TimestampTz last = 0;
	/* at most once a second: a transaction left open holds the restart
	 * position back whatever is logged */
	if (!isnull && DatumGetInt64(d) > RESTART_SLACK &&
	    TimestampDifferenceExceeds(last, GetCurrentTimestamp(), 1000)) {
		XLogFlush(LogStandbySnapshot());
		last = GetCurrentTimestamp();
	}
}

/* Whether a table of the database is audited in wal mode (read with the
 * transaction's snapshot); true also when dbcare.audit_tables is missing
 * (the extension dropped under its slot): then nothing is retired. */
static bool wal_tables_exist(void)
{
	bool isnull;
	spi_exec("SELECT pg_catalog.to_regclass('dbcare.audit_tables') IS NOT NULL", 0, NULL, NULL,
	         SPI_OK_SELECT);
	if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
		return true;
	spi_exec("SELECT 1 FROM dbcare.audit_tables WHERE options ->> 'mode' = 'wal' LIMIT 1", 0, NULL,
	         NULL, SPI_OK_SELECT);
	return SPI_processed > 0;
}

/* No table is in wal mode any more: the slot would make the worker decode
 * every write of the database for nothing, so it drops the slot and ends,
 * once every change made while a table was in wal mode is in the log. In
 * one transaction: a SHARE lock on dbcare.audit_tables waits for the
 * enables and disables running and holds off new ones (an enable in wal
 * mode would find the slot about to go); with no table in wal mode under
 * it, every change of such a table committed before the WAL's insert
 * position now (a disable waits for the table's writers), which is flushed
 * and decoded up to. Nothing to write: the slot is dropped (the entries of
 * a transaction that failed after it would be none). Entries written: they
 * commit, the slot advances, and the next idle round looks again. True
 * when the slot is gone. */
static bool retire_slot(const char *slot, Oid owner)
{
	Oid types[1] = {TEXTOID};
	Datum args[1] = {CStringGetTextDatum(slot)};
	int64 written = -1;
	XLogRecPtr upto = InvalidXLogRecPtr;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dbcare: SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	spi_exec("LOCK TABLE dbcare.audit_tables IN SHARE MODE", 0, NULL, NULL, SPI_OK_UTILITY);
	/* a snapshot taken after the lock: every enable and disable committed */
	PopActiveSnapshot();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (!wal_tables_exist()) {
		upto = GetXLogInsertRecPtr();
		XLogFlush(upto);
		written = write_round(slot, upto, owner);
		if (written == 0)
			spi_exec("SELECT pg_catalog.pg_drop_replication_slot($1::pg_catalog.name)", 1, types,
			         args, SPI_OK_SELECT);
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	if (written == 0)
		ereport(LOG, (errmsg("dbcare: no table is audited in wal mode any more: the audit slot %s"
		                     " was dropped and its worker ends",
		                     slot)));
	else if (written > 0) {
		StartTransactionCommand();
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "dbcare: SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		Oid at[2] = {TEXTOID, PG_LSNOID};
		Datum aa[2] = {args[0], LSNGetDatum(upto)};
		spi_exec("SELECT pg_catalog.pg_replication_slot_advance($1::pg_catalog.name, $2)", 2, at,
		         aa, SPI_OK_SELECT);
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	return written == 0;
}

/* One round; false when the slot is gone (the worker's end). *wrote: it
 * wrote entries (more may have come meanwhile). */
static bool round_once(const char *slot, Oid owner, bool *wrote)
{
	Oid types[1] = {TEXTOID};
	Datum args[1] = {CStringGetTextDatum(slot)};
	uint64 upto, confirmed;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dbcare: SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	/* no text: pg_stat_activity.query_start stays the last finished round's
	 * start (below) */
	pgstat_report_activity(STATE_RUNNING, NULL);
	spi_exec("SELECT confirmed_flush_lsn FROM pg_catalog.pg_replication_slots"
	         " WHERE slot_name = $1",
	         1, types, args, SPI_OK_SELECT);
	bool exists = SPI_processed == 1;
	confirmed = lsn_of();
	keep_restart_close(slot);
	upto = GetFlushRecPtr(NULL);
	spi_exec("SELECT (pg_catalog.pg_current_wal_lsn() - restart_lsn)::pg_catalog.int8"
	         " FROM pg_catalog.pg_replication_slots WHERE slot_name = $1",
	         1, types, args, SPI_OK_SELECT);
	bool isnull = true;
	int64 retained =
	    SPI_processed == 1
	        ? DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull))
	        : 0;
	if (exists && !isnull && retained > pgdbc_audit_wal_max_retained()) {
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		fall_back(slot, (uint64)retained);
		return false;
	}
	*wrote = false;
	if (exists && upto > confirmed)
		*wrote = write_round(slot, upto, owner) > 0;
	/* an idle round with no table in wal mode: the slot is retired below */
	bool retire = exists && !*wrote && !wal_tables_exist();
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	if (exists && upto > confirmed) {
		/* the entries are committed: now the slot may forget them */
		StartTransactionCommand();
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "dbcare: SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		Oid at[2] = {TEXTOID, PG_LSNOID};
		Datum aa[2] = {args[0], LSNGetDatum(upto)};
		spi_exec("SELECT pg_catalog.pg_replication_slot_advance($1::pg_catalog.name, $2)", 2, at,
		         aa, SPI_OK_SELECT);
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	/* query_start becomes this round's start (the statement start set
	 * above, before upto was read): every change flushed before it is in
	 * the log, so now - query_start bounds the lag (dbcare_audit_lag_seconds,
	 * pg/audit/audit_count.c) */
	pgstat_report_activity(STATE_IDLE, "dbcare: the audit log holds the changes flushed before"
	                                   " query_start");
	if (retire && retire_slot(slot, owner))
		return false;
	return exists;
}

/* The session advisory lock that makes this the database's one worker. */
static bool lock_database(void)
{
	bool isnull, got;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dbcare: SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	spi_exec("SELECT pg_catalog.pg_try_advisory_lock(" CppAsString2(LOCK_KEY1) ", " CppAsString2(
	             LOCK_KEY2) ")",
	         0, NULL, NULL, SPI_OK_SELECT);
	got = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	return got;
}

void dbcare_audit_wal_main(Datum arg)
{
	Oid db = DatumGetObjectId(arg), role;
	char slot[NAMEDATALEN];
	memcpy(&role, MyBgworkerEntry->bgw_extra, sizeof(role));
	pqsignal(SIGTERM, die);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(db, role, 0);
	pgstat_report_appname(PGDBC_AUDIT_WAL_WORKER);
	pgdbc_audit_wal_slot_name(slot, sizeof(slot));
	if (!lock_database())
		proc_exit(0); /* another worker writes this database's entries */
	for (;;) {
		bool wrote;
		if (!round_once(slot, role, &wrote))
			proc_exit(0);
		/* a round that wrote took its time, during which more changes
		 * came: the next one starts at once (the decode lag, docs/audit.md) */
		(void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
		                wrote ? 0 : POLL_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending) {
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
	}
}
