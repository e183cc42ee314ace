/*
 * pg/check/check_scope.c — the scope a constraint check of one table runs in
 * (dbc_host's check_enter, check_lock, check_leave).
 *
 * A check evaluates code the table's owner chose: CHECK expressions and the
 * functions they call, the casts and operators of foreign keys. Run with the
 * caller's rights, that code would act as the caller (a superuser, a
 * pg_monitor role). So, as ANALYZE, VACUUM, REINDEX and amcheck do since
 * CVE-2022-1552, the checks of a table run as the table's owner inside a
 * security-restricted operation, under a new GUC nest level with the pinned
 * search_path (and no index scans: rows are counted from the table).
 * Invariants:
 * - the scope is a subtransaction of the host (host->savepoint), entered
 *   before the user switch: an error anywhere inside rolls it back, and
 *   PostgreSQL's subtransaction abort restores the user, security context and
 *   GUCs by itself; check_leave restores them and rolls back otherwise.
 *   Checks only read, so nothing is lost, and the locks taken inside go with
 *   it: a call holds the locks of one table at a time.
 * - no lock is waited for: a table (or parent) whose lock is not free is
 *   skipped with a reason, so a check can neither deadlock with DDL nor
 *   queue behind it; after locking, the name is looked up again, so a table
 *   dropped meanwhile is skipped, never opened by a stale OID.
 * - the caller must be allowed to read every table a check reads (42501 as
 *   before): switching to the owner lends no read access to the caller. A
 *   parent the owner may not read is skipped with the reason.
 */
#include "pg/host/glue.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

/* The plan types that read rows through an index, all off in a scope. */
static const char *const heap_only[] = {"enable_indexscan", "enable_indexonlyscan",
                                        "enable_bitmapscan"};

typedef struct pgdbc_check_scope {
	int level;  /* the host savepoint that is the scope */
	Oid caller; /* user and security context to restore */
	int caller_sec;
	int guc_nest; /* the GUC nest level holding the pinned search_path */
	Oid relid;    /* the checked table */
	Oid owner;
} pgdbc_check_scope;

typedef struct lock_args {
	const char *schema;
	const char *table;
	Oid caller;   /* whose read access is required */
	bool deletes; /* the caller must be allowed to delete from it too */
	Oid owner;    /* parent: the checked table's owner, else InvalidOid */
	const char *child;
	/* out */
	Oid relid;
	Oid relowner;
	char *skip; /* in the call's memory */
} lock_args;

static char *display_name(const char *schema, const char *table)
{
	return schema ? psprintf("%s.%s", quote_identifier(schema), quote_identifier(table))
	              : pstrdup(quote_identifier(table));
}

/* The role may read the relation: SELECT on it (or on all its columns) and
 * USAGE on its schema. */
static bool may_read(Oid relid, Oid role, bool *schema_denied)
{
	*schema_denied =
	    pg_namespace_aclcheck(get_rel_namespace(relid), role, ACL_USAGE) != ACLCHECK_OK;
	if (*schema_denied)
		return false;
	return pg_class_aclcheck(relid, role, ACL_SELECT) == ACLCHECK_OK ||
	       pg_attribute_aclcheck_all(relid, role, ACL_SELECT, ACLMASK_ALL) == ACLCHECK_OK;
}

static void lock_body(void *arg)
{
	lock_args *a = arg;
	RangeVar *rv = makeRangeVar(a->schema ? pstrdup(a->schema) : NULL, pstrdup(a->table), -1);
	MemoryContext cxt = CurrentMemoryContext;
	char *name = display_name(a->schema, a->table);
	bool schema_denied;
	HeapTuple tp;

	/* Locked without waiting; the lookup is repeated after the lock, so a
	 * table dropped or renamed in between is missing, not a stale OID. */
	a->relid =
	    RangeVarGetRelidExtended(rv, AccessShareLock, RVR_MISSING_OK | RVR_SKIP_LOCKED, NULL, NULL);
	if (!OidIsValid(a->relid)) {
		bool busy = OidIsValid(RangeVarGetRelid(rv, NoLock, true));
		a->skip = MemoryContextStrdup(
		    cxt, busy
		             ? psprintf("table %s is locked by another session (DDL); not checked", name)
		             : psprintf("table %s was dropped or renamed while dbcare read it; not checked",
		                        name));
		return;
	}
	if (!may_read(a->relid, a->caller, &schema_denied)) {
		if (schema_denied)
			aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_SCHEMA,
			               get_namespace_name(get_rel_namespace(a->relid)));
		aclcheck_error(ACLCHECK_NO_PRIV, get_relkind_objtype(get_rel_relkind(a->relid)),
		               get_rel_name(a->relid));
	}
	if (a->deletes && pg_class_aclcheck(a->relid, a->caller, ACL_DELETE) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, get_relkind_objtype(get_rel_relkind(a->relid)),
		               get_rel_name(a->relid));
	if (OidIsValid(a->owner) && !may_read(a->relid, a->owner, &schema_denied)) {
		a->skip = MemoryContextStrdup(
		    cxt, psprintf("role %s, the owner of %s, may not read the parent table %s; not checked",
		                  quote_identifier(GetUserNameFromId(a->owner, false)), a->child, name));
		return;
	}
	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(a->relid));
	if (!HeapTupleIsValid(tp))
		elog(ERROR, "cache lookup failed for relation %u", a->relid);
	a->relowner = ((Form_pg_class)GETSTRUCT(tp))->relowner;
	ReleaseSysCache(tp);
}

typedef struct switch_args {
	pgdbc_check_scope *sc;
} switch_args;

/* Enters the owner's rights. Inside the scope's subtransaction, so an error
 * here unwinds the switch with it. */
