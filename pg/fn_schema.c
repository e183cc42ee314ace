/*
 * fn_schema.c — dbschema_snapshot, dbschema_fingerprint and dbschema_diff. The
 * catalog reader is pg/catalog.c; snapshot, fingerprint and diff are the core's.
 */
#include "glue.h"

/* The readers run inside pgdbc_run: an error they let go leaves no savepoint
 * of the core open. */
static int snapshot_body(dbc_ctx *ctx, void *arg)
{
	return dbc_schema_snapshot(ctx, pgdbc_read_schema, arg);
}

static int fingerprint_body(dbc_ctx *ctx, void *arg)
{
	return dbc_schema_fingerprint(ctx, pgdbc_read_schema, arg);
}

Datum dbschema_snapshot(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	char *json = NULL;
	int rc;
	pgdbc_begin(&call, fcinfo);
	rc = pgdbc_run(&call, snapshot_body, &json);
	return pgdbc_return_jsonb(&call, rc, json);
}

/* Hashes the core's canonical text, not jsonb's re-serialisation of it (jsonb
 * orders keys by length first), so both engines hash the same bytes. */
Datum dbschema_fingerprint(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	char *hex = NULL;
	int rc;
	pgdbc_begin(&call, fcinfo);
	rc = pgdbc_run(&call, fingerprint_body, &hex);
	return pgdbc_return_text(&call, rc, hex);
}

Datum dbschema_diff(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	dbc_rows rows;
	const char *from, *to;
	int rc;
	pgdbc_begin(&call, fcinfo);
	from = pgdbc_arg_json(&call, 0, "from");
	to = pgdbc_arg_json(&call, 1, "to");
	rc = dbc_schema_diff(&call.ctx, from, to, &rows);
	return pgdbc_return_rows(&call, rc, &rows);
}
