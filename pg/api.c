/*
 * api.c — the PostgreSQL module's exported functions: PG_FUNCTION_INFO_V1
 * for every PostgreSQL entry of the API table (core/api/functions.h). The
 * CREATE FUNCTION statements come from the same table (pg/gen/api_sql.c).
 */
#include "glue.h"

#define PGDBC_INFO_PG(id)        PG_FUNCTION_INFO_V1(id);
#define PGDBC_INFO_PG_SCALAR(id) PGDBC_INFO_PG(id)
#define PGDBC_INFO_PG_TABLE(id)  PGDBC_INFO_PG(id)
#define PGDBC_INFO_SCALAR(id)
#define PGDBC_INFO_TABLE(id)
#define PGDBC_INFO_(id, name, engines, ...) PGDBC_INFO_##engines(id)
DBC_API_FUNCTIONS(PGDBC_INFO_)