static void switch_body(void *arg)
{
	pgdbc_check_scope *sc = ((switch_args *)arg)->sc;
	SetUserIdAndSecContext(sc->owner,
	                       sc->caller_sec | SECURITY_RESTRICTED_OPERATION | SECURITY_NOFORCE_RLS);
	sc->guc_nest = pgdbc_pin_search_path(); /* the heap-only settings join its level */
	/* Checks count from the table, never through an index: an index that
	 * lost entries (a collation whose order changed under it with a glibc
	 * upgrade) would hide the duplicates and orphans it let in. The
	 * planner then reads the heap whatever the caller's settings say. */
	for (int i = 0; i < (int)lengthof(heap_only); i++)
		(void)set_config_option(heap_only[i], "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
		                        true, 0, false);
	/* PostgreSQL disables a plan type by cost: with a sequential scan off
	 * too, a disabled index scan could still be the cheapest */
	(void)set_config_option("enable_seqscan", "on", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
	                        true, 0, false);
	/* A check asks for the rows a CHECK refuses; with constraint exclusion
	 * (on for partitions by default) the planner takes the CHECK itself as
	 * proof that a partition has none and reads nothing -- wrong when the
	 * expression's answer changed (a registered JSON Schema changed, a
	 * function declared IMMUTABLE that is not) */
	(void)set_config_option("constraint_exclusion", "off", PGC_USERSET, PGC_S_SESSION,
	                        GUC_ACTION_SAVE, true, 0, false);
}

/* The open scope's subtransaction, in the transaction of lxid, and its
 * table: an error unwinding the scope aborts it, so SubTransactionIsActive
 * turns false without check_leave. Read by the domain evaluator
 * (pg/check/check_domain.c), which runs only inside a scope. */
static LocalTransactionId scope_lxid = InvalidLocalTransactionId;
static SubTransactionId scope_subxact = InvalidSubTransactionId;

static Oid scope_relid = InvalidOid;

Oid pgdbc_check_scope_relid(void)
{
	if (scope_subxact != InvalidSubTransactionId && scope_lxid == MyProc->lxid &&
	    SubTransactionIsActive(scope_subxact))
		return scope_relid;
	return InvalidOid;
}

static char *arena_copy(dbc_ctx *ctx, char *s)
{
	char *r = dbc_strdup(ctx, s);
	pfree(s);
	return r;
}

int pgdbc_check_enter(dbc_ctx *ctx, const char *schema, const char *table, bool deletes,
                      char **skip)
{
	pgdbc_call *call = ctx->host_data;
	pgdbc_check_scope *sc;
	lock_args la = {0};
	switch_args sa;
	int level;

	*skip = NULL;
	if (call->check_scope)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "a check scope is already open");
	sc = MemoryContextAllocZero(call->call_cxt, sizeof(*sc));
	GetUserIdAndSecContext(&sc->caller, &sc->caller_sec);
	level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	la.schema = schema;
	la.table = table;
	la.caller = sc->caller;
	la.deletes = deletes;
	if (pgdbc_guarded(ctx, lock_body, &la) != DBC_OK)
		return DBC_ERROR; /* the error rolled the subtransaction back */
	if (la.skip) {
		ctx->host->rollback(ctx, level);
		*skip = arena_copy(ctx, la.skip);
		return *skip ? DBC_OK : DBC_ERROR;
	}
	sc->level = level;
	sc->relid = la.relid;
	sc->owner = la.relowner;
	sa.sc = sc;
	if (pgdbc_guarded(ctx, switch_body, &sa) != DBC_OK)
		return DBC_ERROR;
	call->check_scope = sc;
	scope_lxid = MyProc->lxid;
	scope_relid = sc->relid;
	for (int i = 0; i < call->nsubxacts; i++)
		if (call->subxacts[i].level == level)
			scope_subxact = call->subxacts[i].id;
	return DBC_OK;
}

int pgdbc_check_lock(dbc_ctx *ctx, const char *schema, const char *table, char **skip)
{
	pgdbc_call *call = ctx->host_data;
	pgdbc_check_scope *sc = call->check_scope;
	lock_args la = {0};

	*skip = NULL;
	if (!sc)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "no check scope is open");
	la.schema = schema;
	la.table = table;
	la.caller = sc->caller;
	la.owner = sc->owner;
	la.child =
	    display_name(get_namespace_name(get_rel_namespace(sc->relid)), get_rel_name(sc->relid));
	if (pgdbc_guarded(ctx, lock_body, &la) != DBC_OK)
		return DBC_ERROR;
	if (la.skip)
		*skip = arena_copy(ctx, la.skip);
	return la.skip && !*skip ? DBC_ERROR : DBC_OK;
}

/* True while the subtransaction of level is open (an error unwinds it). */
static bool level_open(const pgdbc_call *call, int level)
{
	for (int i = 0; i < call->nsubxacts; i++)
		if (call->subxacts[i].level == level)
			return true;
	return false;
}

void pgdbc_check_leave(dbc_ctx *ctx, bool keep)
{
	pgdbc_call *call = ctx->host_data;
	pgdbc_check_scope *sc = call->check_scope;
	if (!sc)
		return;
	call->check_scope = NULL;
	scope_subxact = InvalidSubTransactionId;
	if (!level_open(call, sc->level))
		return; /* the abort of the subtransaction restored user, context and GUCs */
	/* the pinned search_path was set GUC_ACTION_SAVE: undone either way.
	 * Not pgdbc_unpin_search_path (a commit of the level): whatever else
	 * was set at it is undone too, as the scope's rollback would. */
	AtEOXact_GUC(false, sc->guc_nest);
	SetUserIdAndSecContext(sc->caller, sc->caller_sec);
	if (keep)
		ctx->host->release(ctx, sc->level);
	else
		ctx->host->rollback(ctx, sc->level);
}
