/*
 * pg/host/objects_version.c — a dbcare call refuses to run over the objects of
 * another version of dbcare.
 *
 * A package upgrade replaces dbcare.so at once, but each database keeps the
 * objects (tables, columns, function signatures) of the version it was made
 * or last updated with until ALTER EXTENSION dbcare UPDATE. The library
 * reads and writes its objects as its own version lays them out; over older
 * ones a call would fail halfway with whatever PostgreSQL says first
 * ("column ... does not exist") or, worse, succeed on a wrong layout. So
 * every call that goes through pgdbc_begin (every function of the API
 * table that runs SQL) first compares pg_extension.extversion with the
 * library's DBC_VERSION and raises 55000 with the statement that fixes it.
 *
 * Not checked, because they keep working over the objects of any version
 * and run inside the users' own statements (docs/postgresql.md,
 * "Upgrading"): the JSON Schema validators (pgdbc_begin_lean: they read no
 * object of dbcare, and a CHECK calls them once a row), the triggers dbcare
 * puts on users' tables (the audit trigger writes the log's columns by name
 * and refuses the write, with the same hint, when one it needs is missing;
 * the soft-delete trigger reads nothing of dbcare's), dbcare.audit_row_hash
 * (a generated column's expression) and dbcare_version(), which reports the
 * library.
 *
 * Invariant: the check never refuses the scripts of CREATE EXTENSION and
 * ALTER EXTENSION UPDATE (pg_extension already says the version being
 * reached while a script of the chain runs), so an upgrade script may call
 * any function of the library.
 *
 * Cost: one index lookup in pg_extension per command (per statement of the
 * caller). A match is remembered with the command id until the transaction
 * ends: a DDL statement of the same transaction (ALTER EXTENSION ... UPDATE,
 * DROP and CREATE EXTENSION) advances the command id, so the next statement
 * looks again; a rolled-back savepoint (which may have held such a
 * statement) and the end of the transaction forget the match.
 */
#include "glue.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"

#include <stdlib.h>
#include <string.h>

/* The command of this transaction in which the objects were last found to
 * be the library's own. */
static bool matched = false;
static CommandId matched_cid = InvalidCommandId;

static void forget_at_end(XactEvent event, void *arg)
{
	matched = false; /* every event ends or hands over the transaction */
}

static void forget_at_rollback(SubXactEvent event, SubTransactionId sub, SubTransactionId parent,
                               void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		matched = false;
}

/* Dotted numbers compared as numbers ("0.10.0" after "0.9.1"); anything
 * after the numbers ("-dev") is ignored. <0, 0, >0 as strcmp. */
static int version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		char *ea, *eb;
		long na = strtol(a, &ea, 10), nb = strtol(b, &eb, 10);
		if (na != nb)
			return na < nb ? -1 : 1;
		if (ea == a || eb == b)
			break;
		a = *ea == '.' ? ea + 1 : ea;
		b = *eb == '.' ? eb + 1 : eb;
		if (*ea != '.' && *eb != '.')
			break;
	}
	return 0;
}

/* The installed version of dbcare in this database (palloc'd), NULL when it
 * is not installed; *ext its pg_extension oid. */
static char *installed_version(Oid *ext)
{
	Relation rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyData key;
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
	            CStringGetDatum("dbcare"));
	SysScanDesc scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	HeapTuple tup = systable_getnext(scan);
	char *version = NULL;
	*ext = InvalidOid;
	if (HeapTupleIsValid(tup)) {
		bool isnull;
		Datum d =
		    pgdbc_tuple_attr(tup, Anum_pg_extension_extversion, RelationGetDescr(rel), &isnull);
		*ext = ((Form_pg_extension)GETSTRUCT(tup))->oid;
		if (!isnull)
			version = text_to_cstring(DatumGetTextPP(d));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return version;
}

void pgdbc_require_current_objects(void)
{
	CommandId cid = GetCurrentCommandId(false);
	if (matched && cid == matched_cid)
		return;
	Oid ext;
	char *version = installed_version(&ext);
	/* a script of CREATE / ALTER EXTENSION dbcare is running (see above) */
	if (creating_extension && OidIsValid(ext) && CurrentExtensionObject == ext)
		return;
	/* Not installed here (a function created by hand): there is nothing to
	 * compare, and the call fails on its own if it needs an object. */
	if (version == NULL || strcmp(version, DBC_VERSION) == 0) {
		static bool registered = false;
		if (!registered) {
			RegisterXactCallback(forget_at_end, NULL);
			RegisterSubXactCallback(forget_at_rollback, NULL);
			registered = true;
		}
		matched = true;
		matched_cid = cid;
		if (version)
			pfree(version);
		return;
	}
	if (version_cmp(version, DBC_VERSION) <= 0)
		ereport(ERROR,
		        (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		         errmsg("dbcare: the dbcare objects in this database are version %s, the library "
		                "is %s",
		                version, DBC_VERSION),
		         errhint("ALTER EXTENSION dbcare UPDATE;")));
	ereport(ERROR,
	        (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
	         errmsg("dbcare: the dbcare objects in this database are version %s, the library is %s",
	                version, DBC_VERSION),
	         errhint("The objects are newer than the library this session loaded: install dbcare "
	                 "%s (or later) on the server and start a new session.",
	                 version)));
}
