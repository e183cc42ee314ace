/*
 * pg/host/glue.h — PostgreSQL glue shared by every pg/<part>/fn_*.c wrapper: the dbc_host
 * over SPI, and the call helpers that turn one SQL call into a core call and
 * the core's status back into a result or an ereport(ERROR).
 *
 * A wrapper is a few lines (its declaration and PG_FUNCTION_INFO_V1 come from
 * the API table):
 *
 *     Datum dbcare_get(PG_FUNCTION_ARGS)
 *     {
 *         pgdbc_call call;
 *         char *value = NULL;
 *         pgdbc_begin(&call, fcinfo);
 *         const char *key = pgdbc_arg_text(&call, 0, "key");
 *         int rc = dbc_setting_get(&call.ctx, key, &value);
 *         return pgdbc_return_text(&call, rc, value);
 *
 * (Keep the core call in its own statement: C leaves the order of argument
 * evaluation open, so pgdbc_return_text(&call, core(&value), value) may pass
 * value before the core has set it.)
 *     }
 *
 * Every pgdbc_return_* finishes the call: on rc != DBC_OK it raises the ctx
 * error (pgdbc_finish), otherwise it copies the result into the caller's
 * memory context, disconnects SPI and frees the call's memory.
 */
#ifndef PGDBC_H
#define PGDBC_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/resowner.h"

#include "api/api.h"
#include "base/dbc.h"
#include "schema/schema.h"

/* The C function of every PostgreSQL entry of the API table
 * (core/api/functions.h): Datum <id>(PG_FUNCTION_ARGS), defined in the
 * part's pg/<part>/fn_<part>.c (for forms CORE_SCALAR and CORE_TABLE, the generic one of
 * pg/api/api.c); pg/api/api.c gives each its PG_FUNCTION_INFO_V1. */
#define PGDBC_DECLARE_PG(id)          extern PGDLLEXPORT Datum id(PG_FUNCTION_ARGS);
#define PGDBC_DECLARE_PG_SCALAR(id)   PGDBC_DECLARE_PG(id)
#define PGDBC_DECLARE_PG_TABLE(id)    PGDBC_DECLARE_PG(id)
#define PGDBC_DECLARE_CORE_SCALAR(id) PGDBC_DECLARE_PG(id)
#define PGDBC_DECLARE_CORE_TABLE(id)  PGDBC_DECLARE_PG(id)
#define PGDBC_DECLARE_SCALAR(id)
#define PGDBC_DECLARE_CORE_SQLITE(id)
#define PGDBC_DECLARE_CORE_PG(id) PGDBC_DECLARE_PG(id)
#define PGDBC_DECLARE_TABLE(id)
#define PGDBC_DECLARE_(id, name, engines, ...) PGDBC_DECLARE_##engines(id)
DBC_API_FUNCTIONS(PGDBC_DECLARE_)
#undef PGDBC_DECLARE_

/* One open internal subtransaction of the core (host->savepoint). */
typedef struct pgdbc_subxact {
	int level;               /* the id handed to the core */
	SubTransactionId id;     /* PostgreSQL's: it must be the current one when ended */
	MemoryContext saved_cxt; /* restored on release/rollback, like PL/pgSQL */
	ResourceOwner saved_owner;
} pgdbc_subxact;

/* State of one SQL call. Lives on the wrapper's stack. */
typedef struct pgdbc_call {
	FunctionCallInfo fcinfo;
	MemoryContext caller_cxt; /* where results must be allocated */
	MemoryContext call_cxt;   /* the arena and everything temporary; deleted at finish */
	MemoryContext prev_arena; /* arena context of an enclosing dbcare call (nesting) */
	bool spi_connected;
	/* Begun by pgdbc_begin_lean: a JSON validator, which queries nothing
	 * but dbcare's schema registry; its queries run as the owner of the
	 * dbcare schema (pg/host/host_query.c), so a table owner's CHECK naming a
	 * registered schema reads it without rights on dbcare's tables. */
	bool lean;
	dbc_ctx ctx; /* the core's context; host_data points back here */

	/* Subtransactions the core opened and has not released or rolled back,
	 * innermost last. Invariant: no ERROR leaves a host callback or a glue
	 * function while one of them is open; whatever lets an error go on rolls
	 * them all back first (pg/host/guard.c and pg/host/call_errors.c). */
	pgdbc_subxact *subxacts;
	int nsubxacts;
	int capsubxacts;
	int next_level;
	/* Subtransactions already open when the innermost running guarded body
	 * started: a body nested in another (a row callback that queries) may
	 * not roll back one of those, the outer body still uses it. */
	int guard_floor;

	/* The open constraint-check scope (pg/check/check_scope.c), or NULL. */
	struct pgdbc_check_scope *check_scope;
} pgdbc_call;

