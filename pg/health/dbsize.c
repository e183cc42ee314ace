/*
 * pg/health/dbsize.c — the database's size on disk for the health metrics.
 *
 * PostgreSQL's own pg_database_size(current_database()), called directly:
 * the same figure, the same privilege rule (CONNECT on the database or
 * pg_read_all_stats) and the same errors as the SQL function, without a
 * query. It walks the database's files on every report; nothing is kept
 * between reports (docs/benchmarks.md has what that costs).
 */
#include "pg/host/glue.h"

#include "miscadmin.h"
#include "utils/fmgrprotos.h"

void pgdbc_database_size(void *arg)
{
	*(int64 *)arg =
	    DatumGetInt64(DirectFunctionCall1(pg_database_size_oid, ObjectIdGetDatum(MyDatabaseId)));
}
