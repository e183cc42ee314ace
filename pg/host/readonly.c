/*
 * pg/host/readonly.c — what a dbcare call may do when nothing may be changed (a hot
 * standby, a read-only transaction), and the hint of a privilege error on
 * dbcare's own objects. Both concern errors PostgreSQL would otherwise give
 * late, or without saying what to do.
 */
#include "glue.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_proc.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include <string.h>

/*
 * The VOLATILE functions of the extension that never write (volatile only
 * because they read live statistics or data) are the ones the API table
 * marks DBC_API_READ_ONLY (core/api/functions.h); they work on a hot
 * standby. Every other VOLATILE function counts as changing, so a new one is
 * refused until it is reviewed and marked. The same list is in
 * test/pgtap/hostile_privileges.sql, test/pgtap/error_prefix.sql and
 * test/script/pg_standby.sh, which call every function not on it.
 */

/* Whether the function being called can change the database. Only asked when
 * nothing may be changed, so a call pays for the catalog lookups then alone. */
static bool changes_something(FunctionCallInfo fcinfo, char **name)
{
	Oid fn = fcinfo->flinfo ? fcinfo->flinfo->fn_oid : InvalidOid;
	*name = OidIsValid(fn) ? get_func_name(fn) : NULL;
	if (!*name)
		return true; /* cannot tell: refuse */
	if (func_volatile(fn) != PROVOLATILE_VOLATILE)
		return false; /* STABLE and IMMUTABLE functions do not write */
	return !dbc_api_read_only_volatile(*name);
}

void pgdbc_refuse_changes_when_read_only(FunctionCallInfo fcinfo)
{
	char *name;
	/* A standby's transactions are read-only as well: recovery is asked first,
	 * for the more telling message. */
	bool recovery = RecoveryInProgress();
	if (!recovery && !XactReadOnly)
		return;
	if (!changes_something(fcinfo, &name))
		return;
	if (recovery)
		ereport(ERROR, (errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
		                errmsg("dbcare: %s cannot run during recovery (hot standby)",
		                       name ? name : "this function"),
		                errhint("This server is a hot standby; run it on the primary.")));
	ereport(ERROR, (errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
	                errmsg("dbcare: %s cannot run in a read-only transaction",
	                       name ? name : "this function"),
	                errhint("It changes the database; run it in a read-write transaction.")));
}

char *pgdbc_grant_hint(const char *sqlstate, const char *message)
{
	const char *role;
	if (strcmp(sqlstate, DBC_SQLSTATE_PRIVILEGE) != 0 ||
	    strcmp(message, "permission denied for schema dbcare") != 0)
		return NULL;
	/* A permission check raises this before it holds anything, so the
	 * catalog can still be read while the error is on its way out. */
	role = GetUserNameFromId(GetUserId(), true);
	return psprintf("GRANT USAGE ON SCHEMA dbcare TO %s; (and the privileges on the tables in it "
	                "that this function needs)",
	                role ? quote_identifier(role) : "<role>");
}