/* Constraint checks as the checked table's owner, in a security-restricted
 * operation inside a subtransaction (pg/check/check_scope.c): dbc_host's
 * check_enter, check_lock and check_leave. */
/* The caller's search_path as schema names (pg/host/name_path.c). */
char **pgdbc_name_path(dbc_ctx *ctx);
int pgdbc_check_enter(dbc_ctx *ctx, const char *schema, const char *table, bool deletes,
                      char **skip);
int pgdbc_check_lock(dbc_ctx *ctx, const char *schema, const char *table, char **skip);
void pgdbc_check_leave(dbc_ctx *ctx, bool keep);
/* The table of the check scope open in this transaction (not unwound), or
 * InvalidOid outside one. */
Oid pgdbc_check_scope_relid(void);
/* The NOT VALID domain CHECKs over table columns (pg/check/check_domain.c):
 * dbc_host's domain_checks. */
int pgdbc_domain_checks(dbc_ctx *ctx, dbc_domain_checks *out);
int pgdbc_domain_constraints(dbc_ctx *ctx, dbc_row_fn fn, void *arg);
/* A foreign key's comparison written with its own operators (pg/check/check_keys.c):
 * dbc_host's key_match. */
int pgdbc_key_match(dbc_ctx *ctx, const char *schema, const char *table, const char *name,
                    bool declared, const char *parent_schema, const char *parent_table,
                    const char *const *columns, const char *const *ref_columns, int ncolumns,
                    char **match, char **skip);

/* The host implementation (pg/api/host.c); installed by _PG_init (pg/api/module.c). */
extern const dbc_host pgdbc_host;
/* pg/host/module_host.c: the host installed once by _PG_init, before any call;
 * what glue code below the host table makes a ctx over. */
void pgdbc_install_host(const dbc_host *host);

/* What the host table (pg/api/host.c) takes of the layers under the call
 * helpers (pg/host/call_private.h): the host's exec, a migration script
 * statement by statement (guard.c); its query and query_latest
 * (host_query.c); the end of a call's subtransactions until n are left
 * open, innermost first (call_errors.c). */
int pgdbc_host_exec(dbc_ctx *ctx, const char *sql);
int pgdbc_host_query(dbc_ctx *ctx, const char *sql, int nparam, const dbc_value *params,
                     dbc_row_fn fn, void *arg);
int pgdbc_host_query_latest(dbc_ctx *ctx, const char *sql, int nparam, const dbc_value *params,
                            dbc_row_fn fn, void *arg);
void pgdbc_end_subxacts(pgdbc_call *call, int n, bool commit);
/* pg/api/host.c: defines dbcare.progress (from _PG_init). */
void pgdbc_define_progress_setting(void);
const dbc_host *pgdbc_installed_host(void);
/* pg/api/host.c: the host's table of the parts' hooks, which _PG_init hands
 * each part to fill (pgdbc_<part>_register) before installing the host. */
