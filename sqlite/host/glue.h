/*
 * sqlite/host/glue.h — the SQLite glue: the dbc_host over the sqlite3 API, per-call
 * helpers that turn arguments into core calls and core results into SQLite
 * results, and the registration of scalar and table-valued functions.
 */
#ifndef SQLDBC_H
#define SQLDBC_H

#include "api/api.h"
#include "base/dbc.h"
#include "schema/schema.h"

#include <sqlite3ext.h>

/* Set by sqlite3_dbcare_init (entry.c), defined in ext_api.c; every glue
 * file uses the API through it. */
SQLITE_EXTENSION_INIT3

/* Per-connection state (one per sqlite3*, freed when the connection closes). */
typedef struct sqldbc_conn sqldbc_conn;

/* One SQL call: the ctx (arena, error slot) bound to a connection, and the
 * connection's transaction state when the call began, which its end restores
 * (call.c). */
typedef struct sqldbc_call {
	dbc_ctx ctx;
	sqlite3 *db;
	sqldbc_conn *conn;
	int sp_base;         /* dbcare savepoints already open (a call nested in a migration) */
	bool was_autocommit; /* no transaction was open */
	/* A write, prepared before the call's first savepoint, that ends the
	 * transaction when no statement can be prepared any more (host.c). */
	sqlite3_stmt *rescue;
	/* The statements this call prepared once and reuses (stmt_cache.c),
	 * finalized when the call settles; NULL until the first. */
	struct sqldbc_stmt_cache *stmts;
	/* The scalar function's context (sqldbc_begin); NULL in a table-valued
	 * call. */
	sqlite3_context *fn;
	/* the connection's schema was checked against the file's in this call
	 * (schema_probe.c) */
	bool schema_checked;
} sqldbc_call;

/* Binds call to conn and notes its transaction state (every call, scalar or
 * table-valued, starts here). */
void sqldbc_call_open(sqldbc_call *call, sqldbc_conn *conn);
/* Ends the call's hold on the transaction: after a failure, rolls back
 * whatever of dbcare's work is still open, so the connection's transaction is
 * as it was before the call -- or, when SQLite itself rolled the transaction
 * back (an interrupted write does), none is open and the error says so. A
 * call that succeeded while its caller's transaction was lost, or that left
 * one open, becomes a failure: DBC_ERROR with the ctx error set. */
int sqldbc_call_settle(sqldbc_call *call, bool failed);

extern const dbc_host sqldbc_host;
/* module_host.c: the host installed by the entry point (entry.c) when the
 * module is loaded, before any call; what glue code below the host table
 * binds its ctx to. */
void sqldbc_install_host(const dbc_host *host);
const dbc_host *sqldbc_installed_host(void);
/* module_host.c: the registrar of the pure functions (api.c's
 * sqldbc_register_pure), installed by the entry point; the generator's
 * scratch connections register through it. */
typedef int (*sqldbc_pure_registrar)(sqlite3 *db, sqldbc_conn *conn, char **errmsg);
void sqldbc_install_pure_registrar(sqldbc_pure_registrar registrar);
int sqldbc_register_pure_functions(sqlite3 *db, sqldbc_conn *conn, char **errmsg);
/* SQLite's facts for the migration lint (sqlite/migrate/migrate_lint.c). */
struct dbc_lint_hooks;
extern const struct dbc_lint_hooks sqldbc_lint_hooks;
/* The migrate part's hooks: the lint, and migrate.backup_before around
 * apply and rollback (sqlite/migrate/migrate_hooks.c). SQLite's write lock is the
 * migration lock. */
struct dbc_migrate_hooks;
extern const struct dbc_migrate_hooks sqldbc_migrate_hooks;
void sqldbc_migrate_register(dbc_api_hooks *api);
/* migrate_keys.c: foreign keys around a migration run (dbc_keys_hooks). */
struct dbc_keys_hooks;
extern const struct dbc_keys_hooks sqldbc_keys_hooks;
int sqldbc_keys_deleting_children(dbc_ctx *ctx, const char *schema, const char *table,
                                  char **children);
