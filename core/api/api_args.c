/*
 * api/api_args.c — the arguments of a function with generic glue, decoded
 * and checked once for both engines (dbc_api_args): defaults, NULLs, types
 * and the table's rules, each error with one text. The engines' glue only
 * turns their values into dbc_values (pg/api/api.c, sqlite/api/api.c, sqlite/host/tvf.c).
 */
#include "api/api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The value of a default (dbc_api_check keeps it simple_default). */
static int default_value(dbc_ctx *ctx, const char *sql, dbc_value *out)
{
	size_t n = strlen(sql);
	if (strcmp(sql, "NULL") == 0)
		*out = dbc_null();
	else if (strcmp(sql, "true") == 0 || strcmp(sql, "false") == 0)
		*out = dbc_bool(sql[0] == 't');
	else if (sql[0] == '\'') {
		char *s = dbc_strndup(ctx, sql + 1, n - 2);
		if (!s)
			return DBC_ERROR;
		*out = dbc_text(s);
	} else
		*out = dbc_int(strtoll(sql, NULL, 10));
	return DBC_OK;
}

/* A whole decimal integer (SQLite hands a table-valued function's
 * arguments over without numeric affinity). */
static bool parse_integer(const char *s, int64_t *out)
{
	char *end;
	long long v;
	if (!*s)
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

/* Argument k of fn: raw as the engine gave it, into *out by its type and
 * rules. The error texts here are the only ones an argument gets. */
static int decode_arg(dbc_ctx *ctx, const dbc_api_column *arg, dbc_value raw, dbc_value *out)
{
	int64_t i;
	if (raw.type == DBC_NULL) {
		if (arg->rules & DBC_RULE_NULL_IS_DEFAULT)
			return default_value(ctx, arg->default_sql, out);
		if ((arg->rules & DBC_RULE_NULL_OK) ||
		    (arg->default_sql && strcmp(arg->default_sql, "NULL") == 0)) {
			*out = dbc_null();
			return DBC_OK;
		}
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"%s\" must not be NULL",
		                 arg->name);
	}
	switch (arg->type) {
	case DBC_T_INT4:
	case DBC_T_INT8:
	case DBC_T_BOOL:
		if (raw.type == DBC_INT || raw.type == DBC_BOOL)
			i = raw.i;
		else if (raw.type != DBC_TEXT || !parse_integer(raw.s, &i))
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"%s\" must be an integer",
			                 arg->name);
		if ((arg->rules & DBC_RULE_POSITIVE) && i <= 0)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "argument \"%s\" must be a positive integer", arg->name);
		if ((arg->rules & DBC_RULE_NOT_NEGATIVE) && i < 0)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"%s\" must not be negative",
			                 arg->name);
		*out = arg->type == DBC_T_BOOL ? dbc_bool(i != 0) : dbc_int(i);
		return DBC_OK;
	case DBC_T_FLOAT8:
		if (raw.type == DBC_INT)
			*out = dbc_float((double)raw.i);
		else if (raw.type == DBC_FLOAT)
			*out = raw;
		else
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"%s\" must be a number",
			                 arg->name);
		return DBC_OK;
	default: /* text, json, jsonb, timestamptz: the text (a number's as SQL writes it) */
		if (raw.type == DBC_TEXT)
			*out = dbc_text(dbc_strdup(ctx, raw.s));
		else if (raw.type == DBC_FLOAT)
			*out = dbc_text(dbc_printf(ctx, "%.17g", raw.f));
		else
			*out = dbc_text(dbc_printf(ctx, "%lld", (long long)raw.i));
		return out->s ? DBC_OK : DBC_ERROR;
	}
}

int dbc_api_args(dbc_ctx *ctx, const dbc_api_fn *fn, unsigned given, const dbc_value *raw,
                 dbc_value *out)
{
	for (int k = 0; k < fn->nargs; k++) {
		const dbc_api_column *arg = &fn->args[k];
		int rc = given & (1u << k)  ? decode_arg(ctx, arg, raw[k], &out[k])
		         : arg->default_sql ? default_value(ctx, arg->default_sql, &out[k])
		                            : dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                                        "argument \"%s\" must not be NULL", arg->name);
		if (rc != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

const dbc_api_hooks *dbc_api_engine_of(dbc_ctx *ctx)
{
	return ctx->host->api;
}