dbc_api_hooks *pgdbc_hooks_to_fill(void);
/* PostgreSQL's facts for the migration lint (pg/migrate/migrate_lint.c). */
struct dbc_lint_hooks;
extern const struct dbc_lint_hooks pgdbc_lint_hooks;
/* What PostgreSQL shows of a statement dbmigrate_trace ran (pg/migrate/migrate_trace.c). */
struct dbc_trace_hooks;
extern const struct dbc_trace_hooks pgdbc_trace_hooks;
/* This server's WAL position for read-your-migration (pg/migrate/migrate_replica.c). */
struct dbc_replica_hooks;
extern const struct dbc_replica_hooks pgdbc_replica_hooks;
/* The migrate part's hooks: the migration lock, roles, lint, trace
 * (pg/migrate/migrate_hooks.c), and the advisory lock key of the migration lock
 * ("dbcare" + 1 in ASCII), also taken at session level by dbmigrate_run. */
struct dbc_migrate_hooks;
extern const struct dbc_migrate_hooks pgdbc_migrate_hooks;
void pgdbc_migrate_register(dbc_api_hooks *api);
/* migrate_generate.c: the generator's scratch places (dbc_migrate_hooks). */
int pgdbc_desired_schema(dbc_ctx *ctx, const char *sql, struct dbc_schema *out);
/* dbc_migrate_hooks.row_security: the policies and rules that
 * differ between the live schema and the desired one, as steps, inside
 * the generator's place. */
struct dbc_gen_row_security;
int pgdbc_generate_row_security(dbc_ctx *ctx, struct dbc_gen_row_security *out);
/* dbc_migrate_hooks.comments (migrate_generate.c): COMMENT ON statements
 * the desired schema adds or changes, with their reverses. */
int pgdbc_generate_comments(dbc_ctx *ctx, dbc_strlist *up, dbc_strlist *down, dbc_strlist *gone);
/* dbc_migrate_hooks.extensions (migrate_generate.c): the extensions the
 * plan makes first and drops last (generate_extensions.c). */
int pgdbc_generate_extensions(dbc_ctx *ctx, dbc_strlist *first_up, dbc_strlist *first_down,
                              dbc_strlist *up, dbc_strlist *down);
/* dbc_migrate_hooks.index_round_trip (migrate_generate.c) and
 * .index_spellings (index_spellings.c): an index text made on the desired
 * table and read back; other texts PostgreSQL may read back as one. */
int pgdbc_generate_index_round_trip(dbc_ctx *ctx, const char *schema, const char *name,
                                    const char *definition, char **out);
int pgdbc_index_spellings(dbc_ctx *ctx, const char *definition, dbc_strlist *out);
struct dbc_gen_rights;
/* dbc_migrate_hooks.rights: the rights of the live and of the desired
 * objects, read inside the scratch place (migrate_generate.c). */
int pgdbc_generate_rights(dbc_ctx *ctx, struct dbc_gen_rights *live, struct dbc_gen_rights *want);
int pgdbc_scratch_desired(dbc_ctx *ctx, const char *sql, int (*fn)(dbc_ctx *sctx, void *arg),
                          void *arg);
/* generate_deadline.c: dbcare.generate_timeout over the scratch place:
 * started before the desired schema applies, stopped when the place
 * closes or the call ends (pgdbc_escape); the line of the desired
 * statement running (0: the proof); an error the deadline caused (a
 * cancel) rewritten to name it, true then. */
void pgdbc_define_generate_timeout_setting(void);
void pgdbc_deadline_start(void);
void pgdbc_deadline_stop(void);
void pgdbc_deadline_line(int line);
bool pgdbc_deadline_rewrite(ErrorData *ed);
/* desired_statements.c: sql's statements checked by the server's parser;
 * *runnable is sql with the statements the scratch place leaves out
 * blanked (owners, pg_dump's preamble), *starts the offsets of the
 * statements that run (*nstarts of them, in order); a statement that is
 * no schema's is an error naming it. */
typedef struct pgdbc_desired_ext {
	/* the extensions the file makes that this database has not, each
	 * with the schema and version it names ("" for none) */
	dbc_strlist make, make_schema, make_version;
	/* a whole database's dump: the extensions this database has and the
	 * file does not make (the plan drops them) */
	dbc_strlist drop;
} pgdbc_desired_ext;
int pgdbc_desired_statements(dbc_ctx *ctx, const char *sql, char **runnable, int **starts,
                             int *nstarts, pgdbc_desired_ext *ext);
