/*
 * api/api.c — the table of SQL functions (core/api/functions.h) as an array,
 * and the few questions every consumer of it asks.
 */
#include "api/api.h"

#include <stddef.h>
#include <string.h>

#define DBC_ENGINES_PG_SCALAR   (DBC_ON_PG | DBC_ON_SQLITE_SCALAR)
#define DBC_ENGINES_PG_TABLE    (DBC_ON_PG | DBC_ON_SQLITE_TABLE)
#define DBC_ENGINES_PG          DBC_ON_PG
#define DBC_ENGINES_SCALAR      DBC_ON_SQLITE_SCALAR
#define DBC_ENGINES_TABLE       DBC_ON_SQLITE_TABLE
#define DBC_ENGINES_CORE_SCALAR (DBC_ON_PG | DBC_ON_SQLITE_SCALAR | DBC_ON_CORE_ENTRY)
#define DBC_ENGINES_CORE_TABLE  (DBC_ON_PG | DBC_ON_SQLITE_TABLE | DBC_ON_CORE_ENTRY)
#define DBC_ENGINES_CORE_SQLITE (DBC_ON_SQLITE_SCALAR | DBC_ON_CORE_ENTRY)
#define DBC_ENGINES_CORE_PG     (DBC_ON_PG | DBC_ON_CORE_ENTRY)

