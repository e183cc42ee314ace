/*
 * pg/audit/audit_pending.c — what the audit writers of a transaction owe
 * dbcare.audit_written and dbcare.audit_chain, kept in backend memory and
 * written once, before the transaction commits or is prepared (docs/audit.md,
 * "How entries are written").
 *
 * Writing them at each writer's close (once per audited statement, or per
 * row of the per-row trigger) added a row version to each of those rows per
 * statement that nothing can prune before commit, and each next write
 * walked them all: the transaction's cost grew with the square of its
 * statements (issue 63).
 *
 * Invariants:
 * - A chain's head is cached here only while this transaction holds its row
 *   lock (taken by the chain's first writer, SELECT ... FOR UPDATE): nobody
 *   else can move the head, so the cached hash is the chain's last entry.
 *   A head locked in a subtransaction that rolls back is forgotten with its
 *   lock; the next writer locks and reads the row again.
 * - The values are the ones the rows would hold had each writer written
 *   them: a subtransaction's rollback restores what its first change found
 *   (a stack of (subtransaction, saved value), as GUCs are kept), its commit
 *   hands the saved values to its parent.
 * - They reach the rows at XACT_EVENT_PRE_COMMIT / PRE_PREPARE, after the
 *   deferred triggers (and so every writer) have run, and before a reader
 *   in this transaction reads the rows (pgdbc_audit_pending_flush: the
 *   readers are dbaudit_verify and the health check's chain walk,
 *   pg/audit/fn_audit.c, and dbcare_audit_entries_written,
 *   pg/audit/audit_count.c). They are written as the log's owner who
 *   wrote the entries, in a security-restricted operation, by statements
 *   that resolve nothing through the session's search_path.
 * - The transaction's end (commit, abort, prepare) forgets everything.
 */
#include "pg/host/glue.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "audit_glue.h"

/* What a subtransaction's rollback puts back: a head's state or the count. */
typedef struct head_state {
	bool moved; /* the row does not hold this head yet */
	int64 last_id;
	char hash[65]; /* "" for none */
} head_state;

typedef struct saved {
	SubTransactionId subid; /* the subtransaction whose first change saved it */
	head_state head;        /* a head's */
	int64 count;            /* or the count's */
	struct saved *next;     /* older */
} saved;

typedef struct chain_head {
	char *table; /* the chain's name: the table's stored name */
	bool legacy; /* the one head of a log not yet upgraded to 0.3.3 */
	Oid owner;   /* writes the row: the last writer's owner */
	SubTransactionId locked_in;
	head_state now;
	saved *saved;
	struct chain_head *next;
} chain_head;

static MemoryContext pending_cxt = NULL; /* reset at the transaction's end */
static chain_head *heads = NULL;
static int64 count = 0; /* entries not yet added to dbcare.audit_written */
static Oid count_owner = InvalidOid;
static saved *count_saved = NULL;
/* flushed for the commit (or prepare): a writer after it would be lost */
static bool committing = false;

static SPIPlanPtr chain_move_plan = NULL;
static SPIPlanPtr add_count_plan = NULL;  /* adds to the backend's row */
static SPIPlanPtr count_plan = NULL;      /* or makes it */
static SPIPlanPtr fold_count_plan = NULL; /* and folds ended transactions' */

/* dbcare's table, or InvalidOid when it is not there: a DROP EXTENSION (or,
 * for dbcare.audit_written, a build not yet updated to 0.3.9) after the
 * transaction's writes leaves nothing to write to. */
static Oid dbcare_table(const char *name)
{
	return pgdbc_audit_table_oid(name);
}

/* Pushes the value before a change, once per subtransaction: the top level
 * saves nothing (its rollback forgets everything). */
static saved *save(saved **stack)
{
	SubTransactionId cur = GetCurrentSubTransactionId();
	if (cur == TopSubTransactionId || (*stack && (*stack)->subid == cur))
		return NULL;
	saved *s = MemoryContextAllocZero(pending_cxt, sizeof(saved));
	s->subid = cur;
	s->next = *stack;
	*stack = s;
	return s;
}

static void save_head(chain_head *h)
{
	if (h->locked_in == GetCurrentSubTransactionId())
		return; /* its rollback forgets the head */
	saved *s = save(&h->saved);
	if (s)
		s->head = h->now;
}

static void save_count(void)
{
	saved *s = save(&count_saved);
	if (s)
		s->count = count;
}

/* The saved value of subid, popped; NULL when it saved none. */
static saved *pop(saved **stack, SubTransactionId subid)
{
	saved *s = *stack;
	if (s == NULL || s->subid != subid)
		return NULL;
	*stack = s->next;
	return s;
}