/* generate_extensions.c: the extensions of the generator's place. The
 * ones the desired file makes are made there as the caller (as dbcare
 * migrate will make them, by PostgreSQL's rule: a superuser, or a trusted
 * extension and CREATE on the database), before any of the file runs,
 * each in a scratch schema of their own for the user schema they go to
 * (made by the caller, empty, USAGE only for others: nothing of the
 * file's is there for the extension's script to call). The plan's own
 * CREATE and DROP EXTENSION are run there the same way; a live one the
 * plan drops is only counted as gone (absent), never dropped. */
typedef struct pgdbc_place_ext {
	pgdbc_desired_ext want;
	dbc_strlist xuser, xscratch;                 /* user schema, its extensions' scratch schema */
	dbc_strlist member_user, member_name;        /* the made extensions' members */
	dbc_strlist name, make, drop, real_make;     /* made: the plan's CREATE, DROP; the place's */
	dbc_strlist gone_drop, gone_make, gone_name; /* live ones the plan drops */
	dbc_strlist absent;                          /* live ones the place counts as dropped */
} pgdbc_place_ext;
int pgdbc_ext_open(dbc_ctx *ctx, pgdbc_place_ext *x, const dbc_strlist *user,
                   const char *path_first);
const char *pgdbc_ext_schema_of(const pgdbc_place_ext *x, const char *user, const char *member);
const char *pgdbc_ext_user_of(const pgdbc_place_ext *x, const char *scratch, size_t len);
int pgdbc_ext_exec(dbc_ctx *ctx, pgdbc_place_ext *x, const dbc_host *real, const char *sql,
                   bool *done);
bool pgdbc_ext_absent(const pgdbc_place_ext *x, const char *name);
/* An error naming an object the file makes in a user schema where an
 * extension it makes has one of that name (and arguments): each lives in
 * a schema of its own in the place, and would clash when applied. */
int pgdbc_ext_clash(dbc_ctx *ctx, const pgdbc_place_ext *x, const dbc_strlist *user,
                    const dbc_strlist *scratch);
/* generate_runner.c: the role the desired schema and the proof run as
 * (a one-time role inside the scratch place's subtransaction, whoever the
 * caller is), always in a security-restricted operation. owned: the
 * scratch schemas made so far, which the one-time role gets. */
typedef struct pgdbc_runner {
	Oid role;
} pgdbc_runner;
int pgdbc_runner_open(dbc_ctx *ctx, const dbc_strlist *owned, pgdbc_runner *out);
int pgdbc_runner_exec(dbc_ctx *ctx, const pgdbc_runner *r, const dbc_host *host, const char *sql);
/* The advisory locks this backend holds (note), and those taken since
 * released (release_new), so none the scratch place took outlives it. */
typedef struct pgdbc_advisory {
	struct LockInstanceData *held;
	int n;
} pgdbc_advisory;
int pgdbc_advisory_note(dbc_ctx *ctx, pgdbc_advisory *out);
void pgdbc_advisory_release_new(const pgdbc_advisory *before);
/* generate_commit.c: the enum labels this transaction added that
 * PostgreSQL keeps unusable until it commits (note, as the scratch place
 * opens); commit: the labels added since (the proof's, all in the place's
 * subtransaction) usable from here on, as a commit of dbcare migrate
 * between two migrations makes them, the noted ones still unusable; also
 * called once the place is rolled back, to forget the place's. */
typedef struct pgdbc_enums {
	void *uncommitted; /* PostgreSQL's serialised list, as noted */
} pgdbc_enums;
int pgdbc_enums_note(dbc_ctx *ctx, pgdbc_enums *out);
void pgdbc_enums_commit(const pgdbc_enums *noted);
/* Hands the audit part's hooks (pg/audit/fn_audit.c) to the host's table. */
void pgdbc_audit_register(dbc_api_hooks *api);

/* Hands the backups' hooks on PostgreSQL (pg/backup/backup.c: the restore
 * point, the content read) to the host's table. */