const dbc_api_fn dbc_api_functions[DBC_API_NFUNCTIONS] = {
#define DBC_API_ENTRY_(id_, name_, engines_, ...)                                                  \
	[DBC_API_##id_] = {.id = #id_, .name = #name_, .engines = DBC_ENGINES_##engines_, __VA_ARGS__},
    DBC_API_FUNCTIONS(DBC_API_ENTRY_)
#undef DBC_API_ENTRY_
};

const char *dbc_api_type_name(dbc_api_type type)
{
	switch (type) {
	case DBC_T_TEXT:
		return "text";
	case DBC_T_JSONB:
		return "jsonb";
	case DBC_T_JSON:
		return "json";
	case DBC_T_INT4:
		return "integer";
	case DBC_T_INT8:
		return "bigint";
	case DBC_T_FLOAT8:
		return "double precision";
	case DBC_T_BOOL:
		return "boolean";
	case DBC_T_TIMESTAMPTZ:
		return "timestamp with time zone";
	case DBC_T_OID:
		return "oid";
	case DBC_T_REGCLASS:
		return "regclass";
	case DBC_T_ANYELEMENT:
		return "anyelement";
	case DBC_T_TRIGGER:
		return "trigger";
	case DBC_T_VOID:
		return "void";
	}
	return "?";
}

const char *dbc_api_part_name(dbc_api_part part)
{
	static const char *const names[DBC_PART_COUNT] = {
	    [DBC_PART_CORE] = "core",       [DBC_PART_SCHEMA] = "schema",
	    [DBC_PART_MIGRATE] = "migrate", [DBC_PART_HEALTH] = "health",
	    [DBC_PART_CHECK] = "check",     [DBC_PART_JSON] = "json",
	    [DBC_PART_RETAIN] = "retain",   [DBC_PART_AUDIT] = "audit",
	    [DBC_PART_BACKUP] = "backup",   [DBC_PART_MAINTAIN] = "maintain",
	};
	return part >= 0 && part < DBC_PART_COUNT ? names[part] : "?";
}

int dbc_api_required_args(const dbc_api_fn *fn)
{
	int n = 0;
	while (n < fn->nargs && !fn->args[n].default_sql)
		n++;
	return n;
}

bool dbc_api_read_only_volatile(const char *name)
{
	bool found = false;
	for (int i = 0; i < DBC_API_NFUNCTIONS; i++) {
		const dbc_api_fn *fn = &dbc_api_functions[i];
		if (!(fn->engines & DBC_ON_PG) || strcmp(fn->name, name) != 0)
			continue;
		if (fn->volatility != DBC_VOLATILE)
			continue; /* a STABLE or IMMUTABLE signature writes nothing */
		if (!(fn->flags & DBC_API_READ_ONLY))
			return false; /* one signature that may write: the name may */
		found = true;
	}
	return found;
}

/* The types the generic glue decodes (arguments) and encodes (results). */
static bool generic_arg_type(dbc_api_type type)
{
	switch (type) {
	case DBC_T_TEXT:
	case DBC_T_JSONB:
	case DBC_T_JSON:
	case DBC_T_INT4:
	case DBC_T_INT8:
	case DBC_T_FLOAT8:
	case DBC_T_BOOL:
	case DBC_T_TIMESTAMPTZ:
		return true;
	default:
		return false;
	}
}

static bool generic_result_type(dbc_api_type type)
{
	return type == DBC_T_TEXT || type == DBC_T_JSONB || type == DBC_T_INT4 || type == DBC_T_INT8 ||
	       type == DBC_T_FLOAT8 || type == DBC_T_BOOL;
}

static bool integer_type(dbc_api_type type)
{
	return type == DBC_T_INT4 || type == DBC_T_INT8;
}

/* NULL, a number, true/false, or a quoted literal without a quote inside:
 * what dbc_api_args reads back as an omitted argument's value. */
static bool simple_default(const char *sql)
{
	size_t n = sql ? strlen(sql) : 0;
	if (!sql || sql[0] != '\'')
		return true;
	return n >= 2 && strchr(sql + 1, '\'') == sql + n - 1;
}

const char *dbc_api_check(const dbc_api_fn *fn)
{
	bool sqlite = fn->engines & (DBC_ON_SQLITE_SCALAR | DBC_ON_SQLITE_TABLE);
	if ((fn->flags & DBC_API_READ_ONLY) && fn->volatility != DBC_VOLATILE)
		return "only a VOLATILE function can be marked read-only";
	if ((fn->flags & DBC_API_PURE) && fn->volatility != DBC_IMMUTABLE)
		return "only an IMMUTABLE function can be pure on SQLite";
	if ((fn->flags & DBC_API_PURE) && !(fn->engines & DBC_ON_SQLITE_SCALAR))
		return "only a scalar SQLite function can be pure";
	if ((fn->flags & (DBC_API_VARIADIC | DBC_API_INNOCUOUS)) &&
	    (fn->engines & ~DBC_ON_SQLITE_SCALAR))
		return "only a SQLite-only scalar function can be variadic or innocuous alone";
	if ((fn->flags & DBC_API_PRIVATE) && (fn->flags & (DBC_API_MONITOR | DBC_API_READ_ONLY)))
		return "a function revoked from PUBLIC is neither for the monitoring role nor read-only";
	if ((fn->flags & DBC_API_PROCEDURE) &&
	    (fn->ncolumns > 0 || fn->returns != DBC_T_VOID || fn->volatility != DBC_VOLATILE))
		return "a procedure returns nothing and has no volatility";
	if (!(fn->flags & DBC_API_PROCEDURE) && fn->ncolumns == 0 && fn->returns == DBC_T_VOID)
		return "a function needs a result type or result columns";
	if ((fn->engines & DBC_ON_SQLITE_TABLE) && fn->ncolumns == 0)
		return "a SQLite virtual table needs result columns";
	if ((fn->engines & DBC_ON_CORE_ENTRY) && (fn->flags & DBC_API_PROCEDURE))
		return "a procedure has its own glue";
	if ((fn->engines & (DBC_ON_SQLITE_TABLE | DBC_ON_CORE_ENTRY)) && fn->nargs > DBC_API_MAX_ARGS)
		return "a SQLite virtual table or a function with generic glue takes at most 12 "
		       "arguments";
	if ((fn->engines & DBC_ON_CORE_ENTRY) && !(fn->engines & DBC_ON_SQLITE_TABLE) &&
	    !generic_result_type(fn->returns))
		return "a CORE_SCALAR function returns text, jsonb, integer, bigint, double precision "
		       "or boolean";
	for (int k = 0; k < fn->nargs && (fn->engines & DBC_ON_CORE_ENTRY); k++)
		if (!generic_arg_type(fn->args[k].type) || !simple_default(fn->args[k].default_sql))
			return "a function with generic glue takes text, json, jsonb, timestamptz, "
			       "numbers or booleans, with simple defaults";
	for (int k = 0; k < fn->nargs; k++) {
		int rules = fn->args[k].rules;
		if ((rules & (DBC_RULE_POSITIVE | DBC_RULE_NOT_NEGATIVE)) &&
		    !integer_type(fn->args[k].type))
			return "only an integer argument can be positive or not negative";
		if ((rules & DBC_RULE_NULL_IS_DEFAULT) && !fn->args[k].default_sql)
			return "only an argument with a default can read NULL as its default";
		if (rules && !(fn->engines & DBC_ON_CORE_ENTRY))
			return "argument rules are checked by the generic glue only";
		if (k > 0 && fn->args[k - 1].default_sql && !fn->args[k].default_sql)
			return "an argument without a default follows one with a default";
		if (sqlite && !fn->args[k].name[0])
			return "a SQLite function's arguments need names";
	}
	for (int i = 0; i < DBC_API_NFUNCTIONS; i++) {
		const dbc_api_fn *other = &dbc_api_functions[i];
		if (other == fn)
			continue;
		if (strcmp(other->id, fn->id) == 0)
			return "two entries have the same id";
		/* SQLite keeps one function per name and argument count */
		if (sqlite && (other->engines & (DBC_ON_SQLITE_SCALAR | DBC_ON_SQLITE_TABLE)) &&
		    strcmp(other->name, fn->name) == 0 &&
		    ((fn->engines | other->engines) & DBC_ON_SQLITE_TABLE ||
		     (dbc_api_required_args(other) <= fn->nargs &&
		      dbc_api_required_args(fn) <= other->nargs)))
			return "two SQLite signatures of one name take the same number of arguments";
	}
	return NULL;
}