/* A committed subtransaction's saved value becomes its parent's, unless the
 * parent saved an older one (or is the top level). */
static void hand_up(saved **stack, SubTransactionId subid, SubTransactionId parent)
{
	saved *s = *stack;
	if (s == NULL || s->subid != subid)
		return;
	if (parent == TopSubTransactionId || (s->next && s->next->subid == parent)) {
		*stack = s->next;
		pfree(s);
	} else
		s->subid = parent;
}

static void forget_all(void)
{
	committing = false;
	heads = NULL;
	count = 0;
	count_owner = InvalidOid;
	count_saved = NULL;
	if (pending_cxt)
		MemoryContextReset(pending_cxt);
}

static void on_subxact(SubXactEvent event, SubTransactionId subid, SubTransactionId parent,
                       void *arg)
{
	(void)arg;
	if (event == SUBXACT_EVENT_ABORT_SUB) {
		saved *s;
		for (chain_head **p = &heads; *p;) {
			chain_head *h = *p;
			if (h->locked_in == subid) {
				*p = h->next; /* its lock is gone: the next writer locks again */
				continue;
			}
			if ((s = pop(&h->saved, subid)) != NULL) {
				h->now = s->head;
				pfree(s);
			}
			p = &h->next;
		}
		if ((s = pop(&count_saved, subid)) != NULL) {
			count = s->count;
			pfree(s);
		}
	} else if (event == SUBXACT_EVENT_COMMIT_SUB) {
		for (chain_head *h = heads; h; h = h->next) {
			if (h->locked_in == subid)
				h->locked_in = parent;
			hand_up(&h->saved, subid, parent);
		}
		hand_up(&count_saved, subid, parent);
	}
}

/* Whether a head or the count is still to be written. */
static bool pending_writes(void)
{
	for (chain_head *h = heads; h; h = h->next)
		if (h->now.moved)
			return true;
	return count != 0;
}

/* ------------------------------------------------------------ writing */

/* The statements below name every table, operator and function with their
 * schema, and run under dbcare's pinned search_path (hostile_search_path):
 * the tables' owner may have given them a trigger, rule or CHECK of its
 * own, which a user's "=" or "+" earlier on the session's path must not
 * reach. The count written in place (the usual commit) runs no SQL and
 * sets no path: setting it costs a GUC level a commit. */