void pgdbc_backup_register(dbc_api_hooks *api);
#define PGDBC_MIGRATION_LOCK_KEY INT64CONST(0x6462636172650001)

/* The stored migration status summary (pg/migrate/migrate_summary.c): whether this
 * call may read or store it, and the generation a derivation describes. */
dbc_cache_access pgdbc_status_cache(dbc_ctx *ctx);
int pgdbc_status_stamp(dbc_ctx *ctx, int64_t *stamp);

/* pg/host/readonly.c: raises 25006 ("dbcare: ... cannot run during recovery" on a
 * hot standby, "... in a read-only transaction" otherwise) when the function
 * called can change something and nothing may be changed now. Which
 * functions change something is read from the catalog: every VOLATILE
 * function of the extension except those the API table marks
 * DBC_API_READ_ONLY, so a new function is refused until it is reviewed and
 * marked. pgdbc_begin calls it first. */
void pgdbc_refuse_changes_when_read_only(FunctionCallInfo fcinfo);

/* pg/host/readonly.c: the hint of a privilege error on dbcare's own objects
 * (42501 "permission denied for schema dbcare" ...): the GRANT that is
 * missing; NULL for every other error. */
char *pgdbc_grant_hint(const char *sqlstate, const char *message);

/* pg/host/objects_version.c: raises 55000 "dbcare: the dbcare objects in this
 * database are version X, the library is Y" (hint: ALTER EXTENSION dbcare
 * UPDATE;) when pg_extension says another version than DBC_VERSION, except
 * while a script of CREATE / ALTER EXTENSION dbcare runs. One catalog lookup
 * per statement. pgdbc_begin calls it; what it leaves unchecked, and why,
 * is said there. */
void pgdbc_require_current_objects(void);

/* Starts a call: pgdbc_refuse_changes_when_read_only,
 * pgdbc_require_current_objects, own memory context, SPI_connect,
 * dbc_ctx_init with pgdbc_host. */
void pgdbc_begin(pgdbc_call *call, FunctionCallInfo fcinfo);
/* Starts a call of a function that runs no SQL and changes nothing (the
 * IMMUTABLE dbjson_* validators, called once a row by a CHECK): the same
 * memory, ctx and error handling as pgdbc_begin, without SPI_connect and
 * without the read-only check. The core must not use the host's SQL
 * callbacks in such a call (no SPI connection to run them on); it may poll
 * host->interrupted. Ended by the same pgdbc_return_* / pgdbc_finish. */
void pgdbc_begin_lean(pgdbc_call *call, FunctionCallInfo fcinfo);
/* A jsonb argument as the validator's document tree, without the text in
 * between (pg/json/json_doc.c); *out NULL when the database encoding is not
 * UTF-8 (the caller then reads the text). rc as the core's. */
struct js_val;
int pgdbc_jsonb_doc(dbc_ctx *ctx, FunctionCallInfo fcinfo, int n, const struct js_val **out);

/* Ends a call. rc != DBC_OK raises the ctx error as ereport(ERROR): SQLSTATE from
 * the ctx (XX000 when unset), message prefixed "dbcare: ", detail, hint and
 * context when set. Otherwise SPI_finish and frees the call's memory. Any
 * subtransaction the core left open is released (rolled back on error). */
void pgdbc_finish(pgdbc_call *call, int rc);

/* Raises a 22023 "dbcare: argument \"<name>\" must not be NULL" when argument
 * n is NULL; otherwise returns it as a C string in the call's memory. */
const char *pgdbc_arg_text(pgdbc_call *call, int n, const char *name);
/* The same, but a NULL argument (or one the caller did not pass) gives NULL. */
const char *pgdbc_arg_text_opt(pgdbc_call *call, int n);
/* A jsonb (or json/text) argument as JSON text; NULL raises 22023 naming it. */
const char *pgdbc_arg_json(pgdbc_call *call, int n, const char *name);
/* A boolean argument; NULL raises 22023 naming the argument. (Other
 * argument types are decoded from the API table: pg/api/api.c.) */
