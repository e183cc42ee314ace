/*
 * api/api.h — the shape of one SQL function of dbcare's API, and the table of
 * them all (core/api/functions.h, one entry per SQL function and signature).
 *
 * The table is the only place a function's name, arguments, result and flags
 * are stated. From it come the PostgreSQL CREATE FUNCTION statements (the
 * generator pg/gen/api_sql.c, run by the Makefile), the SQLite registration
 * (sqlite/api/api.c), the PostgreSQL symbols the module exports (pg/api/api.c), the
 * read-only VOLATILE list of pg/host/readonly.c, and the parity tests
 * (test/script/pg_api_parity.sh, test/script/sqlite_api_parity.sh) that read
 * pg_proc and pragma_function_list / pragma_module_list back.
 */
#ifndef DBC_API_H
#define DBC_API_H

#include "base/dbc.h"

#include <stdbool.h>

/* The SQL types arguments and results are declared with (PostgreSQL's names
 * in dbc_api_type_name; SQLite values are dynamically typed). */
typedef enum dbc_api_type {
	DBC_T_TEXT,
	DBC_T_JSONB,
	DBC_T_JSON,
	DBC_T_INT4,
	DBC_T_INT8,
	DBC_T_FLOAT8,
	DBC_T_BOOL,
	DBC_T_TIMESTAMPTZ,
	DBC_T_OID,
	DBC_T_REGCLASS,
	DBC_T_ANYELEMENT,
	DBC_T_TRIGGER, /* result of a trigger function */
	DBC_T_VOID,    /* a procedure's result */
} dbc_api_type;

/* What an argument must be besides its type, checked by the core for the
 * functions with generic glue (dbc_api_args), each with one error text
 * (core/api/api.c). A mask: an argument may have several. */
enum {
	/* an integer above zero: "argument \"x\" must be a positive integer" */
	DBC_RULE_POSITIVE = 1 << 0,
	/* an integer zero or above: "argument \"x\" must not be negative" */
	DBC_RULE_NOT_NEGATIVE = 1 << 1,
	/* an explicit NULL reads as the default (not an error) */
	DBC_RULE_NULL_IS_DEFAULT = 1 << 2,
	/* an explicit NULL passes as DBC_NULL (a required argument whose NULL
	 * means "none", as a default NULL does) */
	DBC_RULE_NULL_OK = 1 << 3,
};

/* An argument (name, type, optional default as SQL text, rules) or a result
 * column (name and type). An unnamed argument has name "". */
typedef struct dbc_api_column {
	const char *name;
	dbc_api_type type;
	const char *default_sql; /* NULL: the argument must be given */
	int rules;               /* DBC_RULE_* */
} dbc_api_column;

typedef enum dbc_api_volatility {
	DBC_VOLATILE, /* zero: the default, as in PostgreSQL */
	DBC_STABLE,
	DBC_IMMUTABLE,
} dbc_api_volatility;

/* PostgreSQL: the search_path every dbcare function is declared with
 * (SET search_path, unless DBC_API_CALLER_PATH or DBC_API_HOST_PATH), and
 * that pg/host/pinned_path.c sets around dbcare's own SQL run elsewhere. */
#define DBC_PG_PINNED_SEARCH_PATH "pg_catalog, pg_temp"

/* Flags. Unless said otherwise they concern PostgreSQL. */
enum {
	DBC_API_STRICT = 1 << 0,
	DBC_API_PARALLEL_SAFE = 1 << 1,
	/* PARALLEL UNSAFE written out (it is PostgreSQL's default) */
	DBC_API_PARALLEL_UNSAFE = 1 << 2,
	DBC_API_SECURITY_DEFINER = 1 << 3,
	/* runs migration SQL with the caller's search_path: no SET search_path */
	DBC_API_CALLER_PATH = 1 << 4,
	/* REVOKE ALL ... FROM PUBLIC: it changes something */
	DBC_API_PRIVATE = 1 << 5,
	/* GRANT EXECUTE ... TO pg_monitor */
	DBC_API_MONITOR = 1 << 6,
	/* VOLATILE only because it reads live statistics or data; it never
	 * writes, so it runs on a hot standby and in read-only transactions
	 * (pg/host/readonly.c). Every other VOLATILE function counts as changing. */
	DBC_API_READ_ONLY = 1 << 7,
	/* SQLite: DETERMINISTIC and INNOCUOUS (its result depends on its
	 * arguments alone); every other scalar function is DIRECTONLY, and every
	 * table-valued one is (docs/security.md) */
	DBC_API_PURE = 1 << 8,
	/* PostgreSQL: CREATE PROCEDURE, not FUNCTION */
	DBC_API_PROCEDURE = 1 << 9,
	/* SQLite: INNOCUOUS but not DETERMINISTIC (a session's state, read by
	 * triggers that must also run with trusted_schema = OFF) */
	DBC_API_INNOCUOUS = 1 << 10,
	/* SQLite: registered once with any number of arguments (nArg -1); the
	 * declared arguments are the leading ones */
	DBC_API_VARIADIC = 1 << 11,
	/* PostgreSQL: no SET search_path, because every statement it runs goes
	 * through the host, which pins the path per statement (pg/host/host_query.c),
	 * or is run pinned by its own C code (pgdbc_pin_search_path), and it
	 * resolves no other name: the JSON validators, whose CHECK calls them
	 * once a row, and the audit trigger, called once per audited statement
	 * (or row), where a SET clause's save and restore of the GUC around every
	 * call costs more than the validation or a one-row statement's entry */
	DBC_API_HOST_PATH = 1 << 12,
};

