/*
 * retain_calls.c — the retain part's functions of forms CORE_SCALAR and
 * CORE_TABLE as the API table calls them (core/api/functions.h): the
 * arguments arrive decoded and checked (dbc_api_args), the engine's
 * retain hooks come from dbc_api_engine_of.
 */
#include "api/api.h"
#include "retain/retain.h"

static const dbc_retain_hooks *engine(dbc_ctx *ctx)
{
	return dbc_api_engine_of(ctx)->retain();
}

/* the text of args[k], or NULL for SQL NULL */
static const char *opt_text(const dbc_value *args, int k)
{
	return args[k].type == DBC_TEXT ? args[k].s : NULL;
}

int dbc_call_dbsoftdelete_enable(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *report = NULL;
	int rc = dbc_softdelete_enable(ctx, engine(ctx), args[0].s, args[1].s, &report);
	*result = report ? dbc_text(report) : dbc_null();
	return rc;
}

int dbc_call_dbsoftdelete_disable(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	bool was = false;
	int rc = dbc_softdelete_disable(ctx, engine(ctx), args[0].s, &was);
	*result = dbc_bool(was);
	return rc;
}

int dbc_call_dbsoftdelete_restore(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	int64_t n = 0;
	int rc = dbc_softdelete_restore(ctx, engine(ctx), args[0].s, args[1].s, &n);
	*result = dbc_int(n);
	return rc;
}

int dbc_call_dbsoftdelete_purge(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	int64_t n = 0;
	int rc = dbc_softdelete_purge(ctx, engine(ctx), args[0].s, opt_text(args, 1), &n);
	*result = dbc_int(n);
	return rc;
}

int dbc_call_dbsoftdelete_tables(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	return dbc_softdelete_rows(ctx, out);
}

int dbc_call_dbretain_add(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	int rc = dbc_retain_add(ctx, engine(ctx), args[0].s, args[1].s, args[2].s, args[3].s, args[4].s,
	                        opt_text(args, 5));
	*result = args[0];
	return rc;
}

int dbc_call_dbretain_drop(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	bool dropped = false;
	int rc = dbc_retain_drop(ctx, args[0].s, &dropped);
	*result = dbc_bool(dropped);
	return rc;
}

int dbc_call_dbretain_policies(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	return dbc_retain_policy_rows(ctx, out);
}

int dbc_call_dbretain_plan(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc;
	return dbc_retain_plan(ctx, engine(ctx), opt_text(args, 0), out);
}

/* max_rows: NULL (no limit, 0 to the core) or positive (DBC_RULE_POSITIVE) */
int dbc_call_dbretain_apply(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	dbc_retain_results r;
	(void)argc;
	if (dbc_retain_apply(ctx, engine(ctx), opt_text(args, 0),
	                     args[1].type == DBC_INT ? args[1].i : 0, true, &r) != DBC_OK)
		return DBC_ERROR;
	return dbc_retain_apply_rows(ctx, &r, out);
}

/* ---- archives in another database: the source's half */

/* max_rows: NULL (retain.batch_size) or positive (DBC_RULE_POSITIVE) */
int dbc_call_dbretain_export_next(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc;
	return dbc_retain_export_next(ctx, engine(ctx), args[0].s,
	                              args[1].type == DBC_INT ? args[1].i : 0, out);
}

int dbc_call_dbretain_export_mark(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *stage = NULL;
	int rc = dbc_retain_export_mark(ctx, engine(ctx), args[0].s, args[1].i, args[2].i, args[3].s,
	                                &stage);
	*result = stage ? dbc_text(stage) : dbc_null();
	return rc;
}

int dbc_call_dbretain_export_delete(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	int64_t n = 0;
	int rc = dbc_retain_export_delete(ctx, engine(ctx), args[0].s, args[1].i, &n);
	*result = dbc_int(n);
	return rc;
}

/* name, schema: NULL refused by the API table (no defaults) */
int dbc_call_dbretain_archive_attached(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	const char *stage = NULL;
	int64_t rows = 0;
	int rc = dbc_retain_attached_step(ctx, engine(ctx), args[0].s, args[1].s, &stage, &rows);
	char *json =
	    stage ? dbc_printf(ctx, "{\"stage\":\"%s\",\"rows\":%lld}", stage, (long long)rows) : NULL;
	*result = json ? dbc_text(json) : dbc_null();
	return rc == DBC_OK && !json ? DBC_ERROR : rc;
}

/* ---- the archive's half */

int dbc_call_dbretain_archive_store(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc;
	dbc_retain_archive_batch b = {.key = args[0].s,
	                              .archive = args[1].s,
	                              .source = args[2].s,
	                              .rows = args[3].i,
	                              .hash = args[4].s,
	                              .lines = args[5].s,
	                              .codec = args[6].s};
	return dbc_retain_archive_store(ctx, &b, out);
}

int dbc_call_dbretain_archive_read(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc;
	return dbc_retain_archive_read(ctx, opt_text(args, 0), out);
}