bool pgdbc_arg_bool(pgdbc_call *call, int n, const char *name);
/* True when argument n was passed and is not NULL (optional arguments). */
bool pgdbc_arg_given(pgdbc_call *call, int n);

/* Result helpers: finish the call (raising the error when rc != DBC_OK) and
 * return the value as the function's result, allocated in the caller's memory.
 * A NULL string returns SQL NULL. */
Datum pgdbc_return_text(pgdbc_call *call, int rc, const char *s);
Datum pgdbc_return_jsonb(pgdbc_call *call, int rc, const char *json);
Datum pgdbc_return_int64(pgdbc_call *call, int rc, int64 v);
Datum pgdbc_return_int32(pgdbc_call *call, int rc, int32 v);
Datum pgdbc_return_bool(pgdbc_call *call, int rc, bool v);
Datum pgdbc_return_float8(pgdbc_call *call, int rc, double v);
Datum pgdbc_return_null(pgdbc_call *call, int rc);

/* Column attno (1-based, a user column) of a tuple read from a catalog or
 * SPI: heap_getattr() without its inline code, so that dbcare.so loads on
 * every PostgreSQL 15 minor (pg/host/tuple_attr.c). Use it instead of heap_getattr. */
struct HeapTupleData;
struct TupleDescData;
Datum pgdbc_tuple_attr(struct HeapTupleData *tup, int attno, struct TupleDescData *desc,
                       bool *isnull);

/* Materialises rows into the set-returning function's result (a tuplestore)
 * and finishes the call. Cells are converted to the declared result column types:
 * text through the column type's input function, DBC_INT/DBC_FLOAT/DBC_BOOL
 * directly when the column is int2/int4/int8/float4/float8/bool (else through
 * their text form). rows may be NULL when rc != DBC_OK. */
Datum pgdbc_return_rows(pgdbc_call *call, int rc, const dbc_rows *rows);

/* Raises a dbcare error right away (for glue-level argument checks):
 * ereport(ERROR) with sqlstate ("22023" ...) and "dbcare: " + message. */
void pgdbc_error(const char *sqlstate, const char *fmt, ...) pg_attribute_printf(2, 3)
    pg_attribute_noreturn();

/* Memory of the innermost running call (MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM:
 * NULL on exhaustion); the host's alloc/free and jansson's allocator. */
void *pgdbc_alloc(size_t size);
void pgdbc_free(void *ptr);
/* items (n of size bytes each, *cap allocated) with room for one more: a
 * new array in home, or the old one grown (doubling). The glue's one growth
 * helper for memory of its own contexts (pg/host/memory.c), as dbc_grow is the
 * call arena's. */
void *pgdbc_room(MemoryContext home, void *items, int n, int *cap, size_t size);

/* The module's start (pg/api/module.c): the settings, jansson's allocator. Not
 * declared by fmgr.h in PostgreSQL 15. */
void _PG_init(void);

/* Installs jansson's allocator (pgdbc_alloc) — called from _PG_init.
 * (pg/host/jansson_shim.c: jansson.h and PostgreSQL's fmgrprotos.h both declare
 * json_object, so no file includes both; pg/host/jansson_shim.c takes jsonb's and
 * numeric's headers, which do not.) */
void pgdbc_init_json_alloc(void);

/* Runs fn(arg) as the host runs a query: an ERROR inside it becomes the ctx
 * error while the core has a savepoint open, and propagates otherwise (after
 * the call's subtransactions are rolled back). A cancel (57014) always
 * propagates: it ends the call. Glue code that runs PostgreSQL functions
 * directly (catalog scans, relation opens) while the core may hold a
 * savepoint must run through this. */
int pgdbc_guarded(dbc_ctx *ctx, void (*fn)(void *), void *arg);

/* Runs the core's part of a call, body(ctx, arg). Should an ERROR leave it
 * uncaught, every subtransaction the core has open is rolled back first and
 * the original error goes on unchanged: the caller's transaction is then
 * exactly as PostgreSQL leaves it after any failed statement. */
int pgdbc_run(pgdbc_call *call, int (*body)(dbc_ctx *ctx, void *arg), void *arg);

