/*
 * fn_migrate.c — the one dbmigrate_* function with SQLite glue of its own,
 * dbmigrate_verify_json; the others have the generic glue (sqlite/api/api.c),
 * the part's hooks are sqlite/migrate/migrate_hooks.c. Every decision is in
 * core/migrate/.
 */
#include "base/json.h"
#include "migrate/migrate.h"
#include "sqlite/host/glue.h"

/* Optional text argument i: absent or NULL means "not given". */
static int opt_text(sqldbc_call *call, int argc, sqlite3_value **argv, int i, const char *name,
                    const char **out)
{
	*out = NULL;
	if (i >= argc || sqlite3_value_type(argv[i]) == SQLITE_NULL)
		return DBC_OK;
	return sqldbc_arg_text(call, argv, i, name, out);
}

/* dbmigrate_verify_json([target]): the rows of dbmigrate_verify as a JSON
 * array. SQLite refuses DROP TABLE while another statement reads the
 * database, which a table-valued function's own SELECT does; a scalar call
 * has no such statement, so down scripts that drop tables verify here. */
void sqldbc_dbmigrate_verify_json(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	static const char *cols[] = {"version", "name", "up_ok", "down_ok", "reversible", "detail"};
	sqldbc_call call;
	sqldbc_begin(&call, c);
	const char *target;
	dbc_rows rows;
	int rc = opt_text(&call, argc, argv, 0, "target", &target);
	if (rc == DBC_OK)
		rc = dbc_migrate_verify(&call.ctx, &sqldbc_migrate_hooks, target, &rows);
	if (rc == DBC_OK) {
		json_t *arr = json_array();
		for (int i = 0; arr && i < rows.nrows; i++) {
			json_t *o = json_object();
			for (int k = 0; o && k < 6; k++) {
				const dbc_value *v = &rows.cells[(size_t)i * 6 + (size_t)k];
				json_t *jv = v->type == DBC_TEXT   ? dbc_json_str(v->s)
				             : v->type == DBC_BOOL ? json_boolean(v->i)
				             : v->type == DBC_INT  ? json_integer(v->i)
				                                   : json_null();
				dbc_json_set(o, cols[k], jv);
			}
			if (!o || json_array_append_new(arr, o) != 0) {
				json_decref(arr);
				arr = NULL;
			}
		}
		char *text = arr ? dbc_json_dump(&call.ctx, arr, JSON_COMPACT) : NULL;
		json_decref(arr);
		if (text) {
			sqlite3_result_text(c, text, -1, SQLITE_TRANSIENT);
			sqlite3_result_subtype(c, 'J');
		} else
			rc = dbc_error(&call.ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	sqldbc_finish(&call, c, rc);
}
