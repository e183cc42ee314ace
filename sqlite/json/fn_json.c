/*
 * fn_json.c — dbjson_* and dbcheck_json for SQLite. Decoding and encoding
 * only; validation is core/jsonschema/. The scalar functions are
 * DETERMINISTIC and INNOCUOUS (usable in CHECK constraints, also with
 * trusted_schema = OFF); compiled schemas are cached per connection.
 */
#include "jsonschema/jsonschema.h"
#include "sqlite/audit/audit_sql.h"
#include "sqlite/host/glue.h"

#include <string.h>

/* The registry's generation, read once per connection and data version
 * of main (SQLITE_FCNTL_DATA_VERSION: moved by every commit, of this
 * connection or another), so a prepared INSERT whose CHECK names a
 * registered schema reads the registry once, not at every execution (its
 * auxiliary data, where the memo once lived, goes at each reset). Within
 * a transaction the version stands still; the registry changes there only
 * by this connection's writes: dbjson_register and dbjson_unregister mark
 * the version dirty (sqldbc_json_registry_written), and while it is, the
 * registry is read at every call, also after a ROLLBACK (which moves no
 * version) until the next commit. A row of the registry written around
 * dbjson_register counts from its commit (docs/json.md). */
static int connection_generation(dbc_ctx *ctx, int64_t *gen)
{
	sqldbc_conn *conn = sqldbc_call_conn(ctx);
	unsigned version = 0;
	bool have = sqldbc_audit_data_version(conn->db, &version);
	bool steady =
	    have && !(conn->json_registry_dirty && conn->json_registry_dirty_version == version);
	if (steady && conn->json_registry_known && conn->json_registry_version == version) {
		*gen = conn->json_registry_gen;
		return DBC_OK;
	}
	conn->json_registry_known = false;
	if (dbc_js_registry_generation(ctx, gen) != DBC_OK)
		return DBC_ERROR;
	conn->json_registry_known = steady;
	conn->json_registry_version = version;
	conn->json_registry_gen = *gen;
	return DBC_OK;
}

void sqldbc_json_registry_written(dbc_ctx *ctx)
{
	sqldbc_conn *conn = sqldbc_call_conn(ctx);
	unsigned version = 0;
	conn->json_registry_known = false;
	conn->json_registry_dirty = sqldbc_audit_data_version(conn->db, &version);
	conn->json_registry_dirty_version = version;
}

/* The connection's schema cache, made on first use (freed with the state). */
static dbc_js_cache *cache_of(sqldbc_conn *conn)
{
	if (!conn->json_cache) {
		conn->json_cache = dbc_js_cache_new();
		dbc_js_cache_set_generation(conn->json_cache, connection_generation);
	}
	return conn->json_cache;
}

/* Arguments (document, schema[, format_assertion]). false: *result is set
 * to SQL NULL (a NULL document passes, as in any CHECK) or an error. */
static int json_args(sqldbc_call *call, int argc, sqlite3_value **argv, const char **doc,
                     const char **schema, bool *format_assertion)
{
	int64_t fa = 0;
	*doc = NULL;
	int rc = sqldbc_arg_text(call, argv, 1, "schema", schema);
	if (rc == DBC_OK && argc > 2)
		rc = sqldbc_arg_int(call, argv, 2, "format_assertion", &fa);
	*format_assertion = fa != 0;
	if (rc == DBC_OK && sqlite3_value_type(argv[0]) != SQLITE_NULL)
		rc = sqldbc_arg_text(call, argv, 0, "document", doc);
	return rc;
}

void sqldbc_dbjson_valid(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	sqldbc_call call;
	sqldbc_begin(&call, c);
	const char *doc, *schema;
	bool fa, valid;
	int rc = json_args(&call, argc, argv, &doc, &schema, &fa);
	if (rc == DBC_OK && doc)
		rc = dbc_js_valid_n(&call.ctx, cache_of(call.conn), doc,
		                    (size_t)sqlite3_value_bytes(argv[0]), schema, fa, &valid);
	if (rc == DBC_OK && doc)
		sqlite3_result_int(c, valid);
	sqldbc_finish(&call, c, rc);
}

void sqldbc_dbjson_assert(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	sqldbc_call call;
	sqldbc_begin(&call, c);
	const char *doc, *schema;
	bool fa;
	int rc = json_args(&call, argc, argv, &doc, &schema, &fa);
	if (rc == DBC_OK && doc)
		rc = dbc_js_assert(&call.ctx, cache_of(call.conn), doc, schema, fa);
	if (rc == DBC_OK && doc)
		sqlite3_result_int(c, 1);
	sqldbc_finish(&call, c, rc);
}

void sqldbc_dbjson_schema_valid(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqldbc_call call;
	sqldbc_begin(&call, c);
	const char *schema = NULL;
	bool valid;
	char *why;
	int rc = sqldbc_arg_text(&call, argv, 0, "schema", &schema);
	if (rc == DBC_OK)
		rc = dbc_js_check(&call.ctx, schema, &valid, &why);
	if (rc == DBC_OK)
		sqlite3_result_int(c, valid);
	sqldbc_finish(&call, c, rc);
}

/* Table-valued arguments: text, or NULL where a NULL means no rows. */
static int tvf_text(dbc_ctx *ctx, int argc, const dbc_value *args, int i, const char *name,
                    const char **out)
{
	if (i >= argc || args[i].type == DBC_NULL)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"%s\" must not be NULL", name);
	if (args[i].type != DBC_TEXT)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"%s\" must be text", name);
	*out = args[i].s;
	return DBC_OK;
}

static bool tvf_flag(int argc, const dbc_value *args, int i)
{
	return i < argc && (args[i].type == DBC_INT || args[i].type == DBC_BOOL) && args[i].i != 0;
}

int sqldbc_dbjson_errors(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	const char *schema = NULL;
	dbc_rows_init(out, ctx, 4);
	if (argc > 0 && args[0].type == DBC_NULL)
		return DBC_OK; /* a NULL document has no errors */
	const char *doc = NULL;
	if (tvf_text(ctx, argc, args, 0, "document", &doc) != DBC_OK ||
	    tvf_text(ctx, argc, args, 1, "schema", &schema) != DBC_OK)
		return DBC_ERROR;
	return dbc_js_errors(ctx, cache_of(sqldbc_call_conn(ctx)), doc, schema, tvf_flag(argc, args, 2),
	                     out);
}

int sqldbc_dbcheck_json(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	const char *table = NULL, *column = NULL, *schema = NULL;
	dbc_rows_init(out, ctx, DBC_JS_SCAN_NCOLS);
	if (tvf_text(ctx, argc, args, 0, "table", &table) != DBC_OK ||
	    tvf_text(ctx, argc, args, 1, "column", &column) != DBC_OK ||
	    tvf_text(ctx, argc, args, 2, "schema", &schema) != DBC_OK)
		return DBC_ERROR;
	/* "name" or "database.name" (main, temp or an attached database) */
	const char *dot = strchr(table, '.');
	char *database = dot ? dbc_strndup(ctx, table, (size_t)(dot - table)) : NULL;
	if (dot && !database)
		return DBC_ERROR;
	return dbc_js_scan(ctx, cache_of(sqldbc_call_conn(ctx)), database, dot ? dot + 1 : table,
	                   column, schema, tvf_flag(argc, args, 3), out);
}