static void write_head_sql(const chain_head *h)
{
	Datum args[3] = {CStringGetTextDatum(h->table), CStringGetTextDatum(h->now.hash),
	                 Int64GetDatum(h->now.last_id)};
	Oid types[3] = {TEXTOID, TEXTOID, INT8OID};
	if (h->legacy) {
		if (SPI_execute_with_args("UPDATE dbcare.audit_chain SET last_hash = $1"
		                          " WHERE id OPERATOR(pg_catalog.=) 1",
		                          1, &types[1], &args[1], NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "dbcare: could not move the audit log's hash chain");
	} else if (SPI_execute_plan(pgdbc_audit_keep_plan(
	                                &chain_move_plan,
	                                "UPDATE dbcare.audit_chain SET last_hash = $2, last_id = $3"
	                                " WHERE chain OPERATOR(pg_catalog.=) $1",
	                                3, types),
	                            args, NULL, false, 0) != SPI_OK_UPDATE ||
	           SPI_processed != 1)
		elog(ERROR, "dbcare: could not move the audit log's hash chain");
}

static void write_head(const chain_head *h)
{
	if (!OidIsValid(dbcare_table("audit_chain")))
		return;
	int nest = pgdbc_pin_search_path();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dbcare: SPI_connect failed");
	write_head_sql(h);
	SPI_finish();
	pgdbc_unpin_search_path(nest);
}

/* write_count's SQL: the backend's row updated, or a row made or added to
 * (and, for a transaction's own row in READ COMMITTED, the ended ones
 * folded into it). */
static void count_by_sql(bool committing_now, int32 slot, int64 entries)
{
	/* no fold under a transaction snapshot: a row another transaction
	 * folded after it was taken would fail this one with 40001 (at PREPARE
	 * TRANSACTION, or in the reader's statement); a later transaction in
	 * READ COMMITTED folds it */
	bool fold = !committing_now && !IsolationUsesXactSnapshot();
	Oid types[2] = {INT4OID, INT8OID};
	Datum args[2] = {Int32GetDatum(slot), Int64GetDatum(entries)};
	if (committing_now &&
	    (SPI_execute_plan(pgdbc_audit_keep_plan(&add_count_plan,
	                                            "UPDATE dbcare.audit_written"
	                                            " SET entries = entries OPERATOR(pg_catalog.+) $2"
	                                            " WHERE slot OPERATOR(pg_catalog.=) $1",
	                                            2, types),
	                      args, NULL, false, 0) == SPI_OK_UPDATE &&
	     SPI_processed == 1))
		return;
	SPIPlanPtr plan =
	    fold ? pgdbc_audit_keep_plan(
	               &fold_count_plan,
	               "WITH ended AS (SELECT slot FROM dbcare.audit_written"
	               "   WHERE slot OPERATOR(pg_catalog.<) 0 AND slot OPERATOR(pg_catalog.<>) $1"
	               "   FOR UPDATE SKIP LOCKED),"
	               " folded AS (DELETE FROM dbcare.audit_written w USING ended"
	               "   WHERE w.slot OPERATOR(pg_catalog.=) ended.slot RETURNING w.entries)"
	               " INSERT INTO dbcare.audit_written AS w (slot, entries)"
	               " SELECT $1, $2 OPERATOR(pg_catalog.+)"
	               "  coalesce((SELECT pg_catalog.sum(entries) FROM folded), 0)::pg_catalog.int8"
	               " ON CONFLICT (slot) DO UPDATE"
	               " SET entries = w.entries OPERATOR(pg_catalog.+) EXCLUDED.entries",
	               2, types)
	         : pgdbc_audit_keep_plan(
	               &count_plan,
	               "INSERT INTO dbcare.audit_written AS w (slot, entries)"
	               " VALUES ($1, $2) ON CONFLICT (slot) DO UPDATE"
	               " SET entries = w.entries OPERATOR(pg_catalog.+) EXCLUDED.entries",
	               2, types);
	if (SPI_execute_plan(plan, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "dbcare: could not count the audit entries written");
}

/* Adds the transaction's entries to a row of dbcare.audit_written, in the
 * transaction: a rollback takes them back with the entries, so the sum of
 * the rows is the number of entries committed
 * (dbcare_audit_entries_written). Between installing this build and ALTER
 * EXTENSION UPDATE the table is missing: nothing is counted then
 * (dbcare_table).
 *
 * Which row: a transaction that commits right after writing it adds to its
 * backend's row (the backend id, unique among live backends, so concurrent
 * writers never wait for each other's row, and the row's lock ends with the
 * commit). A transaction that may hold the row's lock longer -- one
 * prepared for two-phase commit, or one whose reader made it write the count
 * before its end -- adds to a row of its own, keyed by its transaction id
 * below zero: the next transaction of its backend would otherwise wait for
 * it at commit, for as long as a prepared transaction stays unfinished. In
 * READ COMMITTED its statement first folds the rows of such transactions
 * that have ended into its own (FOR UPDATE SKIP LOCKED: it never waits for
 * one that is still prepared), so those rows stay about as many as the
 * unfinished ones. */
static void write_count(bool committing_now)
{
	Oid written = dbcare_table("audit_written");
	if (!OidIsValid(written))
		return;
#if PG_VERSION_NUM >= 170000
	int32 backend = MyProcNumber;
#else
	int32 backend = MyBackendId;
#endif
	/* below zero, never a backend's; unique among unfinished transactions */
	int32 slot = committing_now ? backend : -(int32)(GetTopTransactionId() & 0x7fffffff) - 1;
	/* the backend's row is there but for its first commit: updated in
	 * place (pg/audit/audit_written_row.c), or else by a plain UPDATE, a
	 * third of the speculative insertion's cost (issue 63); a transaction's
	 * own row is new, made below */
	if (committing_now && pgdbc_audit_written_add(written, slot, count))
		return;
	int nest = pgdbc_pin_search_path();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dbcare: SPI_connect failed");
	count_by_sql(committing_now, slot, count);
	SPI_finish();
	pgdbc_unpin_search_path(nest);
}

/* Runs write as owner, in a security-restricted operation (its SQL, if
 * any, connects to SPI itself: the count written in place needs none). */
static void as_owner(Oid owner, void (*write)(const chain_head *), const chain_head *h)
{
	Oid save_user;
	int save_sec;
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(owner,
	                       save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	write(h);
	SetUserIdAndSecContext(save_user, save_sec);
}

static void write_count_at_commit(const chain_head *unused)
{
	(void)unused;
	write_count(true);
}

static void write_count_before_end(const chain_head *unused)
{
	(void)unused;
	write_count(false);
}

/* committing_now: XACT_EVENT_PRE_COMMIT, the transaction's end follows */
static void flush(bool committing_now)
{
	if (heads == NULL && count == 0)
		return;
	/* at pre-commit no statement runs, and so no snapshot is active */
	bool snapshot = !ActiveSnapshotSet();
	if (snapshot)
		PushActiveSnapshot(GetTransactionSnapshot());
	bool wrote = false;
	for (chain_head *h = heads; h; h = h->next)
		if (h->now.moved) {
			as_owner(h->owner, write_head, h);
			save_head(h);
			h->now.moved = false;
			wrote = true;
		}
	if (count != 0) {
		as_owner(count_owner, committing_now ? write_count_at_commit : write_count_before_end,
		         NULL);
		save_count();
		count = 0;
		wrote = true;
	}
	if (snapshot)
		PopActiveSnapshot();
	if (wrote)
		CommandCounterIncrement(); /* the reader that follows sees the rows */
}

static void on_xact(XactEvent event, void *arg)
{
	(void)arg;
	if (event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PRE_PREPARE) {
		if (XactReadOnly && pending_writes())
			ereport(ERROR, (errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
			                errmsg("dbcare: this transaction wrote audited rows and was then made "
			                       "read-only, so the audit log's count and hash chain cannot be "
			                       "written at its commit"),
			                errhint("Leave the transaction read-write until it commits, or set "
			                        "transaction_read_only before its first audited write.")));
		flush(event == XACT_EVENT_PRE_COMMIT);
		committing = true;
	} else if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
	           event == XACT_EVENT_PREPARE || event == XACT_EVENT_PARALLEL_COMMIT ||
	           event == XACT_EVENT_PARALLEL_ABORT)
		forget_all();
}

static void ensure_registered(void)
{
	if (pending_cxt)
		return;
	pending_cxt =
	    AllocSetContextCreate(TopMemoryContext, "dbcare audit pending", ALLOCSET_SMALL_SIZES);
	RegisterXactCallback(on_xact, NULL);
	RegisterSubXactCallback(on_subxact, NULL);
}

static chain_head *find(const char *table)
{
	for (chain_head *h = heads; h; h = h->next)
		if (strcmp(h->table, table) == 0)
			return h;
	return NULL;
}

bool pgdbc_audit_pending_head(const char *table, bool *legacy, char *hash, int64 *last_id)
{
	chain_head *h = find(table);
	if (h == NULL)
		return false;
	*legacy = h->legacy;
	strlcpy(hash, h->now.hash, sizeof(h->now.hash));
	*last_id = h->now.last_id;
	return true;
}

void pgdbc_audit_pending_locked(const char *table, bool legacy, const char *hash, int64 last_id)
{
	ensure_registered();
	chain_head *h = MemoryContextAllocZero(pending_cxt, sizeof(chain_head));
	h->table = MemoryContextStrdup(pending_cxt, table);
	h->legacy = legacy;
	h->locked_in = GetCurrentSubTransactionId();
	h->now.last_id = last_id;
	strlcpy(h->now.hash, hash, sizeof(h->now.hash));
	h->next = heads;
	heads = h;
}

/* A writer after the commit's flush (another library's pre-commit
 * callback, which runs after this one) is refused: its head and count
 * would never reach their rows. */
static void refuse_after_flush(void)
{
	if (committing)
		ereport(ERROR, (errcode(ERRCODE_INVALID_TRANSACTION_STATE),
		                errmsg("dbcare: an audited write after the audit log's bookkeeping was "
		                       "written for the commit"),
		                errhint("Write audited tables before the transaction's pre-commit "
		                        "callbacks run.")));
}

void pgdbc_audit_pending_move(const char *table, Oid owner, const char *hash, int64 last_id)
{
	refuse_after_flush();
	chain_head *h = find(table);
	if (h == NULL)
		elog(ERROR, "dbcare: the audit chain of %s moved without its lock", table);
	save_head(h);
	h->owner = owner;
	h->now.moved = true;
	h->now.last_id = last_id;
	strlcpy(h->now.hash, hash, sizeof(h->now.hash));
}

void pgdbc_audit_pending_count(Oid owner, int64 entries)
{
	/* the table missing (a build not yet updated to 0.3.9): nothing is
	 * counted, as the update counts the log's entries when it makes it */
	if (entries == 0 || !OidIsValid(dbcare_table("audit_written")))
		return;
	refuse_after_flush();
	ensure_registered();
	save_count();
	count += entries;
	count_owner = owner;
}

void pgdbc_audit_pending_flush(void *unused)
{
	(void)unused;
	flush(false);
}