/* migrate_generate.c: the generator's scratch places (dbc_migrate_hooks). */
struct dbc_schema;
int sqldbc_desired_schema(dbc_ctx *ctx, const char *sql, struct dbc_schema *out);
int sqldbc_scratch(dbc_ctx *ctx, int (*fn)(dbc_ctx *sctx, void *arg), void *arg);
int sqldbc_scratch_parts(dbc_ctx *ctx, const dbc_strlist *parts, int nparts,
                         int (*fn)(dbc_ctx *sctx, void *arg, int part), void *arg);
/* desired_guard.c: the desired schema's statements run on db (a scratch
 * connection) when each is a schema statement; the first that is not is an
 * error naming it, and runs not. */
int sqldbc_desired_apply(dbc_ctx *ctx, sqlite3 *db, const char *sql);
/* Hands the audit part's hooks (sqlite/audit/fn_audit.c) to the host's
 * table, with the pending entries completed before the log is read. */
void sqldbc_audit_register(dbc_api_hooks *api);

/* Scalar functions. begin() binds the call to the function's connection. */
void sqldbc_begin(sqldbc_call *call, sqlite3_context *fctx);
/* Reports the ctx error on fctx when rc != DBC_OK ("dbcare: " + message), then
 * frees the arena. Set the result before calling this (text is copied). */
void sqldbc_finish(sqldbc_call *call, sqlite3_context *fctx, int rc);
/* Argument i as text; SQL NULL is an error naming the argument. */
int sqldbc_arg_text(sqldbc_call *call, sqlite3_value **argv, int i, const char *argname,
                    const char **out);
/* Argument i as integer; NULL or non-integer is an error naming the argument. */
int sqldbc_arg_int(sqldbc_call *call, sqlite3_value **argv, int i, const char *argname,
                   int64_t *out);

/* Function flags (docs/security.md): a pure function may run anywhere; every
 * other one only from top-level SQL, never from a view or trigger of a
 * database someone else made. */
#define SQLDBC_PURE        (SQLITE_UTF8 | SQLITE_INNOCUOUS | SQLITE_DETERMINISTIC)
#define SQLDBC_SIDE_EFFECT (SQLITE_UTF8 | SQLITE_DIRECTONLY)
/* Reads a connection's state, changes nothing: callable from triggers. */
#define SQLDBC_INNOCUOUS (SQLITE_UTF8 | SQLITE_INNOCUOUS)

/* The producer of a table-valued function (an eponymous virtual table, always
 * DIRECTONLY): gets the arguments given (argc may be fewer than declared:
 * trailing ones omitted; an explicit NULL arrives as DBC_NULL) and fills rows. */
typedef int (*sqldbc_tvf_fn)(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out);

/* The glue of every SQLite function of the API table (core/api/functions.h):
 * sqldbc_<id>, a scalar function or a virtual table's producer, defined in
 * the part's fn_<part>.c. sqlite/api/api.c registers them from the table. */
#define SQLDBC_GLUE_PG_SCALAR(id) void sqldbc_##id(sqlite3_context *, int, sqlite3_value **);
#define SQLDBC_GLUE_SCALAR(id)    SQLDBC_GLUE_PG_SCALAR(id)
#define SQLDBC_GLUE_PG_TABLE(id)  int sqldbc_##id(dbc_ctx *, int, const dbc_value *, dbc_rows *);
#define SQLDBC_GLUE_TABLE(id)     SQLDBC_GLUE_PG_TABLE(id)
#define SQLDBC_GLUE_PG(id)
#define SQLDBC_GLUE_CORE_SCALAR(id) /* the generic glue of sqlite/api/api.c */
#define SQLDBC_GLUE_CORE_TABLE(id)  /* the producer is the core entry */
#define SQLDBC_GLUE_CORE_SQLITE(id) /* the generic glue of sqlite/api/api.c */
#define SQLDBC_GLUE_CORE_PG(id)
#define SQLDBC_GLUE_DECLARE_(id, name, engines, ...) SQLDBC_GLUE_##engines(id)
DBC_API_FUNCTIONS(SQLDBC_GLUE_DECLARE_)
#undef SQLDBC_GLUE_DECLARE_