/* pg/catalog/catalog.c: fills the core's schema model from pg_catalog, every time. */
int pgdbc_read_catalog(dbc_ctx *ctx, dbc_schema *out);
/* While schemas is set (NULL: never), pgdbc_read_catalog leaves their
 * objects out; whoever sets it sets it back, on an error too. */
void pgdbc_catalog_skip_schemas(const dbc_strlist *schemas);
/* pg/catalog/schema_cache.c: the dbc_schema_reader every caller uses: the model kept
 * by this backend while the catalog has not changed, else pgdbc_read_catalog
 * (always, with dbcare.schema_cache off or where the cache is not built).
 * The model handed out may belong to the cache: callers only read it. */
int pgdbc_read_schema(dbc_ctx *ctx, dbc_schema *out);
/* Makes the reads of call (ctx->host_data; NULL: none) bypass the cache;
 * returns the call that did before, to be set back. */
const void *pgdbc_schema_cache_bypass(dbc_ctx *ctx, const void *call);

/* pg/host/health_readable.c: whether the caller may read dbcare's `table` (schema USAGE
 * and SELECT), which a health check needs; if not, the check is skipped,
 * naming `what` (the backup catalog, ...), with the grant that gives it:
 * pg_monitor reads every table a health check reads. */
struct dbc_health_fact;
int pgdbc_health_readable(dbc_ctx *ctx, struct dbc_health_fact *fact, const char *table,
                          const char *what, bool *readable);

/* pg/retain/fn_retain.c: what PostgreSQL does its own way for soft delete and
 * retention (the health check "retention" reads policies through it). */
struct dbc_retain_hooks;
const struct dbc_retain_hooks *pgdbc_retain_hooks(void);
void pgdbc_retain_register(dbc_api_hooks *api);
/* pg/host/dialect.c: what the core needs to know about PostgreSQL. */
extern const dbc_dialect pgdbc_dialect;
/* Defines the setting dbcare.schema_cache (from _PG_init). */
void pgdbc_define_schema_cache_setting(void);
/* The rows of sql, a query of the catalogs alone, for a caller holding a
 * model from pgdbc_read_schema in this call: the rows it gave under the
 * catalog state the model was read at, kept with the model, or run now and
 * kept. The query may read only rows of the cache key's catalogs, none of
 * pg_class's columns that VACUUM and ANALYZE overwrite in place (relpages,
 * reltuples, ...), no statistics and nothing else that changes without
 * DDL; its text must be a constant (it names the rows kept). */
int pgdbc_catalog_query(dbc_ctx *ctx, const dbc_schema *model, const char *sql, dbc_row_fn fn,
                        void *arg);

/* pg/health/dbsize.c: pg_database_size(current_database()) into *(int64 *)arg, for
 * pgdbc_guarded. */
void pgdbc_database_size(void *arg);

/* Runs body with every query of ctx reading under one snapshot, taken now
 * (pg/host/host_query.c): for readings that must agree, such as a chain and its heads.
 * The queries under it must only read. */
int pgdbc_read_as_of(dbc_ctx *ctx, int (*body)(dbc_ctx *, void *), void *arg);

/* audit_count.c: the committed audit entries (the host's
 * audit_entries_written). */
int pgdbc_audit_entries_written(dbc_ctx *ctx, int64_t *written);
int pgdbc_audit_wal_lag(dbc_ctx *ctx, bool *active, double *lag_seconds, int64_t *retained);

/* The JSON Schema registry's generation as this backend sees it
 * (pg/json/json_registry.c): the cache's dbc_js_generation_fn. */
int pgdbc_json_registry_generation(dbc_ctx *ctx, int64_t *gen);

/* The search_path of dbcare's functions set for C code that runs SQL
 * outside them (pinned_path.c): pin pushes a GUC level (more settings may
 * be saved in it) and sets the path unless it is in force already; pass
 * the level to unpin on success. pinned: whether it is in force. */
bool pgdbc_search_path_pinned(void);
int pgdbc_pin_search_path(void);
void pgdbc_unpin_search_path(int nest);

#endif