/* The part of the API a function belongs to; each part's statements go to
 * the marker line "-- dbcare:api <part>" of pg/sql/. */
typedef enum dbc_api_part {
	DBC_PART_CORE,
	DBC_PART_SCHEMA,
	DBC_PART_MIGRATE,
	DBC_PART_HEALTH,
	DBC_PART_CHECK,
	DBC_PART_JSON,
	DBC_PART_RETAIN,
	DBC_PART_AUDIT,
	DBC_PART_BACKUP,
	DBC_PART_MAINTAIN,
	DBC_PART_COUNT
} dbc_api_part;

/* Where a function exists: each engine's form. */
enum {
	DBC_ON_PG = 1 << 0,            /* a C function of the PostgreSQL module */
	DBC_ON_SQLITE_SCALAR = 1 << 1, /* a scalar SQLite function */
	DBC_ON_SQLITE_TABLE = 1 << 2,  /* an eponymous virtual table of SQLite */
	/* the glue of the engines it is on is generic (pg/api/api.c, sqlite/api/api.c):
	 * the core decodes and checks the arguments (dbc_api_args) and the glue
	 * calls dbc_call_<id> (forms CORE_SCALAR, CORE_TABLE, CORE_PG,
	 * CORE_SQLITE) */
	DBC_ON_CORE_ENTRY = 1 << 3,
};

/* The most arguments a virtual table or a function with generic glue takes
 * (a bit of idxNum and a slot of the glue's array each). */
#define DBC_API_MAX_ARGS 12

typedef struct dbc_api_fn {
	const char *id;     /* unique: the PostgreSQL C symbol; SQLite's glue is sqldbc_<id> */
	const char *name;   /* the SQL name */
	const char *schema; /* NULL: the extension's schema; else e.g. "dbcare" */
	int engines;        /* DBC_ON_* */
	dbc_api_part part;
	const dbc_api_column *args;
	int nargs;
	dbc_api_type returns;          /* when ncolumns == 0 */
	const dbc_api_column *columns; /* RETURNS TABLE (...) / the virtual table's columns */
	int ncolumns;
	dbc_api_volatility volatility;
	int flags;           /* DBC_API_* */
	const char *comment; /* COMMENT ON ...; NULL for none */
} dbc_api_fn;

/* Helpers of the table's entries: a required argument, one with a default
 * (SQL text), the same with rules (DBC_RULE_*), a result column. */
/* clang-format off */
#define DBC_ARG(name_, type_) {.name = name_, .type = type_}
#define DBC_OPT(name_, type_, default_) {.name = name_, .type = type_, .default_sql = default_}
#define DBC_ARG_R(name_, type_, rules_) {.name = name_, .type = type_, .rules = rules_}
#define DBC_OPT_R(name_, type_, default_, rules_)                                                  \
	{.name = name_, .type = type_, .default_sql = default_, .rules = rules_}
#define DBC_COL(name_, type_) {.name = name_, .type = type_}
/* clang-format on */
#define DBC_API_COUNT_(...)                                                                        \
	((int)(sizeof((const dbc_api_column[]){__VA_ARGS__}) / sizeof(dbc_api_column)))
#define DBC_ARGS(...)                                                                              \
	.args = (const dbc_api_column[]){__VA_ARGS__}, .nargs = DBC_API_COUNT_(__VA_ARGS__)
#define DBC_COLUMNS(...)                                                                           \
	.columns = (const dbc_api_column[]){__VA_ARGS__}, .ncolumns = DBC_API_COUNT_(__VA_ARGS__)

#include "api/functions.h"

/* The core entry of a function of form CORE_SCALAR, in its part's core file:
 * args[k] is argument k as dbc_api_args decoded and checked it (DBC_TEXT
 * for text, json, jsonb and timestamptz, DBC_INT for integer and bigint,
 * DBC_BOOL, DBC_FLOAT; DBC_NULL only for an argument whose default is NULL;
 * the default for one left out); *result is a value of the declared result
 * type (DBC_TEXT for jsonb: JSON text), or DBC_NULL (SQL NULL). Strings in
 * args live as long as the call. */