/* Registers every SQLite function and virtual table of the API table
 * (sqlite/api/api.c); fails fast naming the one that could not be registered. */
int sqldbc_register_api(sqlite3 *db, sqldbc_conn *conn, char **errmsg);
/* Only the pure scalar functions (dbjson_valid and its kin, the audit
 * triggers' JSON and hash): what a schema's CHECK, index, default or
 * trigger may call, and nothing that reads or writes. The generator's
 * scratch connections get these alone (migrate_generate.c). */
int sqldbc_register_pure(sqlite3 *db, sqldbc_conn *conn, char **errmsg);
/* Registers one table-valued function (tvf.c). */
int sqldbc_register_tvf(sqlite3 *db, sqldbc_conn *conn, const dbc_api_fn *fn, sqldbc_tvf_fn produce,
                        char **errmsg);

/* dbc_host.schema_expr_allowed (check_expr.c): only SQLite's own built-in
 * pure functions, as this connection defines them, may be evaluated. */
int sqldbc_schema_expr_allowed(dbc_ctx *ctx, const char *expr, char **why_not);

/* The SQLite catalog reader (sqlite_schema + pragma table-valued functions). */
int sqldbc_read_schema(dbc_ctx *ctx, dbc_schema *out);

/* sqlite/retain/retain.c: what SQLite does its own way for soft delete and
 * retention (the health check "retention" reads policies through it). */
struct dbc_retain_hooks;
const struct dbc_retain_hooks *sqldbc_retain_hooks(void);
void sqldbc_retain_register(dbc_api_hooks *api);
/* What the core needs to know about SQLite (dialect.c). */
extern const dbc_dialect sqldbc_dialect;
/* sqlite/api/host.c: the host's table of the parts' hooks (dbc_host.api),
 * which the entry point hands each part to fill (sqldbc_<part>_register). */
dbc_api_hooks *sqldbc_hooks_to_fill(void);

/* The connection a call runs on (for per-connection state). */
sqldbc_conn *sqldbc_call_conn(dbc_ctx *ctx);
/* migrate_step.c: the marks of dbmigrate_script steps running outside a
 * transaction (dbc_migrate_hooks.step_mark, step_unmark, step_live). */
int sqldbc_step_mark(dbc_ctx *ctx, int64_t id);
void sqldbc_step_unmark(dbc_ctx *ctx, int64_t id);
int sqldbc_step_live(dbc_ctx *ctx, int64_t id, bool *live);

/* sqlite/audit/audit_pending.c: the TEMP trigger by which a connection with dbcare
 * completes the audit entries it writes (nothing where the file has no
 * log), and completing every pending entry (in a savepoint of its own). */
/* SQLITE_BUSY when the schema could not be read for the lock of another
 * connection (after the connection's busy timeout, or 2 s without one). */
int sqldbc_audit_hook(sqlite3 *db);
int sqldbc_audit_complete(dbc_ctx *ctx);
/* sqlite/audit/fn_audit.c: makes every audited table's triggers again, as
 * dbaudit_refresh does (the bookkeeping upgrade to version 6). */
int sqldbc_audit_remake_triggers(dbc_ctx *ctx);

/* The rest of the host other parts use: a connection's state, the
 * optional routines, growth in SQLite's allocator. This header is the
 * host's one public header; the three below are included through it
 * (each includes this one first, so either order works). */
#include "conn.h"
#include "optional_api.h"
#include "sqlite_grow.h"

#endif