typedef int (*dbc_api_entry)(dbc_ctx *ctx, const dbc_value *args, dbc_value *result);
#define DBC_API_ENTRY_CORE_SCALAR(id) int dbc_call_##id(dbc_ctx *, const dbc_value *, dbc_value *);
/* The core entry of a function of form CORE_TABLE: fills out with the
 * result rows; argc is the declared argument count and args as for
 * CORE_SCALAR. The generic glue of both engines calls it (pg/api/api.c,
 * sqlite/host/tvf.c). */
typedef int (*dbc_api_rows_entry)(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out);
#define DBC_API_ENTRY_CORE_TABLE(id)                                                               \
	int dbc_call_##id(dbc_ctx *, int, const dbc_value *, dbc_rows *);
#define DBC_API_ENTRY_CORE_SQLITE(id) DBC_API_ENTRY_CORE_SCALAR(id)
#define DBC_API_ENTRY_CORE_PG(id)     DBC_API_ENTRY_CORE_SCALAR(id)
#define DBC_API_ENTRY_PG_SCALAR(id)
#define DBC_API_ENTRY_PG_TABLE(id)
#define DBC_API_ENTRY_PG(id)
#define DBC_API_ENTRY_SCALAR(id)
#define DBC_API_ENTRY_TABLE(id)
#define DBC_API_ENTRY_(id, name, form, ...) DBC_API_ENTRY_##form(id)
DBC_API_FUNCTIONS(DBC_API_ENTRY_)
#undef DBC_API_ENTRY_

/* DBC_API_<id>: an entry's index in dbc_api_functions. */
enum {
#define DBC_API_INDEX_(id, engines, ...) DBC_API_##id,
	DBC_API_FUNCTIONS(DBC_API_INDEX_)
#undef DBC_API_INDEX_
	    DBC_API_NFUNCTIONS
};

extern const dbc_api_fn dbc_api_functions[DBC_API_NFUNCTIONS];

/* PostgreSQL's name of a type ("text", "double precision", ...). */
const char *dbc_api_type_name(dbc_api_type type);
/* The name of a part ("core", "schema", ...), as in the SQL marker lines. */
const char *dbc_api_part_name(dbc_api_part part);

/* How many leading arguments have no default: on SQLite the function is
 * registered for every argument count from this to nargs. */
int dbc_api_required_args(const dbc_api_fn *fn);

/* Whether name is a VOLATILE function the table marks read-only (every
 * signature of that name must be). */
bool dbc_api_read_only_volatile(const char *name);

/* Decodes the arguments of a call of a function with generic glue: raw[k]
 * for k with bit k of given set is argument k as the engine passed it
 * (DBC_NULL for SQL NULL; text, integer, real or boolean as the engine has
 * it), the others were left out. Fills out[0..nargs-1] by the rules of dbc_api_entry: the
 * default for one left out (or NULL where DBC_RULE_NULL_IS_DEFAULT), an
 * error naming the argument for a NULL, a value of the wrong type or one
 * that breaks a rule; each error has one text, the same on both engines.
 * Strings are copied into the ctx arena. */
int dbc_api_args(dbc_ctx *ctx, const dbc_api_fn *fn, unsigned given, const dbc_value *raw,
                 dbc_value *out);
/* given for a call passing the first n arguments */
#define DBC_API_FIRST(n) ((1u << (n)) - 1u)

/* What a core entry needs of its engine beyond dbc_host: the hooks of the
 * parts whose work differs by engine. Each glue gives one through
 * dbc_host.api (pg/api/api.c, sqlite/api/api.c). */
struct dbc_retain_hooks;
struct dbc_health_hooks;
struct dbc_backup_hooks;
struct dbc_migrate_hooks;
struct dbc_audit_hooks;
typedef struct dbc_api_hooks {
	const struct dbc_retain_hooks *(*retain)(void);
	const struct dbc_backup_hooks *backup;
	/* fills the health part's hooks for this call */
	void (*health)(dbc_ctx *ctx, struct dbc_health_hooks *eng);
	/* the migrate part's hooks (lock, roles, lint, trace, ...) */
	const struct dbc_migrate_hooks *migrate;
	/* the audit part's hooks, and what must happen before the log is read
	 * (SQLite: the pending entries completed); audit_read NULL: nothing */
	const struct dbc_audit_hooks *audit;
	int (*audit_read)(dbc_ctx *ctx);
} dbc_api_hooks;
/* The calling engine's hooks: ctx->host->api. */
const dbc_api_hooks *dbc_api_engine_of(dbc_ctx *ctx);

/* Why the table is inconsistent (a read-only flag on a function that is not
 * VOLATILE, a required argument after a defaulted one, a virtual table
 * without columns, ...), or NULL when it is not; the generator refuses to
 * build on it and a unit test calls it. */
const char *dbc_api_check(const dbc_api_fn *fn);

#endif
