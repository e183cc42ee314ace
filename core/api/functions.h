/*
 * api/functions.h — every SQL function of dbcare, declared once (the shape is
 * core/api/api.h). Included by api.h only.
 *
 * An entry: X(id, name, form, fields...)
 *   id       unique C name: the PostgreSQL C symbol (Datum id(PG_FUNCTION_ARGS),
 *            pg/<part>/fn_<part>.c) and sqldbc_<id>, the SQLite glue
 *            (sqlite/<part>/fn_<part>.c: a scalar sqlite3 function, or for a
 *            virtual table a producer
 *            int sqldbc_<id>(dbc_ctx *, int argc, const dbc_value *args, dbc_rows *))
 *   name     the SQL name (two signatures of one name have two ids)
 *   form     CORE_SCALAR  a scalar function on both engines whose glue is
 *                       generic: the core decodes and checks the arguments
 *                       by the table (dbc_api_args: types, defaults, NULLs,
 *                       rules) and calls the core entry dbc_call_<id>
 *                       (core/api/api.h, dbc_api_entry) in the part's core
 *                       file; no glue of its own on either engine
 *            CORE_TABLE   the same for a table function (on SQLite its
 *                       arguments are the virtual table's HIDDEN columns):
 *                       its core entry int dbc_call_<id>(dbc_ctx *, int argc,
 *                       const dbc_value *args, dbc_rows *out) fills the rows
 *            PG_SCALAR  PostgreSQL, and a scalar function on SQLite
 *            PG_TABLE   PostgreSQL, and an eponymous virtual table on SQLite
 *                       (its arguments are HIDDEN columns, all optional)
 *            PG         PostgreSQL only;  SCALAR / TABLE  SQLite only
 *            CORE_SQLITE  a SQLite-only scalar function with the generic glue
 *            CORE_PG    a PostgreSQL-only function with the generic glue
 *            (each with its own glue: Datum id() and sqldbc_<id>)
 *   fields   designated initialisers of dbc_api_fn: .part,
 *            DBC_ARGS(DBC_ARG(name, type), DBC_OPT(name, type, default SQL)...)
 *            (DBC_ARG_R / DBC_OPT_R add rules, DBC_RULE_*: positive, not
 *            negative, NULL read as the default or passed as NULL; one error
 *            text each),
 *            .returns or DBC_COLUMNS(DBC_COL(name, type)...), .volatility
 *            (VOLATILE when left out), .flags (DBC_API_*), .comment
 *
 * On SQLite an argument with a default may be left out: a function is
 * registered once per argument count from the required ones to all. On
 * PostgreSQL every function pins search_path = pg_catalog, pg_temp unless
 * DBC_API_CALLER_PATH. A NULL argument of a non-STRICT function is an error
 * naming it, unless its default is NULL (or DBC_RULE_NULL_IS_DEFAULT or
 * DBC_RULE_NULL_OK, or a function's own glue reads NULL as the default).
 */
#ifndef DBC_API_FUNCTIONS_H
#define DBC_API_FUNCTIONS_H

/* The json part's shared shapes: a document and a schema of one type, the
 * optional format_assertion; IMMUTABLE, STRICT, PARALLEL SAFE (and pure on
 * SQLite where the function exists there); dbjson_errors' columns. */
#define DBC_JSON_ARGS(type_)                                                                       \
	DBC_ARGS(DBC_ARG("document", type_), DBC_ARG("schema", type_),                                 \
	         DBC_OPT("format_assertion", DBC_T_BOOL, "false"))
#define DBC_JSON_NAMED_ARGS(type_)                                                                 \
	DBC_ARGS(DBC_ARG("document", type_), DBC_ARG("schema", DBC_T_TEXT),                            \
	         DBC_OPT("format_assertion", DBC_T_BOOL, "false"))
#define DBC_JSON_PURE                                                                              \
	.volatility = DBC_IMMUTABLE, .flags = DBC_API_STRICT | DBC_API_PARALLEL_SAFE | DBC_API_HOST_PATH
#define DBC_JSON_PURE_SQLITE                                                                       \
	.volatility = DBC_IMMUTABLE,                                                                   \
	.flags = DBC_API_STRICT | DBC_API_PARALLEL_SAFE | DBC_API_PURE | DBC_API_HOST_PATH
#define DBC_JSON_ERROR_COLUMNS                                                                     \
	DBC_COLUMNS(DBC_COL("instance_path", DBC_T_TEXT), DBC_COL("schema_path", DBC_T_TEXT),          \
	            DBC_COL("keyword", DBC_T_TEXT), DBC_COL("message", DBC_T_TEXT))

/* The health report's mode (quick, standard or full): left out or NULL,
 * standard. */
#define DBC_MODE_ARG DBC_OPT_R("mode", DBC_T_TEXT, "'standard'", DBC_RULE_NULL_IS_DEFAULT)
/* What the report judges ('connection' or 'database': health.h,
 * dbc_health_scope) and the label the caller gives the database (NULL:
 * health.database_label, else the database's own name). */
#define DBC_SCOPE_ARGS                                                                             \
	DBC_OPT_R("scope", DBC_T_TEXT, "'connection'", DBC_RULE_NULL_IS_DEFAULT),                      \
	    DBC_OPT("label", DBC_T_TEXT, "NULL")

#define DBC_API_FUNCTIONS(X)                                                                       \
	/* ---- core: the version and the settings store (core/settings) */                            \
	X(dbcare_version, dbcare_version, PG_SCALAR, .part = DBC_PART_CORE, .returns = DBC_T_TEXT,     \
	  .volatility = DBC_IMMUTABLE, .flags = DBC_API_PARALLEL_SAFE | DBC_API_PURE,                  \
	  .comment = "the dbcare extension version")                                                   \
	X(dbcare_get, dbcare_get, CORE_SCALAR, .part = DBC_PART_CORE,                                  \
	  DBC_ARGS(DBC_ARG("key", DBC_T_TEXT)), .returns = DBC_T_TEXT, .volatility = DBC_STABLE,       \
	  .comment = "the effective value of a dbcare setting")                                        \
	X(dbcare_set, dbcare_set, CORE_SCALAR, .part = DBC_PART_CORE,                                  \
	  DBC_ARGS(DBC_ARG("key", DBC_T_TEXT), DBC_ARG("value", DBC_T_TEXT)), .returns = DBC_T_TEXT,   \
	  .flags = DBC_API_PRIVATE,                                                                    \
	  .comment = "changes a dbcare setting and returns its previous value")                        \
	X(dbcare_settings, dbcare_settings, CORE_TABLE, .part = DBC_PART_CORE,                         \
	  DBC_COLUMNS(DBC_COL("key", DBC_T_TEXT), DBC_COL("value", DBC_T_TEXT),                        \
	              DBC_COL("default_value", DBC_T_TEXT), DBC_COL("description", DBC_T_TEXT),        \
	              DBC_COL("problem", DBC_T_TEXT)),                                                 \
	  .volatility = DBC_STABLE,                                                                    \
	  .comment = "every dbcare setting with its value, default and description; problem says "     \
	             "why a stored value is not used")                                                 \
                                                                                                   \
	/* ---- schema: snapshot, fingerprint, diff (core/schema) */                                   \
	X(dbschema_snapshot, dbschema_snapshot, CORE_SCALAR, .part = DBC_PART_SCHEMA,                  \
	  .returns = DBC_T_JSONB, .volatility = DBC_STABLE,                                            \
	  .comment = "canonical description of the user schema (dbcare's own objects left out)")       \
	X(dbschema_fingerprint, dbschema_fingerprint, CORE_SCALAR, .part = DBC_PART_SCHEMA,            \
	  .returns = DBC_T_TEXT, .volatility = DBC_STABLE,                                             \
	  .comment = "SHA-256 (hex) of the canonical schema snapshot")                                 \
	X(dbschema_diff, dbschema_diff, CORE_TABLE, .part = DBC_PART_SCHEMA,                           \
	  DBC_ARGS(DBC_ARG("from", DBC_T_JSONB), DBC_ARG("to", DBC_T_JSONB)),                          \
	  DBC_COLUMNS(DBC_COL("object_type", DBC_T_TEXT), DBC_COL("object_name", DBC_T_TEXT),          \
	              DBC_COL("change", DBC_T_TEXT), DBC_COL("detail", DBC_T_TEXT)),                   \
	  .volatility = DBC_IMMUTABLE, .comment = "what changed between two schema snapshots")         \
                                                                                                   \
	/* ---- migrate (core/migrate). Registration. */                                               \
	X(dbmigrate_add, dbmigrate_add, CORE_SCALAR, .part = DBC_PART_MIGRATE,                         \
	  DBC_ARGS(DBC_ARG("version", DBC_T_TEXT), DBC_ARG("name", DBC_T_TEXT),                        \
	           DBC_ARG("up_sql", DBC_T_TEXT), DBC_OPT("down_sql", DBC_T_TEXT, "NULL")),            \
	  .returns = DBC_T_TEXT, .flags = DBC_API_PRIVATE,                                             \
	  .comment = "registers a versioned migration; returns its checksum")                          \
	X(dbmigrate_add_repeatable, dbmigrate_add_repeatable, CORE_SCALAR, .part = DBC_PART_MIGRATE,   \
	  DBC_ARGS(DBC_ARG("name", DBC_T_TEXT), DBC_ARG("sql", DBC_T_TEXT)), .returns = DBC_T_TEXT,    \
	  .flags = DBC_API_PRIVATE, .comment = "registers or replaces a repeatable migration")         \
	/* Many migrations in one call (a JSON array), all or nothing, by                              \
	 * dbmigrate_add's rules; the command-line client's registration on                            \
	 * SQLite. PostgreSQL has a jsonb and a text signature (an untyped literal                     \
	 * is text: its bad JSON gets dbcare's error, as on SQLite). */                                \
	X(dbmigrate_add_all, dbmigrate_add_all, CORE_SCALAR, .part = DBC_PART_MIGRATE,                 \
	  DBC_ARGS(DBC_ARG("migrations", DBC_T_JSONB)), .returns = DBC_T_INT4,                         \
	  .flags = DBC_API_PRIVATE,                                                                    \
	  .comment = "registers many migrations from a JSON array, all or nothing; returns how many")  \
	X(dbmigrate_add_all_text, dbmigrate_add_all, CORE_PG, .part = DBC_PART_MIGRATE,                \
	  DBC_ARGS(DBC_ARG("migrations", DBC_T_TEXT)), .returns = DBC_T_INT4,                          \
	  .flags = DBC_API_PRIVATE,                                                                    \
	  .comment = "registers many migrations from a JSON array, all or nothing; returns how many")  \
	X(dbmigrate_load, dbmigrate_load, CORE_SCALAR, .part = DBC_PART_MIGRATE,                       \
	  DBC_ARGS(DBC_ARG("path", DBC_T_TEXT)), .returns = DBC_T_INT4, .flags = DBC_API_PRIVATE,      \
	  .comment = "registers the migrations of a server directory (Flyway, golang-migrate, popx "   \
	             "or diesel layout); returns how many were new or changed")                        \
	/* Reading. */                                                                                 \
	X(dbmigrate_status, dbmigrate_status, CORE_TABLE, .part = DBC_PART_MIGRATE,                    \
	  DBC_COLUMNS(DBC_COL("version", DBC_T_TEXT), DBC_COL("name", DBC_T_TEXT),                     \
	              DBC_COL("kind", DBC_T_TEXT), DBC_COL("state", DBC_T_TEXT),                       \
	              DBC_COL("checksum", DBC_T_TEXT), DBC_COL("applied_at", DBC_T_TIMESTAMPTZ),       \
	              DBC_COL("duration_ms", DBC_T_FLOAT8)),                                           \
	  .volatility = DBC_STABLE,                                                                    \
	  .comment = "one row per registered or applied migration, in apply order")                    \
	/* Readiness, the page and `dbcare status`: read only, never registers. */                     \
	X(dbmigrate_pending, dbmigrate_pending, CORE_SCALAR, .part = DBC_PART_MIGRATE,                 \
	  DBC_ARGS(DBC_OPT("files", DBC_T_JSONB, "NULL")), .returns = DBC_T_INT4,                      \
	  .flags = DBC_API_READ_ONLY | DBC_API_MONITOR,                                                \
	  .comment = "how many migrations are pending: the registry's, and of a migration folder's "   \
	             "files (a JSON array of {version} and {name, checksum}) those it lacks or whose " \
	             "repeatable changed; reads only")                                                 \
	X(dbmigrate_plan, dbmigrate_plan, CORE_TABLE, .part = DBC_PART_MIGRATE,                        \
	  DBC_ARGS(DBC_OPT("target", DBC_T_TEXT, "NULL")),                                             \
	  DBC_COLUMNS(DBC_COL("step", DBC_T_INT4), DBC_COL("version", DBC_T_TEXT),                     \
	              DBC_COL("name", DBC_T_TEXT), DBC_COL("kind", DBC_T_TEXT),                        \
	              DBC_COL("direction", DBC_T_TEXT)),                                               \
	  .volatility = DBC_STABLE, .comment = "what dbmigrate_apply(target) would do")                \
	X(dbmigrate_validate, dbmigrate_validate, CORE_TABLE, .part = DBC_PART_MIGRATE,                \
	  DBC_COLUMNS(DBC_COL("version", DBC_T_TEXT), DBC_COL("name", DBC_T_TEXT),                     \
	              DBC_COL("problem", DBC_T_TEXT), DBC_COL("detail", DBC_T_TEXT)),                  \
	  .volatility = DBC_STABLE,                                                                    \
	  .comment = "changed, missing, out-of-order and failed migrations, and schema drift")         \
	X(dbmigrate_history, dbmigrate_history, CORE_TABLE, .part = DBC_PART_MIGRATE,                  \
	  DBC_COLUMNS(DBC_COL("id", DBC_T_INT8), DBC_COL("version", DBC_T_TEXT),                       \
	              DBC_COL("name", DBC_T_TEXT), DBC_COL("kind", DBC_T_TEXT),                        \
	              DBC_COL("direction", DBC_T_TEXT), DBC_COL("checksum", DBC_T_TEXT),               \
	              DBC_COL("fingerprint", DBC_T_TEXT), DBC_COL("applied_at", DBC_T_TIMESTAMPTZ),    \
	              DBC_COL("applied_by", DBC_T_TEXT), DBC_COL("duration_ms", DBC_T_FLOAT8),         \
	              DBC_COL("success", DBC_T_BOOL), DBC_COL("error", DBC_T_TEXT)),                   \
	  .volatility = DBC_STABLE, .comment = "every migration event, oldest first")                  \
	X(dbmigrate_current, dbmigrate_current, CORE_SCALAR, .part = DBC_PART_MIGRATE,                 \
	  .returns = DBC_T_TEXT, .volatility = DBC_STABLE,                                             \
	  .comment = "the highest applied version, NULL when none")                                    \
	X(dbmigrate_assert, dbmigrate_assert, CORE_SCALAR, .part = DBC_PART_MIGRATE,                   \
	  DBC_ARGS(DBC_ARG("version", DBC_T_TEXT)), .returns = DBC_T_BOOL, .volatility = DBC_STABLE,   \
	  .comment = "true, or an error unless the database is at version or later with no "           \
	             "changed or missing migration")                                                   \
	/* Read-your-migration (core/migrate/migrate_bookmark.c): read only, so                        \
	 * they run on a standby. */                                                                   \
	X(dbmigrate_assert_bookmark, dbmigrate_assert, CORE_SCALAR, .part = DBC_PART_MIGRATE,          \
	  DBC_ARGS(DBC_ARG("version", DBC_T_TEXT),                                                     \
	           DBC_ARG_R("bookmark", DBC_T_TEXT, DBC_RULE_NULL_OK),                                \
	           DBC_OPT("timeout", DBC_T_TEXT, "'30s'")),                                           \
	  .returns = DBC_T_BOOL, .flags = DBC_API_READ_ONLY,                                           \
	  .comment = "dbmigrate_bookmark's wait, then dbmigrate_assert(version)")                      \
	X(dbmigrate_bookmark, dbmigrate_bookmark, CORE_SCALAR, .part = DBC_PART_MIGRATE,               \
	  .returns = DBC_T_TEXT, .flags = DBC_API_READ_ONLY,                                           \
	  .comment = "VERSION@LSN: the applied version and the WAL position a standby must replay "    \
	             "to show it (SQLite: VERSION)")                                                   \
	X(dbmigrate_wait, dbmigrate_wait, CORE_SCALAR, .part = DBC_PART_MIGRATE,                       \
	  DBC_ARGS(DBC_ARG("bookmark", DBC_T_TEXT), DBC_OPT("timeout", DBC_T_TEXT, "'30s'")),          \
	  .returns = DBC_T_TEXT, .flags = DBC_API_READ_ONLY,                                           \
	  .comment = "waits until this server shows the bookmark's migration (a standby: replayed "    \
	             "past its LSN); returns the version then visible")                                \
	X(dbmigrate_script, dbmigrate_script, CORE_SCALAR, .part = DBC_PART_MIGRATE,                   \
	  DBC_ARGS(DBC_OPT("target", DBC_T_TEXT, "NULL")), .returns = DBC_T_TEXT,                      \
	  .volatility = DBC_STABLE,                                                                    \
	  .comment = "a psql script applying the pending migrations at top level (also "               \
	             "non-transactional ones)")                                                        \
	X(dbmigrate_script_direction, dbmigrate_script, CORE_SCALAR, .part = DBC_PART_MIGRATE,         \
	  DBC_ARGS(DBC_ARG("direction", DBC_T_TEXT),                                                   \
	           DBC_ARG_R("target", DBC_T_TEXT, DBC_RULE_NULL_OK)),                                 \
	  .returns = DBC_T_TEXT, .volatility = DBC_STABLE,                                             \
	  .comment = "a psql script applying (direction apply) or rolling back (rollback) "            \
	             "migrations at top level, down scripts marked -- dbcare:no-transaction "          \
	             "included")                                                                       \
	/* Changing. apply, run, rollback and verify run migration SQL with the                        \
	 * caller's search_path (a migration's unqualified names mean what its                         \
	 * author meant). */                                                                           \
	X(dbmigrate_apply, dbmigrate_apply, CORE_SCALAR, .part = DBC_PART_MIGRATE,                     \
	  DBC_ARGS(DBC_OPT("target", DBC_T_TEXT, "NULL")), .returns = DBC_T_INT4,                      \
	  .flags = DBC_API_CALLER_PATH | DBC_API_PRIVATE,                                              \
	  .comment = "applies pending migrations up to target, all or nothing")                        \
	/* online => true is refused on both engines (dbc_call_dbmigrate_apply_online):                \
	 * a function call cannot commit between an online migration's steps. An                       \
	 * overload, so that the grants of dbmigrate_apply(text) stay as they are. */                  \
	X(dbmigrate_apply_online, dbmigrate_apply, CORE_SCALAR, .part = DBC_PART_MIGRATE,              \
	  DBC_ARGS(DBC_ARG_R("target", DBC_T_TEXT, DBC_RULE_NULL_OK), DBC_ARG("online", DBC_T_BOOL)),  \
	  .returns = DBC_T_INT4, .flags = DBC_API_CALLER_PATH | DBC_API_PRIVATE,                       \
	  .comment = "dbmigrate_apply(target); online => true is refused: run dbcare migrate "         \
	             "--online")                                                                       \
	/* A procedure: it commits after each migration (a later one may use an                        \
	 * enum value an earlier one added). No SET clause: a procedure with one                       \
	 * cannot commit. */                                                                           \
	X(dbmigrate_run, dbmigrate_run, PG, .part = DBC_PART_MIGRATE,                                  \
	  DBC_ARGS(DBC_OPT("target", DBC_T_TEXT, "NULL")), .returns = DBC_T_VOID,                      \
	  .flags = DBC_API_PROCEDURE | DBC_API_CALLER_PATH | DBC_API_PRIVATE,                          \
	  .comment = "applies pending migrations up to target, committing after each, under a "        \
	             "session-level migration lock")                                                   \
	X(dbmigrate_rollback, dbmigrate_rollback, CORE_SCALAR, .part = DBC_PART_MIGRATE,               \
	  DBC_ARGS(DBC_OPT("target", DBC_T_TEXT, "NULL")), .returns = DBC_T_INT4,                      \
	  .flags = DBC_API_CALLER_PATH | DBC_API_PRIVATE,                                              \
	  .comment = "runs down scripts newest first until the current version is target")             \
	X(dbmigrate_verify, dbmigrate_verify, CORE_TABLE, .part = DBC_PART_MIGRATE,                    \
	  DBC_ARGS(DBC_OPT("target", DBC_T_TEXT, "NULL")),                                             \
	  DBC_COLUMNS(DBC_COL("version", DBC_T_TEXT), DBC_COL("name", DBC_T_TEXT),                     \
	              DBC_COL("up_ok", DBC_T_BOOL), DBC_COL("down_ok", DBC_T_BOOL),                    \
	              DBC_COL("reversible", DBC_T_BOOL), DBC_COL("detail", DBC_T_TEXT)),               \
	  .flags = DBC_API_CALLER_PATH | DBC_API_PRIVATE,                                              \
	  .comment = "proves up, down, up of pending migrations and keeps nothing")                    \
	/* SQLite: the rows of dbmigrate_verify as a JSON array, from a scalar call                    \
	 * (SQLite refuses DROP TABLE while a table-valued function's SELECT reads                     \
	 * the database; a scalar call has no such statement). */                                      \
	X(dbmigrate_verify_json, dbmigrate_verify_json, SCALAR, .part = DBC_PART_MIGRATE,              \
	  DBC_ARGS(DBC_OPT("target", DBC_T_TEXT, "NULL")), .returns = DBC_T_TEXT)                      \
	X(dbmigrate_baseline, dbmigrate_baseline, CORE_SCALAR, .part = DBC_PART_MIGRATE,               \
	  DBC_ARGS(DBC_ARG("version", DBC_T_TEXT)), .returns = DBC_T_INT4, .flags = DBC_API_PRIVATE,   \
	  .comment = "marks registered migrations up to version as applied without running them")      \
	X(dbmigrate_repair, dbmigrate_repair, CORE_SCALAR, .part = DBC_PART_MIGRATE,                   \
	  .returns = DBC_T_INT4, .flags = DBC_API_PRIVATE,                                             \
	  .comment = "accepts changed checksums and the current schema, forgets missing "              \
	             "migrations, removes unfinished records")                                         \
	/* The bookkeeping calls dbmigrate_script() writes around each migration. */                   \
	X(dbmigrate_step_begin, dbmigrate_step_begin, CORE_SCALAR, .part = DBC_PART_MIGRATE,           \
	  DBC_ARGS(DBC_ARG("kind", DBC_T_TEXT), DBC_ARG("key", DBC_T_TEXT),                            \
	           DBC_ARG("checksum", DBC_T_TEXT)),                                                   \
	  .returns = DBC_T_BOOL, .flags = DBC_API_PRIVATE)                                             \
	X(dbmigrate_step_end, dbmigrate_step_end, CORE_SCALAR, .part = DBC_PART_MIGRATE,               \
	  DBC_ARGS(DBC_ARG("kind", DBC_T_TEXT), DBC_ARG("key", DBC_T_TEXT)), .returns = DBC_T_BOOL,    \
	  .flags = DBC_API_PRIVATE)                                                                    \
	/* The trigger on the migration tables that bumps their generation.                            \
	 * SECURITY DEFINER: whoever may write a migration table bumps the                             \
	 * counter, without a grant on it. */                                                          \
	X(dbcare_migrations_changed, migrations_changed, PG, .schema = "dbcare",                       \
	  .part = DBC_PART_MIGRATE, .returns = DBC_T_TRIGGER,                                          \
	  .flags = DBC_API_SECURITY_DEFINER | DBC_API_PRIVATE)                                         \
	/* The lint (docs/lint.md): reads the catalog and the scripts, runs nothing. */                \
	X(dbmigrate_lint, dbmigrate_lint, CORE_TABLE, .part = DBC_PART_MIGRATE,                        \
	  DBC_ARGS(DBC_OPT("migration", DBC_T_TEXT, "NULL")),                                          \
	  DBC_COLUMNS(DBC_COL("version", DBC_T_TEXT), DBC_COL("line", DBC_T_INT4),                     \
	              DBC_COL("rule", DBC_T_TEXT), DBC_COL("severity", DBC_T_TEXT),                    \
	              DBC_COL("message", DBC_T_TEXT), DBC_COL("suggestion", DBC_T_TEXT)),              \
	  .volatility = DBC_STABLE,                                                                    \
	  .comment = "lint findings of the pending migrations (or of one), statement by statement, "   \
	             "against the live tables")                                                        \
	/* dbcare migrate --online (docs/migrations.md, "Online"): the steps of one                    \
	 * pending migration, its blocking statements rewritten; runs nothing. */                      \
	X(dbmigrate_online_plan, dbmigrate_online_plan, CORE_TABLE, .part = DBC_PART_MIGRATE,          \
	  DBC_ARGS(DBC_ARG("version", DBC_T_TEXT)),                                                    \
	  DBC_COLUMNS(DBC_COL("step", DBC_T_INT4), DBC_COL("unit", DBC_T_INT4),                        \
	              DBC_COL("line", DBC_T_INT4), DBC_COL("mode", DBC_T_TEXT),                        \
	              DBC_COL("lock", DBC_T_TEXT), DBC_COL("relation", DBC_T_TEXT),                    \
	              DBC_COL("statement", DBC_T_TEXT), DBC_COL("purpose", DBC_T_TEXT),                \
	              DBC_COL("undo", DBC_T_TEXT)),                                                    \
	  .volatility = DBC_STABLE,                                                                    \
	  .comment = "the steps dbcare migrate --online runs for a pending migration: each "           \
	             "blocking statement as its lock-safe recipe, the rest as written")                \
	/* What dbcare migrate --online records of a run: a step done, the steps                       \
	 * done (JSON), a half-done run's records removed (rollback). */                               \
	X(dbmigrate_online_record, dbmigrate_online_record, CORE_SCALAR, .part = DBC_PART_MIGRATE,     \
	  DBC_ARGS(DBC_ARG("version", DBC_T_TEXT), DBC_ARG("step", DBC_T_INT4),                        \
	           DBC_ARG("statement", DBC_T_TEXT)),                                                  \
	  .returns = DBC_T_BOOL, .flags = DBC_API_PRIVATE)                                             \
	X(dbmigrate_online_done, dbmigrate_online_done, CORE_SCALAR, .part = DBC_PART_MIGRATE,         \
	  DBC_ARGS(DBC_OPT("version", DBC_T_TEXT, "NULL")), .returns = DBC_T_TEXT,                     \
	  .volatility = DBC_STABLE, .flags = DBC_API_PRIVATE)                                          \
	X(dbmigrate_online_forget, dbmigrate_online_forget, CORE_SCALAR, .part = DBC_PART_MIGRATE,     \
	  DBC_ARGS(DBC_ARG("version", DBC_T_TEXT)), .returns = DBC_T_BOOL, .flags = DBC_API_PRIVATE)   \
	/* SQLite: the table rebuild its ALTER TABLE needs for other changes. */                       \
	X(dbmigrate_rebuild_script, dbmigrate_rebuild_script, CORE_SQLITE, .part = DBC_PART_MIGRATE,   \
	  DBC_ARGS(DBC_ARG("table", DBC_T_TEXT), DBC_ARG("new_create_sql", DBC_T_TEXT)),               \
	  .returns = DBC_T_TEXT)                                                                       \
	/* The trace (docs/lint.md): runs one migration's up script in a                               \
	 * subtransaction it always rolls back and reports, per statement, the                         \
	 * locks it took, the relations it created, rewrote or dropped, the rows                       \
	 * it wrote and its duration. With the caller's search_path, as apply. */                      \
	X(dbmigrate_trace, dbmigrate_trace, PG, .part = DBC_PART_MIGRATE,                              \
	  DBC_ARGS(DBC_ARG("version", DBC_T_TEXT)),                                                    \
	  DBC_COLUMNS(DBC_COL("line", DBC_T_INT4), DBC_COL("statement", DBC_T_TEXT),                   \
	              DBC_COL("relation", DBC_T_TEXT), DBC_COL("lock_mode", DBC_T_TEXT),               \
	              DBC_COL("change", DBC_T_TEXT), DBC_COL("rows", DBC_T_INT8),                      \
	              DBC_COL("duration_ms", DBC_T_FLOAT8), DBC_COL("error", DBC_T_TEXT)),             \
	  .flags = DBC_API_CALLER_PATH | DBC_API_PRIVATE,                                              \
	  .comment = "runs a migration's up script in a subtransaction it rolls back and reports "     \
	             "the locks, rewrites, rows and time of each statement")                           \
	/* SQLite: whether this connection writes dbcare's rename log now (the                         \
	 * runner's insert, sqlite/migrate/renames_writer.c); the log's triggers refuse                \
	 * every other write (INNOCUOUS: they also run with trusted_schema = OFF;                      \
	 * a connection without the module cannot compile them at all).                                \
	 */                                                                                            \
	X(dbmigrate_renames_writer, dbmigrate_renames_writer, SCALAR, .part = DBC_PART_MIGRATE,        \
	  .returns = DBC_T_BOOL, .flags = DBC_API_INNOCUOUS)                                           \
	/* The generator (docs/schema-as-code.md): the plan from the live schema                       \
	 * to the one desired_sql declares, proved on a scratch place that keeps                       \
	 * nothing (the desired SQL runs with the caller's search_path and                             \
	 * rights, inside a subtransaction rolled back).                                               \
	 */                                                                                            \
	X(dbmigrate_generate, dbmigrate_generate, CORE_TABLE, .part = DBC_PART_MIGRATE,                \
	  DBC_ARGS(DBC_ARG("desired_sql", DBC_T_TEXT), DBC_OPT("options", DBC_T_JSONB, "NULL")),       \
	  DBC_COLUMNS(DBC_COL("step", DBC_T_INT4), DBC_COL("statement", DBC_T_TEXT),                   \
	              DBC_COL("hazard", DBC_T_TEXT), DBC_COL("rows_affected", DBC_T_INT8),             \
	              DBC_COL("lock", DBC_T_TEXT), DBC_COL("reverse", DBC_T_TEXT),                     \
	              DBC_COL("transactional", DBC_T_BOOL)),                                           \
	  .flags = DBC_API_CALLER_PATH | DBC_API_PRIVATE,                                              \
	  .comment = "the migration (up and reverse statements) from the live schema to the one "      \
	             "desired_sql declares, proved before it is returned; writes nothing")             \
                                                                                                   \
	/* ---- health (core/health). A NULL mode is the default (standard). */                        \
	X(dbhealth_report, dbhealth_report, CORE_SCALAR, .part = DBC_PART_HEALTH,                      \
	  DBC_ARGS(DBC_MODE_ARG, DBC_SCOPE_ARGS), .returns = DBC_T_JSONB,                              \
	  .flags = DBC_API_READ_ONLY | DBC_API_MONITOR,                                                \
	  .comment = "scored health report of this database (mode quick, standard or full)")           \
	X(dbhealth_checks, dbhealth_checks, CORE_TABLE, .part = DBC_PART_HEALTH,                       \
	  DBC_ARGS(DBC_MODE_ARG),                                                                      \
	  DBC_COLUMNS(DBC_COL("name", DBC_T_TEXT), DBC_COL("status", DBC_T_TEXT),                      \
	              DBC_COL("penalty", DBC_T_INT4), DBC_COL("value", DBC_T_FLOAT8),                  \
	              DBC_COL("threshold", DBC_T_FLOAT8), DBC_COL("message", DBC_T_TEXT),              \
	              DBC_COL("hint", DBC_T_TEXT)),                                                    \
	  .flags = DBC_API_READ_ONLY | DBC_API_MONITOR, .comment = "one row per health check")         \
	X(dbhealth_score, dbhealth_score, CORE_SCALAR, .part = DBC_PART_HEALTH,                        \
	  DBC_ARGS(DBC_MODE_ARG), .returns = DBC_T_INT4, .flags = DBC_API_READ_ONLY | DBC_API_MONITOR, \
	  .comment = "health score 0-100")                                                             \
	X(dbhealth_metrics, dbhealth_metrics, CORE_SCALAR, .part = DBC_PART_HEALTH,                    \
	  DBC_ARGS(DBC_MODE_ARG, DBC_SCOPE_ARGS), .returns = DBC_T_TEXT,                               \
	  .flags = DBC_API_READ_ONLY | DBC_API_MONITOR,                                                \
	  .comment = "the health report in the Prometheus text format 0.0.4")                          \
	X(dbhealth_samples, dbhealth_samples, CORE_SCALAR, .part = DBC_PART_HEALTH,                    \
	  DBC_ARGS(DBC_MODE_ARG, DBC_SCOPE_ARGS), .returns = DBC_T_JSONB,                              \
	  .flags = DBC_API_READ_ONLY | DBC_API_MONITOR,                                                \
	  .comment =                                                                                   \
	      "the families of dbhealth_metrics as typed samples (JSON), as dbcare serve reads")       \
	X(dbhealth_gauges, dbhealth_gauges, CORE_SCALAR, .part = DBC_PART_HEALTH,                      \
	  .returns = DBC_T_JSONB, .flags = DBC_API_READ_ONLY | DBC_API_MONITOR,                        \
	  .comment = "size, tables, indexes and migrations pending, without running the checks")       \
	X(dbhealth_snapshot, dbhealth_snapshot, CORE_SCALAR, .part = DBC_PART_HEALTH,                  \
	  .returns = DBC_T_JSONB, .flags = DBC_API_PRIVATE,                                            \
	  .comment = "records size and score in dbcare.health_snapshots and returns them")             \
	X(dbhealth_growth, dbhealth_growth, CORE_SCALAR, .part = DBC_PART_HEALTH,                      \
	  DBC_ARGS(DBC_OPT_R("days", DBC_T_INT4, "30", DBC_RULE_NULL_IS_DEFAULT)),                     \
	  .returns = DBC_T_JSONB, .volatility = DBC_STABLE, .flags = DBC_API_MONITOR,                  \
	  .comment = "bytes per day and 30/90-day projections from the snapshots of the last days")    \
	/* The query statistics with deltas since the snapshot before                                  \
	 * (health_queries.c). */                                                                      \
	X(dbhealth_queries, dbhealth_queries, CORE_SCALAR, .part = DBC_PART_HEALTH,                    \
	  DBC_ARGS(DBC_OPT_R("top", DBC_T_INT4, "20", DBC_RULE_NULL_IS_DEFAULT)),                      \
	  .returns = DBC_T_JSONB, .flags = DBC_API_READ_ONLY | DBC_API_MONITOR,                        \
	  .comment = "the statements of most total time with what each did since the newest "          \
	             "snapshot (pg_stat_statements; SQLite: dbmonitor), and why when unavailable")     \
	/* The snapshots as series a chart draws (health_series.c). */                                 \
	X(dbhealth_history, dbhealth_history, CORE_TABLE, .part = DBC_PART_HEALTH,                     \
	  DBC_ARGS(DBC_OPT_R("limit", DBC_T_INT8, "500", DBC_RULE_NULL_IS_DEFAULT)),                   \
	  DBC_COLUMNS(DBC_COL("taken_at", DBC_T_TEXT), DBC_COL("epoch", DBC_T_FLOAT8),                 \
	              DBC_COL("size_bytes", DBC_T_INT8), DBC_COL("score", DBC_T_INT4)),                \
	  .volatility = DBC_STABLE, .flags = DBC_API_MONITOR,                                          \
	  .comment = "the newest snapshots' size and score, oldest first (taken_at in ISO-8601 UTC, "  \
	             "epoch in seconds)")                                                              \
	X(dbhealth_table_history, dbhealth_table_history, CORE_TABLE, .part = DBC_PART_HEALTH,         \
	  DBC_ARGS(DBC_OPT_R("days", DBC_T_INT8, "30", DBC_RULE_NULL_IS_DEFAULT)),                     \
	  DBC_COLUMNS(DBC_COL("table_name", DBC_T_TEXT), DBC_COL("taken_at", DBC_T_TEXT),              \
	              DBC_COL("epoch", DBC_T_FLOAT8), DBC_COL("bytes", DBC_T_INT8)),                   \
	  .volatility = DBC_STABLE, .flags = DBC_API_MONITOR,                                          \
	  .comment = "the table sizes the snapshots of the last days recorded, by table, oldest "      \
	             "first")                                                                          \
	X(dbhealth_largest_tables, dbhealth_largest_tables, CORE_TABLE, .part = DBC_PART_HEALTH,       \
	  DBC_ARGS(DBC_OPT_R("limit", DBC_T_INT8, "10", DBC_RULE_NULL_IS_DEFAULT)),                    \
	  DBC_COLUMNS(DBC_COL("table_name", DBC_T_TEXT), DBC_COL("bytes", DBC_T_INT8)),                \
	  .volatility = DBC_STABLE, .flags = DBC_API_MONITOR,                                          \
	  .comment = "the largest user tables now, largest first, with their indexes")                 \
	/* SQLite: the slow-statement monitor of a connection. */                                      \
	X(dbmonitor_start, dbmonitor_start, SCALAR, .part = DBC_PART_HEALTH,                           \
	  DBC_ARGS(DBC_ARG("threshold_ms", DBC_T_INT8), DBC_OPT("replace_trace", DBC_T_INT8, "0")),    \
	  .returns = DBC_T_INT8)                                                                       \
	X(dbmonitor_stop, dbmonitor_stop, SCALAR, .part = DBC_PART_HEALTH, .returns = DBC_T_INT8)      \
	X(dbmonitor_slow, dbmonitor_slow, TABLE, .part = DBC_PART_HEALTH,                              \
	  DBC_COLUMNS(DBC_COL("sql", DBC_T_TEXT), DBC_COL("calls", DBC_T_INT8),                        \
	              DBC_COL("total_ms", DBC_T_FLOAT8), DBC_COL("max_ms", DBC_T_FLOAT8),              \
	              DBC_COL("last_at", DBC_T_TEXT)))                                                 \
                                                                                                   \
	/* ---- check: constraints, declared relations, orphans (core/check).                          \
	 * Reading functions run with the caller's rights on the checked tables.                       \
	 * A NULL table means every table. */                                                          \
	X(dbcheck_constraints, dbcheck_constraints, CORE_TABLE, .part = DBC_PART_CHECK,                \
	  DBC_ARGS(DBC_OPT("table", DBC_T_TEXT, "NULL")),                                              \
	  DBC_COLUMNS(DBC_COL("table_name", DBC_T_TEXT), DBC_COL("constraint_name", DBC_T_TEXT),       \
	              DBC_COL("kind", DBC_T_TEXT), DBC_COL("violations", DBC_T_INT8),                  \
	              DBC_COL("sample", DBC_T_JSONB)),                                                 \
	  .flags = DBC_API_READ_ONLY,                                                                  \
	  .comment = "every declared constraint verified against the stored rows")                     \
	X(dbcheck_relations, dbcheck_relations, CORE_TABLE, .part = DBC_PART_CHECK,                    \
	  DBC_COLUMNS(DBC_COL("name", DBC_T_TEXT), DBC_COL("child_table", DBC_T_TEXT),                 \
	              DBC_COL("child_columns", DBC_T_TEXT), DBC_COL("parent_table", DBC_T_TEXT),       \
	              DBC_COL("parent_columns", DBC_T_TEXT)),                                          \
	  .volatility = DBC_STABLE, .comment = "relations declared with dbcheck_add_relation")         \
	X(dbcheck_orphans, dbcheck_orphans, CORE_TABLE, .part = DBC_PART_CHECK,                        \
	  DBC_COLUMNS(DBC_COL("relation", DBC_T_TEXT), DBC_COL("child_table", DBC_T_TEXT),             \
	              DBC_COL("parent_table", DBC_T_TEXT), DBC_COL("orphans", DBC_T_INT8),             \
	              DBC_COL("sample", DBC_T_JSONB)),                                                 \
	  .flags = DBC_API_READ_ONLY,                                                                  \
	  .comment = "child rows without parent, per foreign key and declared relation")               \
	X(dbcheck_add_relation, dbcheck_add_relation, CORE_SCALAR, .part = DBC_PART_CHECK,             \
	  DBC_ARGS(DBC_ARG("name", DBC_T_TEXT), DBC_ARG("child_table", DBC_T_TEXT),                    \
	           DBC_ARG("child_columns", DBC_T_TEXT), DBC_ARG("parent_table", DBC_T_TEXT),          \
	           DBC_ARG("parent_columns", DBC_T_TEXT)),                                             \
	  .returns = DBC_T_TEXT, .flags = DBC_API_PRIVATE,                                             \
	  .comment = "declares a relation the schema does not enforce")                                \
	X(dbcheck_drop_relation, dbcheck_drop_relation, CORE_SCALAR, .part = DBC_PART_CHECK,           \
	  DBC_ARGS(DBC_ARG("name", DBC_T_TEXT)), .returns = DBC_T_BOOL, .flags = DBC_API_PRIVATE,      \
	  .comment = "forgets a declared relation; false when there was none")                         \
	/* declared DEFAULT true: an explicit NULL is an error */                                      \
	X(dbcheck_cleanup_orphans, dbcheck_cleanup_orphans, CORE_SCALAR, .part = DBC_PART_CHECK,       \
	  DBC_ARGS(DBC_OPT("dry_run", DBC_T_BOOL, "true")), .returns = DBC_T_INT8,                     \
	  .flags = DBC_API_PRIVATE,                                                                    \
	  .comment = "deletes (or with dry_run only counts) orphan rows, all or nothing")              \
	/* The evaluator of a domain CHECK on a column's value, called by the                          \
	 * statements dbcheck_constraints() runs: it runs the domain's code as the                     \
	 * domain's owner and refuses to run outside such a check                                      \
	 * (pg/check/check_domain.c). STABLE (it only reads) and PARALLEL UNSAFE: a                    \
	 * parallel worker is no check. */                                                             \
	X(dbcheck_domain_value_holds, dbcheck_domain_value_holds, PG, .part = DBC_PART_CHECK,          \
	  DBC_ARGS(DBC_ARG("", DBC_T_ANYELEMENT), DBC_ARG("", DBC_T_OID)), .returns = DBC_T_BOOL,      \
	  .volatility = DBC_STABLE, .flags = DBC_API_STRICT | DBC_API_PARALLEL_UNSAFE,                 \
	  .comment = "whether a domain CHECK accepts a value (internal to dbcheck_constraints)")       \
                                                                                                   \
	/* ---- json: JSON Schema validation (core/jsonschema). IMMUTABLE and                          \
	 * PARALLEL SAFE (pure on SQLite) so they stand in CHECK constraints:                          \
	 * their answer depends on their arguments alone (format assertion is                          \
	 * one of them, never a setting). STRICT: a NULL document passes, as in                        \
	 * any CHECK. PostgreSQL has jsonb, json and text overloads, SQLite one. */                    \
	X(dbjson_valid, dbjson_valid, PG_SCALAR, .part = DBC_PART_JSON, DBC_JSON_ARGS(DBC_T_JSONB),    \
	  .returns = DBC_T_BOOL, DBC_JSON_PURE_SQLITE,                                                 \
	  .comment = "whether a document is valid against a JSON Schema")                              \
	X(dbjson_valid_json, dbjson_valid, PG, .part = DBC_PART_JSON, DBC_JSON_ARGS(DBC_T_JSON),       \
	  .returns = DBC_T_BOOL, DBC_JSON_PURE,                                                        \
	  .comment = "whether a document is valid against a JSON Schema")                              \
	X(dbjson_valid_text, dbjson_valid, PG, .part = DBC_PART_JSON, DBC_JSON_ARGS(DBC_T_TEXT),       \
	  .returns = DBC_T_BOOL, DBC_JSON_PURE,                                                        \
	  .comment = "whether a document is valid against a JSON Schema")                              \
	X(dbjson_assert, dbjson_assert, PG_SCALAR, .part = DBC_PART_JSON, DBC_JSON_ARGS(DBC_T_JSONB),  \
	  .returns = DBC_T_BOOL, DBC_JSON_PURE_SQLITE,                                                 \
	  .comment = "true, or an error naming the instance path, keyword and schema path of "         \
	             "the first violation")                                                            \
	X(dbjson_assert_json, dbjson_assert, PG, .part = DBC_PART_JSON, DBC_JSON_ARGS(DBC_T_JSON),     \
	  .returns = DBC_T_BOOL, DBC_JSON_PURE,                                                        \
	  .comment = "true, or an error naming the instance path, keyword and schema path of "         \
	             "the first violation")                                                            \
	X(dbjson_assert_text, dbjson_assert, PG, .part = DBC_PART_JSON, DBC_JSON_ARGS(DBC_T_TEXT),     \
	  .returns = DBC_T_BOOL, DBC_JSON_PURE,                                                        \
	  .comment = "true, or an error naming the instance path, keyword and schema path of "         \
	             "the first violation")                                                            \
	X(dbjson_errors, dbjson_errors, PG_TABLE, .part = DBC_PART_JSON, DBC_JSON_ARGS(DBC_T_JSONB),   \
	  DBC_JSON_ERROR_COLUMNS, DBC_JSON_PURE,                                                       \
	  .comment = "every violation of a JSON Schema by a document")                                 \
	X(dbjson_errors_json, dbjson_errors, PG, .part = DBC_PART_JSON, DBC_JSON_ARGS(DBC_T_JSON),     \
	  DBC_JSON_ERROR_COLUMNS, DBC_JSON_PURE,                                                       \
	  .comment = "every violation of a JSON Schema by a document")                                 \
	X(dbjson_errors_text, dbjson_errors, PG, .part = DBC_PART_JSON, DBC_JSON_ARGS(DBC_T_TEXT),     \
	  DBC_JSON_ERROR_COLUMNS, DBC_JSON_PURE,                                                       \
	  .comment = "every violation of a JSON Schema by a document")                                 \
	X(dbjson_schema_valid, dbjson_schema_valid, PG_SCALAR, .part = DBC_PART_JSON,                  \
	  DBC_ARGS(DBC_ARG("schema", DBC_T_JSONB)), .returns = DBC_T_BOOL, DBC_JSON_PURE_SQLITE,       \
	  .comment = "whether a JSON Schema is valid against its draft's meta-schema")                 \
	/* Reads the table as the caller: regclass resolves the name with the                          \
	 * caller's search_path before this function's own applies. */                                 \
	X(dbcheck_json, dbcheck_json, PG_TABLE, .part = DBC_PART_JSON,                                 \
	  DBC_ARGS(DBC_ARG("table", DBC_T_REGCLASS), DBC_ARG("column", DBC_T_TEXT),                    \
	           DBC_ARG("schema", DBC_T_JSONB), DBC_OPT("format_assertion", DBC_T_BOOL, "false")),  \
	  DBC_COLUMNS(DBC_COL("violations", DBC_T_INT8), DBC_COL("sample", DBC_T_JSONB)),              \
	  .volatility = DBC_STABLE,                                                                    \
	  .comment = "how many stored values of a column a JSON Schema refuses, with a sample")        \
	/* The same four with a registered schema's name (text) beside a jsonb or                      \
	 * json document: an untyped literal picks them ('package'); a schema                          \
	 * text given as text is read as a schema, as in the text overloads. */                        \
	X(dbjson_valid_jsonb_name, dbjson_valid, PG, .part = DBC_PART_JSON,                            \
	  DBC_JSON_NAMED_ARGS(DBC_T_JSONB), .returns = DBC_T_BOOL, DBC_JSON_PURE,                      \
	  .comment = "whether a document is valid against a JSON Schema or a registered one")          \
	X(dbjson_valid_json_name, dbjson_valid, PG, .part = DBC_PART_JSON,                             \
	  DBC_JSON_NAMED_ARGS(DBC_T_JSON), .returns = DBC_T_BOOL, DBC_JSON_PURE,                       \
	  .comment = "whether a document is valid against a JSON Schema or a registered one")          \
	X(dbjson_assert_jsonb_name, dbjson_assert, PG, .part = DBC_PART_JSON,                          \
	  DBC_JSON_NAMED_ARGS(DBC_T_JSONB), .returns = DBC_T_BOOL, DBC_JSON_PURE,                      \
	  .comment = "true, or an error naming the first violation of a JSON Schema")                  \
	X(dbjson_assert_json_name, dbjson_assert, PG, .part = DBC_PART_JSON,                           \
	  DBC_JSON_NAMED_ARGS(DBC_T_JSON), .returns = DBC_T_BOOL, DBC_JSON_PURE,                       \
	  .comment = "true, or an error naming the first violation of a JSON Schema")                  \
	X(dbjson_errors_jsonb_name, dbjson_errors, PG, .part = DBC_PART_JSON,                          \
	  DBC_JSON_NAMED_ARGS(DBC_T_JSONB), DBC_JSON_ERROR_COLUMNS, DBC_JSON_PURE,                     \
	  .comment = "every violation of a JSON Schema by a document")                                 \
	X(dbjson_errors_json_name, dbjson_errors, PG, .part = DBC_PART_JSON,                           \
	  DBC_JSON_NAMED_ARGS(DBC_T_JSON), DBC_JSON_ERROR_COLUMNS, DBC_JSON_PURE,                      \
	  .comment = "every violation of a JSON Schema by a document")                                 \
	X(dbcheck_json_name, dbcheck_json, PG, .part = DBC_PART_JSON,                                  \
	  DBC_ARGS(DBC_ARG("table", DBC_T_REGCLASS), DBC_ARG("column", DBC_T_TEXT),                    \
	           DBC_ARG("schema", DBC_T_TEXT), DBC_OPT("format_assertion", DBC_T_BOOL, "false")),   \
	  DBC_COLUMNS(DBC_COL("violations", DBC_T_INT8), DBC_COL("sample", DBC_T_JSONB)),              \
	  .volatility = DBC_STABLE,                                                                    \
	  .comment = "how many stored values of a column a JSON Schema refuses, with a sample")        \
	/* The registry (core/jsonschema/js_registry.c): changing it is                                \
	 * private, as it changes what every CHECK naming a schema accepts.                            \
	 * SECURITY DEFINER (path pinned): a role granted EXECUTE needs no right                       \
	 * on the registry's tables, which nobody else writes, so every change                         \
	 * goes through here and is recorded with the session's role. */                               \
	X(dbjson_register, dbjson_register, CORE_SCALAR, .part = DBC_PART_JSON,                        \
	  DBC_ARGS(DBC_ARG("name", DBC_T_TEXT), DBC_ARG("schema", DBC_T_TEXT),                         \
	           DBC_OPT("uri", DBC_T_TEXT, "NULL")),                                                \
	  .returns = DBC_T_TEXT, .flags = DBC_API_PRIVATE | DBC_API_SECURITY_DEFINER,                  \
	  .comment = "stores a JSON Schema under a name (and its $id or uri) for CHECK constraints "   \
	             "and $ref; returns its SHA-256")                                                  \
	X(dbjson_unregister, dbjson_unregister, CORE_SCALAR, .part = DBC_PART_JSON,                    \
	  DBC_ARGS(DBC_ARG("name", DBC_T_TEXT)), .returns = DBC_T_BOOL,                                \
	  .flags = DBC_API_PRIVATE | DBC_API_SECURITY_DEFINER,                                         \
	  .comment = "removes a registered JSON Schema no CHECK constraint names")                     \
	X(dbjson_schemas, dbjson_schemas, CORE_TABLE, .part = DBC_PART_JSON,                           \
	  DBC_COLUMNS(DBC_COL("name", DBC_T_TEXT), DBC_COL("uri", DBC_T_TEXT),                         \
	              DBC_COL("sha256", DBC_T_TEXT), DBC_COL("bytes", DBC_T_INT8),                     \
	              DBC_COL("registered_at", DBC_T_TEXT)),                                           \
	  .volatility = DBC_STABLE, .comment = "the registered JSON Schemas")                          \
	/* SECURITY DEFINER (path pinned): the history is readable only by                             \
	 * superusers, pg_monitor, the schema's owner and the owners of tables                         \
	 * whose CHECK names it; core/jsonschema/js_history.c decides, refusing                        \
	 * anyone else by name. */                                                                     \
	X(dbjson_history, dbjson_history, CORE_TABLE, .part = DBC_PART_JSON,                           \
	  DBC_ARGS(DBC_ARG("name", DBC_T_TEXT)),                                                       \
	  DBC_COLUMNS(DBC_COL("changed_at", DBC_T_TEXT), DBC_COL("changed_by", DBC_T_TEXT),            \
	              DBC_COL("old_sha256", DBC_T_TEXT), DBC_COL("new_sha256", DBC_T_TEXT)),           \
	  .volatility = DBC_STABLE, .flags = DBC_API_SECURITY_DEFINER,                                 \
	  .comment = "who changed a registered JSON Schema, when, and its SHA-256 before and after")   \
	/* PostgreSQL: the registry's tables' trigger (pg/json/json_registry.c): every                 \
	 * backend's compiled schemas that read the registry are compiled again. */                    \
	X(dbcare_json_registry_changed, json_registry_changed, PG, .schema = "dbcare",                 \
	  .part = DBC_PART_JSON, .returns = DBC_T_TRIGGER, .flags = DBC_API_PRIVATE,                   \
	  .comment = "dbcare: tells every session that the JSON Schema registry changed")              \
	X(dbjson_revalidate, dbjson_revalidate, CORE_TABLE, .part = DBC_PART_JSON,                     \
	  DBC_ARGS(DBC_ARG("name", DBC_T_TEXT)),                                                       \
	  DBC_COLUMNS(DBC_COL("table_name", DBC_T_TEXT), DBC_COL("constraint_name", DBC_T_TEXT),       \
	              DBC_COL("violations", DBC_T_INT8), DBC_COL("not_checked", DBC_T_TEXT)),          \
	  .volatility = DBC_STABLE,                                                                    \
	  .comment = "the stored rows each CHECK naming a registered schema no longer accepts")        \
                                                                                                   \
	/* ---- retain: soft delete and retention policies (core/retain) */                            \
	/* Changing: they alter tables, install triggers and delete rows, with                         \
	 * the caller's rights on the table. */                                                        \
	X(dbsoftdelete_enable, dbsoftdelete_enable, CORE_SCALAR, .part = DBC_PART_RETAIN,              \
	  DBC_ARGS(DBC_ARG("table", DBC_T_TEXT), DBC_OPT("column", DBC_T_TEXT, "'deleted_at'")),       \
	  .returns = DBC_T_JSONB, .flags = DBC_API_PRIVATE,                                            \
	  .comment = "turns DELETE into setting a timestamp column; lists the unique keys "            \
	             "soft-deleted rows keep taking, with the statements that fix each")               \
	X(dbsoftdelete_disable, dbsoftdelete_disable, CORE_SCALAR, .part = DBC_PART_RETAIN,            \
	  DBC_ARGS(DBC_ARG("table", DBC_T_TEXT)), .returns = DBC_T_BOOL, .flags = DBC_API_PRIVATE,     \
	  .comment = "removes the soft-delete trigger, keeping the column and its values")             \
	X(dbsoftdelete_restore, dbsoftdelete_restore, CORE_SCALAR, .part = DBC_PART_RETAIN,            \
	  DBC_ARGS(DBC_ARG("table", DBC_T_TEXT), DBC_ARG("key", DBC_T_JSONB)), .returns = DBC_T_INT8,  \
	  .flags = DBC_API_PRIVATE,                                                                    \
	  .comment = "restores soft-deleted rows by primary key (an object or an array of "            \
	             "them), all or none")                                                             \
	X(dbsoftdelete_purge, dbsoftdelete_purge, CORE_SCALAR, .part = DBC_PART_RETAIN,                \
	  DBC_ARGS(DBC_ARG("table", DBC_T_TEXT), DBC_OPT("older_than", DBC_T_TEXT, "NULL")),           \
	  .returns = DBC_T_INT8, .flags = DBC_API_PRIVATE,                                             \
	  .comment = "really deletes soft-deleted rows (deleted longer than older_than ago), "         \
	             "foreign-key actions applying")                                                   \
	X(dbsoftdelete_tables, dbsoftdelete_tables, CORE_TABLE, .part = DBC_PART_RETAIN,               \
	  DBC_COLUMNS(DBC_COL("table_name", DBC_T_TEXT), DBC_COL("column_name", DBC_T_TEXT),           \
	              DBC_COL("enabled_at", DBC_T_TIMESTAMPTZ), DBC_COL("deleted_rows", DBC_T_INT8)),  \
	  .volatility = DBC_STABLE, .comment = "the soft-delete tables and their deleted rows now")    \
	/* The soft-delete trigger (PostgreSQL): runs as the writer, whose DELETE                      \
	 * becomes an UPDATE of the row's column; nothing more. */                                     \
	X(dbcare_softdelete_row, softdelete_row, PG, .schema = "dbcare", .part = DBC_PART_RETAIN,      \
	  .returns = DBC_T_TRIGGER, .flags = DBC_API_PRIVATE,                                          \
	  .comment = "soft-delete trigger: a row DELETE sets the column its argument names")           \
	/* Retention policies. */                                                                      \
	X(dbretain_add, dbretain_add, CORE_SCALAR, .part = DBC_PART_RETAIN,                            \
	  DBC_ARGS(DBC_ARG("name", DBC_T_TEXT), DBC_ARG("table", DBC_T_TEXT),                          \
	           DBC_ARG("column", DBC_T_TEXT), DBC_ARG("keep", DBC_T_TEXT),                         \
	           DBC_ARG("action", DBC_T_TEXT), DBC_OPT("target", DBC_T_TEXT, "NULL")),              \
	  .returns = DBC_T_TEXT, .flags = DBC_API_PRIVATE,                                             \
	  .comment = "adds a retention policy: rows older than keep are deleted, archived into "       \
	             "target or purged; everything is checked now")                                    \
	X(dbretain_drop, dbretain_drop, CORE_SCALAR, .part = DBC_PART_RETAIN,                          \
	  DBC_ARGS(DBC_ARG("name", DBC_T_TEXT)), .returns = DBC_T_BOOL, .flags = DBC_API_PRIVATE,      \
	  .comment = "forgets a retention policy (its archive stays); false when there was none")      \
	X(dbretain_policies, dbretain_policies, CORE_TABLE, .part = DBC_PART_RETAIN,                   \
	  DBC_COLUMNS(DBC_COL("name", DBC_T_TEXT), DBC_COL("table_name", DBC_T_TEXT),                  \
	              DBC_COL("column_name", DBC_T_TEXT), DBC_COL("keep", DBC_T_TEXT),                 \
	              DBC_COL("action", DBC_T_TEXT), DBC_COL("target", DBC_T_TEXT),                    \
	              DBC_COL("archived_rows", DBC_T_INT8), DBC_COL("deleted_rows", DBC_T_INT8),       \
	              DBC_COL("last_run_at", DBC_T_TIMESTAMPTZ)),                                      \
	  .volatility = DBC_STABLE, .comment = "the retention policies and what they moved so far")    \
	X(dbretain_plan, dbretain_plan, CORE_TABLE, .part = DBC_PART_RETAIN,                           \
	  DBC_ARGS(DBC_OPT("name", DBC_T_TEXT, "NULL")),                                               \
	  DBC_COLUMNS(DBC_COL("policy", DBC_T_TEXT), DBC_COL("table_name", DBC_T_TEXT),                \
	              DBC_COL("action", DBC_T_TEXT), DBC_COL("due", DBC_T_INT8),                       \
	              DBC_COL("oldest", DBC_T_TEXT), DBC_COL("batches", DBC_T_INT8),                   \
	              DBC_COL("blockers", DBC_T_JSONB)),                                               \
	  .volatility = DBC_STABLE,                                                                    \
	  .comment = "what each retention policy would do now: rows due, the oldest, batches, "        \
	             "and what blocks it")                                                             \
	X(dbretain_apply, dbretain_apply, CORE_TABLE, .part = DBC_PART_RETAIN,                         \
	  DBC_ARGS(DBC_OPT("name", DBC_T_TEXT, "NULL"),                                                \
	           DBC_OPT_R("max_rows", DBC_T_INT8, "NULL", DBC_RULE_POSITIVE)),                      \
	  DBC_COLUMNS(DBC_COL("policy", DBC_T_TEXT), DBC_COL("archived", DBC_T_INT8),                  \
	              DBC_COL("deleted", DBC_T_INT8), DBC_COL("blocked", DBC_T_INT8),                  \
	              DBC_COL("remaining", DBC_T_INT8), DBC_COL("duration_ms", DBC_T_FLOAT8)),         \
	  .flags = DBC_API_PRIVATE,                                                                    \
	  .comment = "applies retention policies: at most max_rows rows each, in atomic batches, "     \
	             "in the caller's transaction")                                                    \
	/* A procedure: it commits after each batch. No SET clause: a procedure                        \
	 * with one cannot commit; the host pins search_path per statement. */                         \
	X(dbretain_run, dbretain_run, PG, .part = DBC_PART_RETAIN,                                     \
	  DBC_ARGS(DBC_OPT("name", DBC_T_TEXT, "NULL")), .returns = DBC_T_VOID,                        \
	  .flags = DBC_API_PROCEDURE | DBC_API_CALLER_PATH | DBC_API_PRIVATE,                          \
	  .comment = "applies retention policies batch by batch, committing after each, sleeping "     \
	             "retain.sleep_ms between, stopping after retain.max_duration_ms")                 \
	/* Archives in another database (target archive-db:NAME): the command                          \
	 * (dbcare retain --archive-db) moves each batch in stages, the source's                       \
	 * calls here, the archive's below (docs/retention.md). */                                     \
	X(dbretain_export_next, dbretain_export_next, CORE_TABLE, .part = DBC_PART_RETAIN,             \
	  DBC_ARGS(DBC_ARG("name", DBC_T_TEXT),                                                        \
	           DBC_OPT_R("max_rows", DBC_T_INT8, "NULL", DBC_RULE_POSITIVE)),                      \
	  DBC_COLUMNS(DBC_COL("batch_id", DBC_T_INT8), DBC_COL("batch_key", DBC_T_TEXT),               \
	              DBC_COL("stage", DBC_T_TEXT), DBC_COL("archive", DBC_T_TEXT),                    \
	              DBC_COL("source", DBC_T_JSONB), DBC_COL("rows", DBC_T_INT8),                     \
	              DBC_COL("hash", DBC_T_TEXT), DBC_COL("payload", DBC_T_TEXT)),                    \
	  .flags = DBC_API_PRIVATE,                                                                    \
	  .comment = "the archive batch in flight of a policy archiving into another database, or "    \
	             "a new one picked from its due rows (JSON lines, count, content hash)")           \
	X(dbretain_export_mark, dbretain_export_mark, CORE_SCALAR, .part = DBC_PART_RETAIN,            \
	  DBC_ARGS(DBC_ARG("name", DBC_T_TEXT), DBC_ARG("batch_id", DBC_T_INT8),                       \
	           DBC_ARG("rows", DBC_T_INT8), DBC_ARG("hash", DBC_T_TEXT)),                          \
	  .returns = DBC_T_TEXT, .flags = DBC_API_PRIVATE,                                             \
	  .comment = "records that the archive database holds a batch with the count and hash this "   \
	             "database picked; returns the batch's stage")                                     \
	X(dbretain_export_delete, dbretain_export_delete, CORE_SCALAR, .part = DBC_PART_RETAIN,        \
	  DBC_ARGS(DBC_ARG("name", DBC_T_TEXT), DBC_ARG("batch_id", DBC_T_INT8)),                      \
	  .returns = DBC_T_INT8, .flags = DBC_API_PRIVATE,                                             \
	  .comment = "deletes a verified archive batch's rows when they are exactly the archived "     \
	             "ones; -1: they changed, the batch was picked again")                             \
	/* The same stages run by the module itself, one stage (one database                           \
	 * written) per call: the archive an ATTACHed database (SQLite), or                            \
	 * a foreign table retain_archive of postgres_fdw (PostgreSQL). */                             \
	X(dbretain_archive_attached, dbretain_archive_attached, CORE_SCALAR, .part = DBC_PART_RETAIN,  \
	  DBC_ARGS(DBC_ARG("name", DBC_T_TEXT), DBC_ARG("schema", DBC_T_TEXT)), .returns = DBC_T_TEXT, \
	  .flags = DBC_API_PRIVATE,                                                                    \
	  .comment = "the next stage of an archive-db policy's batch into the archive another "        \
	             "database holds, reached from this one (SQLite: ATTACH; PostgreSQL: "             \
	             "postgres_fdw); returns the stage and its rows as JSON")                          \
	X(dbretain_archive_store, dbretain_archive_store, CORE_TABLE, .part = DBC_PART_RETAIN,         \
	  DBC_ARGS(DBC_ARG("batch_key", DBC_T_TEXT), DBC_ARG("archive", DBC_T_TEXT),                   \
	           DBC_ARG("source", DBC_T_JSONB), DBC_ARG("rows", DBC_T_INT8),                        \
	           DBC_ARG("hash", DBC_T_TEXT), DBC_ARG("payload", DBC_T_TEXT),                        \
	           DBC_OPT("codec", DBC_T_TEXT, "'zstd'")),                                            \
	  DBC_COLUMNS(DBC_COL("stored_rows", DBC_T_INT8), DBC_COL("stored_hash", DBC_T_TEXT)),         \
	  .flags = DBC_API_PRIVATE,                                                                    \
	  .comment = "stores an archive batch from another database (again: a no-op) and returns "     \
	             "the count and hash read back from what it stored")                               \
	X(dbretain_archive_read, dbretain_archive_read, CORE_TABLE, .part = DBC_PART_RETAIN,           \
	  DBC_ARGS(DBC_OPT("name", DBC_T_TEXT, "NULL")),                                               \
	  DBC_COLUMNS(DBC_COL("archive", DBC_T_TEXT), DBC_COL("policy", DBC_T_TEXT),                   \
	              DBC_COL("source_table", DBC_T_TEXT), DBC_COL("fingerprint", DBC_T_TEXT),         \
	              DBC_COL("batch_key", DBC_T_TEXT), DBC_COL("archived_at", DBC_T_TIMESTAMPTZ),     \
	              DBC_COL("row", DBC_T_JSONB)),                                                    \
	  .volatility = DBC_STABLE,                                                                    \
	  .comment = "the rows archived here from another database (decompressed), with the schema "   \
	             "fingerprint each batch was archived under")                                      \
	/* (end of retain) */                                                                          \
                                                                                                   \
	/* ---- audit: the row-level audit trail (core/audit) */                                       \
	X(dbaudit_enable, dbaudit_enable, PG_SCALAR, .part = DBC_PART_AUDIT,                           \
	  DBC_ARGS(DBC_ARG("table", DBC_T_TEXT), DBC_OPT("options", DBC_T_JSONB, "NULL"),              \
	           DBC_OPT("mode", DBC_T_TEXT, "NULL")),                                               \
	  .returns = DBC_T_TEXT, .flags = DBC_API_PRIVATE,                                             \
	  .comment = "starts recording the changes of a table in the audit log; returns its "          \
	             "stored name")                                                                    \
	X(dbaudit_disable, dbaudit_disable, PG_SCALAR, .part = DBC_PART_AUDIT,                         \
	  DBC_ARGS(DBC_ARG("table", DBC_T_TEXT)), .returns = DBC_T_BOOL, .flags = DBC_API_PRIVATE,     \
	  .comment = "stops recording the changes of a table; its log entries stay")                   \
	X(dbaudit_refresh, dbaudit_refresh, PG_SCALAR, .part = DBC_PART_AUDIT,                         \
	  DBC_ARGS(DBC_OPT("table", DBC_T_TEXT, "NULL")), .returns = DBC_T_INT4,                       \
	  .flags = DBC_API_PRIVATE,                                                                    \
	  .comment = "remakes the audit triggers of a table (NULL: every audited table) for its "      \
	             "current columns; returns how many tables")                                       \
	X(dbaudit_tables, dbaudit_tables, CORE_TABLE, .part = DBC_PART_AUDIT,                          \
	  DBC_COLUMNS(DBC_COL("table", DBC_T_TEXT), DBC_COL("enabled_at", DBC_T_TIMESTAMPTZ),          \
	              DBC_COL("options", DBC_T_JSONB), DBC_COL("entries", DBC_T_INT8),                 \
	              DBC_COL("recording", DBC_T_BOOL), DBC_COL("problem", DBC_T_TEXT)),               \
	  .volatility = DBC_STABLE,                                                                    \
	  .comment = "the audited tables, their options and log entries, and whether each is "         \
	             "recording")                                                                      \
	X(dbaudit_history, dbaudit_history, PG_TABLE, .part = DBC_PART_AUDIT,                          \
	  DBC_ARGS(DBC_ARG("table", DBC_T_TEXT), DBC_ARG("key", DBC_T_JSONB)),                         \
	  DBC_COLUMNS(DBC_COL("id", DBC_T_INT8), DBC_COL("at", DBC_T_TIMESTAMPTZ),                     \
	              DBC_COL("txid", DBC_T_TEXT), DBC_COL("db_user", DBC_T_TEXT),                     \
	              DBC_COL("actor", DBC_T_TEXT), DBC_COL("operation", DBC_T_TEXT),                  \
	              DBC_COL("old_values", DBC_T_JSONB), DBC_COL("new_values", DBC_T_JSONB)),         \
	  .volatility = DBC_STABLE, .comment = "the audit log entries of one row, oldest first")       \
	X(dbaudit_log, dbaudit_log, CORE_TABLE, .part = DBC_PART_AUDIT,                                \
	  DBC_ARGS(DBC_OPT("table", DBC_T_TEXT, "NULL"), DBC_OPT("since", DBC_T_TIMESTAMPTZ, "NULL")), \
	  DBC_COLUMNS(DBC_COL("id", DBC_T_INT8), DBC_COL("at", DBC_T_TIMESTAMPTZ),                     \
	              DBC_COL("txid", DBC_T_TEXT), DBC_COL("db_user", DBC_T_TEXT),                     \
	              DBC_COL("actor", DBC_T_TEXT), DBC_COL("operation", DBC_T_TEXT),                  \
	              DBC_COL("table_name", DBC_T_TEXT), DBC_COL("key", DBC_T_JSONB),                  \
	              DBC_COL("old_values", DBC_T_JSONB), DBC_COL("new_values", DBC_T_JSONB)),         \
	  .volatility = DBC_STABLE,                                                                    \
	  .comment = "audit log entries (of one table, since a time), oldest first")                   \
	X(dbaudit_row_at, dbaudit_row_at, PG_SCALAR, .part = DBC_PART_AUDIT,                           \
	  DBC_ARGS(DBC_ARG("table", DBC_T_TEXT), DBC_ARG("key", DBC_T_JSONB),                          \
	           DBC_ARG("at", DBC_T_TIMESTAMPTZ)),                                                  \
	  .returns = DBC_T_JSONB, .volatility = DBC_STABLE,                                            \
	  .comment = "a row as it was at a time, rebuilt from the audit log; NULL when it did not "    \
	             "exist")                                                                          \
	/* The trigger of every audited table: it writes the log as the log's                          \
	 * owner (pg/audit/audit_trigger.c), not SECURITY DEFINER, so it sees the                      \
	 * writer's current_user. No SET search_path (a GUC save and restore per                       \
	 * statement, per row of a row-level trigger): it resolves no name through                     \
	 * the path, and pins it around the SQL it runs (pg/audit/audit_write.c). */                   \
	X(dbcare_audit_trigger, audit_trigger, PG, .schema = "dbcare", .part = DBC_PART_AUDIT,         \
	  .returns = DBC_T_TRIGGER, .flags = DBC_API_PRIVATE | DBC_API_HOST_PATH,                      \
	  .comment = "dbcare: records a change of an audited table in dbcare.audit_log")               \
	/* The row hash of the log's row index (pg/audit/audit_row_hash.c): the log's                  \
	 * generated column row_hash and the readers call it; pure. */                                 \
	X(dbcare_audit_row_hash, audit_row_hash, PG, .schema = "dbcare", .part = DBC_PART_AUDIT,       \
	  DBC_ARGS(DBC_ARG("table_name", DBC_T_TEXT), DBC_ARG("key", DBC_T_JSONB)),                    \
	  .returns = DBC_T_INT8, .volatility = DBC_IMMUTABLE, .flags = DBC_API_PARALLEL_SAFE,          \
	  .comment = "dbcare: the row hash of an audit log entry: its table and key")                  \
	/* SQLite: the session's actor, and the id of the current transaction;                         \
	 * the audit triggers call both (INNOCUOUS: they also run with                                 \
	 * trusted_schema = OFF); setting the actor is DIRECTONLY. */                                  \
	X(dbaudit_actor, dbaudit_actor, SCALAR, .part = DBC_PART_AUDIT,                                \
	  DBC_ARGS(DBC_ARG("actor", DBC_T_TEXT)), .returns = DBC_T_TEXT)                               \
	X(dbaudit_current_actor, dbaudit_actor, SCALAR, .part = DBC_PART_AUDIT, .returns = DBC_T_TEXT, \
	  .flags = DBC_API_INNOCUOUS)                                                                  \
	X(dbaudit_txid, dbaudit_txid, SCALAR, .part = DBC_PART_AUDIT, .returns = DBC_T_INT8,           \
	  .flags = DBC_API_INNOCUOUS)                                                                  \
	/* SQLite: the JSON objects the audit triggers write (sqlite/audit/audit_json.c;               \
	 * SQLite 3.40's json_object is not INNOCUOUS). Pure, and variadic:                            \
	 * (base, name, value, ...) and (base, side, name, old, new, ...). */                          \
	X(dbaudit_json, dbaudit_json, SCALAR, .part = DBC_PART_AUDIT,                                  \
	  DBC_ARGS(DBC_ARG("base", DBC_T_TEXT)), .returns = DBC_T_TEXT, .volatility = DBC_IMMUTABLE,   \
	  .flags = DBC_API_PURE | DBC_API_VARIADIC)                                                    \
	X(dbaudit_json_changed, dbaudit_json_changed, SCALAR, .part = DBC_PART_AUDIT,                  \
	  DBC_ARGS(DBC_ARG("base", DBC_T_TEXT), DBC_ARG("side", DBC_T_INT4)), .returns = DBC_T_TEXT,   \
	  .volatility = DBC_IMMUTABLE, .flags = DBC_API_PURE | DBC_API_VARIADIC)                       \
	/* SQLite: the TEMP update triggers' pair (sqlite/audit/audit_json.c): the                     \
	 * changed pairs' two sides, built in one call and each kept for one                           \
	 * dbaudit_json_kept(side). State on the connection: not pure;                                 \
	 * DIRECTONLY, as dbaudit_direct. */                                                           \
	X(dbaudit_json_changes, dbaudit_json_changes, SCALAR, .part = DBC_PART_AUDIT,                  \
	  .returns = DBC_T_TEXT, .flags = DBC_API_VARIADIC)                                            \
	X(dbaudit_json_kept, dbaudit_json_kept, SCALAR, .part = DBC_PART_AUDIT,                        \
	  DBC_ARGS(DBC_ARG("side", DBC_T_INT4)), .returns = DBC_T_TEXT)                                \
	X(dbaudit_verify, dbaudit_verify, PG_TABLE, .part = DBC_PART_AUDIT,                            \
	  DBC_COLUMNS(DBC_COL("checked", DBC_T_INT8), DBC_COL("broken_id", DBC_T_INT8),                \
	              DBC_COL("problem", DBC_T_TEXT)),                                                 \
	  .volatility = DBC_STABLE,                                                                    \
	  .comment = "checks the audit log's hash chain; names the first entry whose link is broken")  \
	/* SQLite: the hash of a chained entry (sqlite/audit/audit_json.c), written by                 \
	 * the audit triggers: pure. */                                                                \
	X(dbaudit_hash, dbaudit_hash, SCALAR, .part = DBC_PART_AUDIT,                                  \
	  DBC_ARGS(DBC_ARG("prev", DBC_T_TEXT), DBC_ARG("at", DBC_T_TEXT),                             \
	           DBC_ARG("txid", DBC_T_INT8), DBC_ARG("db_user", DBC_T_TEXT),                        \
	           DBC_ARG("actor", DBC_T_TEXT), DBC_ARG("operation", DBC_T_TEXT),                     \
	           DBC_ARG("table_name", DBC_T_TEXT), DBC_ARG("key", DBC_T_TEXT),                      \
	           DBC_ARG("old_values", DBC_T_TEXT), DBC_ARG("new_values", DBC_T_TEXT)),              \
	  .returns = DBC_T_TEXT, .volatility = DBC_IMMUTABLE, .flags = DBC_API_PURE)                   \
	X(dbaudit_now, dbaudit_now, SCALAR, .part = DBC_PART_AUDIT, .returns = DBC_T_TEXT,             \
	  .flags = DBC_API_INNOCUOUS)                                                                  \
	/* SQLite: the row hash of a log entry (sqlite/audit/audit_json.c): its                        \
	 * table and its key's stored text; the module's writers store it and                          \
	 * the readers look it up in the log's row index. Pure. */                                     \
	X(dbaudit_row_hash, dbaudit_row_hash, SCALAR, .part = DBC_PART_AUDIT,                          \
	  DBC_ARGS(DBC_ARG("table_name", DBC_T_TEXT), DBC_ARG("key", DBC_T_TEXT)),                     \
	  .returns = DBC_T_INT8, .volatility = DBC_IMMUTABLE,                                          \
	  .flags = DBC_API_PURE | DBC_API_VARIADIC)                                                    \
	/* SQLite: whether a TEMP audit trigger of a connection with dbcare                            \
	 * writes the row in place of the shared one (sqlite/audit/audit_direct.c);                    \
	 * DIRECTONLY: a trigger or view of the file cannot make the shared one                        \
	 * skip a row. It completes the pending entries before the row first                           \
	 * when some may have appeared (audit_direct.c, probe_due). */                                 \
	X(dbaudit_direct, dbaudit_direct, SCALAR, .part = DBC_PART_AUDIT,                              \
	  DBC_ARGS(DBC_ARG("token", DBC_T_TEXT)), .returns = DBC_T_INT4)                               \
	/* SQLite: the key, the values and the row hash of an insert's or a                            \
	 * delete's entry that its TEMP trigger's WHEN built from the row                              \
	 * (sqlite/audit/audit_json.c), each handed out once. State on the                             \
	 * connection; DIRECTONLY, as dbaudit_direct. */                                               \
	X(dbaudit_entry_key, dbaudit_entry_key, SCALAR, .part = DBC_PART_AUDIT, .returns = DBC_T_TEXT) \
	X(dbaudit_entry_values, dbaudit_entry_values, SCALAR, .part = DBC_PART_AUDIT,                  \
	  .returns = DBC_T_TEXT)                                                                       \
	X(dbaudit_entry_row_hash, dbaudit_entry_row_hash, SCALAR, .part = DBC_PART_AUDIT,              \
	  .returns = DBC_T_INT8)                                                                       \
	/* SQLite: entries written without dbcare loaded (sqlite/audit/audit_pending.c):               \
	 * their pending values as JSON (pure), and completing the pending entries                     \
	 * before one, which the completing TEMP trigger of a connection with                          \
	 * dbcare calls. */                                                                            \
	X(dbaudit_decode, dbaudit_decode, SCALAR, .part = DBC_PART_AUDIT,                              \
	  DBC_ARGS(DBC_ARG("text", DBC_T_TEXT), DBC_ARG("other", DBC_T_TEXT)), .returns = DBC_T_TEXT,  \
	  .volatility = DBC_IMMUTABLE, .flags = DBC_API_PURE)                                          \
	X(dbaudit_complete, dbaudit_complete, SCALAR, .part = DBC_PART_AUDIT,                          \
	  DBC_ARGS(DBC_ARG("before_id", DBC_T_INT8), DBC_OPT("own", DBC_T_BOOL, "false")),             \
	  .returns = DBC_T_INT8)                                                                       \
	/* (end of audit) */                                                                           \
                                                                                                   \
	/* ---- backup: verified backups and their catalog (core/backup) */                            \
	/* SQLite: the copy, its verification and retention (they write files,                         \
	 * so they exist on SQLite only; PostgreSQL records external backups). */                      \
	X(dbbackup_create, dbbackup_create, CORE_SQLITE, .part = DBC_PART_BACKUP,                      \
	  DBC_ARGS(DBC_OPT("path", DBC_T_TEXT, "NULL"), DBC_OPT("method", DBC_T_TEXT, "'full'")),      \
	  .returns = DBC_T_TEXT)                                                                       \
	X(dbbackup_verify, dbbackup_verify, CORE_SQLITE, .part = DBC_PART_BACKUP,                      \
	  DBC_ARGS(DBC_ARG("path", DBC_T_TEXT), DBC_OPT("image", DBC_T_TEXT, "NULL"),                  \
	           DBC_OPT("from_dir", DBC_T_TEXT, "NULL")),                                           \
	  .returns = DBC_T_TEXT)                                                                       \
	X(dbbackup_prune, dbbackup_prune, CORE_SQLITE, .part = DBC_PART_BACKUP,                        \
	  DBC_ARGS(DBC_OPT_R("keep_count", DBC_T_INT8, "NULL", DBC_RULE_NOT_NEGATIVE),                 \
	           DBC_OPT_R("keep_days", DBC_T_INT8, "NULL", DBC_RULE_NOT_NEGATIVE),                  \
	           DBC_OPT("dry_run", DBC_T_BOOL, "true"), DBC_OPT("copies", DBC_T_TEXT, "NULL")),     \
	  .returns = DBC_T_TEXT)                                                                       \
	X(dbbackup_list, dbbackup_list, CORE_TABLE, .part = DBC_PART_BACKUP,                           \
	  DBC_COLUMNS(DBC_COL("id", DBC_T_INT8), DBC_COL("kind", DBC_T_TEXT),                          \
	              DBC_COL("path", DBC_T_TEXT), DBC_COL("created_at", DBC_T_TEXT),                  \
	              DBC_COL("bytes", DBC_T_INT8), DBC_COL("fingerprint", DBC_T_TEXT),                \
	              DBC_COL("verified_at", DBC_T_TEXT), DBC_COL("status", DBC_T_TEXT),               \
	              DBC_COL("exists", DBC_T_BOOL)),                                                  \
	  .volatility = DBC_STABLE, .flags = DBC_API_MONITOR,                                          \
	  .comment = "the catalog of backups (created_at and verified_at in ISO-8601 UTC)")            \
	/* SQLite: the catalog carried across a restore of the whole file                              \
	 * (core/backup/backup_restore_carry.c): kept in a TEMP table before the                       \
	 * copy, its rows the restored catalog lacks put back after it. */                             \
	X(dbbackup_catalog_keep, dbbackup_catalog_keep, CORE_SQLITE, .part = DBC_PART_BACKUP,          \
	  .returns = DBC_T_INT8,                                                                       \
	  .comment = "keeps the backup catalog in a TEMP table before a restore; returns the rows "    \
	             "kept (NULL: no catalog)")                                                        \
	X(dbbackup_catalog_carry, dbbackup_catalog_carry, CORE_SQLITE, .part = DBC_PART_BACKUP,        \
	  .returns = DBC_T_INT8,                                                                       \
	  .comment = "puts back into the restored catalog the kept rows it lacks and drops the kept "  \
	             "copy; returns the rows put back (NULL: nothing was kept)")                       \
	/* Both engines: a backup made outside the database (pg_dump, pg_basebackup,                   \
	 * pgBackRest...; a backup's copy uploaded to a store), recorded by the                        \
	 * tool that made it (SQLite's catalog keeps no label, wal_start, wal_stop). */                \
	X(dbbackup_record, dbbackup_record, CORE_SCALAR, .part = DBC_PART_BACKUP,                      \
	  DBC_ARGS(DBC_ARG("kind", DBC_T_TEXT), DBC_ARG("location", DBC_T_TEXT),                       \
	           DBC_OPT("bytes", DBC_T_INT8, "NULL"), DBC_OPT("fingerprint", DBC_T_TEXT, "NULL"),   \
	           DBC_OPT("verified", DBC_T_BOOL, "true"), DBC_OPT("detail", DBC_T_TEXT, "NULL"),     \
	           DBC_OPT("sha256", DBC_T_TEXT, "NULL"), DBC_OPT("content", DBC_T_JSONB, "NULL"),     \
	           DBC_OPT("label", DBC_T_TEXT, "NULL"), DBC_OPT("wal_start", DBC_T_TEXT, "NULL"),     \
	           DBC_OPT("wal_stop", DBC_T_TEXT, "NULL"),                                            \
	           DBC_OPT("duration_ms", DBC_T_FLOAT8, "NULL")),                                      \
	  .returns = DBC_T_INT8, .flags = DBC_API_PRIVATE,                                             \
	  .comment = "records a backup made outside the database in dbcare.backups; returns its id")   \
	/* Both engines: the outcome of a later verification of a recorded backup                      \
	 * by the tool that made it (why NULL: verified), and one catalog row as                       \
	 * JSON (what such a verification compares with). */                                           \
	X(dbbackup_verified, dbbackup_verified, CORE_SCALAR, .part = DBC_PART_BACKUP,                  \
	  DBC_ARGS(DBC_ARG("id", DBC_T_INT8), DBC_OPT("why", DBC_T_TEXT, "NULL")),                     \
	  .returns = DBC_T_TEXT, .flags = DBC_API_PRIVATE,                                             \
	  .comment = "marks a recorded backup verified (why NULL) or failed with why; returns its "    \
	             "status")                                                                         \
	X(dbbackup_entry, dbbackup_entry, CORE_SCALAR, .part = DBC_PART_BACKUP,                        \
	  DBC_ARGS(DBC_OPT("id", DBC_T_INT8, "NULL"), DBC_OPT("path", DBC_T_TEXT, "NULL"),             \
	           DBC_OPT("label", DBC_T_TEXT, "NULL")),                                              \
	  .returns = DBC_T_JSONB, .volatility = DBC_STABLE, .flags = DBC_API_MONITOR,                  \
	  .comment = "the newest catalogued backup with that id, path or label, every column as "      \
	             "JSON; NULL when none")                                                           \
	/* Both engines: a named restore point (SQLite: a backup for it,                               \
	 * sealed with seal "zstd", "encrypt" or both;                                                 \
	 * PostgreSQL: pg_create_restore_point), with the schema fingerprint                           \
	 * and the audit chains' heads. */                                                             \
	X(dbbackup_mark, dbbackup_mark, CORE_SCALAR, .part = DBC_PART_BACKUP,                          \
	  DBC_ARGS(DBC_ARG("label", DBC_T_TEXT), DBC_OPT("seal", DBC_T_TEXT, "NULL")),                 \
	  .returns = DBC_T_TEXT, .flags = DBC_API_PRIVATE,                                             \
	  .comment = "records a named restore point (a backup on SQLite, sealed as seal asks; "        \
	             "pg_create_restore_point on PostgreSQL) with the schema fingerprint and the "     \
	             "audit heads; returns JSON")                                                      \
	X(dbbackup_marks, dbbackup_marks, CORE_TABLE, .part = DBC_PART_BACKUP,                         \
	  DBC_COLUMNS(DBC_COL("label", DBC_T_TEXT), DBC_COL("created_at", DBC_T_TEXT),                 \
	              DBC_COL("fingerprint", DBC_T_TEXT), DBC_COL("backup_id", DBC_T_INT8),            \
	              DBC_COL("backup_path", DBC_T_TEXT), DBC_COL("lsn", DBC_T_TEXT)),                 \
	  .volatility = DBC_STABLE, .flags = DBC_API_MONITOR,                                          \
	  .comment = "the restore points dbbackup_mark made, oldest first, with the file of the "      \
	             "backup taken for each (SQLite) or its LSN (PostgreSQL)")                         \
	/* Both engines: the database's identity, which a sealed backup's header                       \
	 * names (verify and restore refuse another database's sealed file;                            \
	 * pg/backup/fn_backup_identity.c, sqlite/backup/fn_backup.c). */                              \
	X(dbbackup_identity, dbbackup_identity, PG_SCALAR, .part = DBC_PART_BACKUP,                    \
	  .returns = DBC_T_TEXT, .volatility = DBC_STABLE, .flags = DBC_API_MONITOR,                   \
	  .comment = "the database's identity, which its sealed backups name")                         \
	/* Both engines: what a backup's logical verification compares, read                           \
	 * now (core/backup/backup_content.h): every table's row count and                             \
	 * content hash in the one format the catalogs keep. */                                        \
	X(dbbackup_content, dbbackup_content, CORE_SCALAR, .part = DBC_PART_BACKUP,                    \
	  .returns = DBC_T_JSONB, .volatility = DBC_STABLE,                                            \
	  .comment = "every table's row count and content hash, as a backup's logical verification "   \
	             "compares them (the reader's rights, no row security)")                           \
	/* Both engines: a restore drill (core/backup/backup_drill.c). SQLite,                         \
	 * given a path alone (or nothing: the newest backup), restores the                            \
	 * backup into scratch, checks, compares and records it; PostgreSQL                            \
	 * records the result of the drill `dbcare backup drill` ran (a dump                           \
	 * needs a scratch database, which only the command makes). Both take                          \
	 * a result with its path for a point-in-time log's drill (`dbcare                             \
	 * backup drill --log DIR`, method "log"): the one result SQLite takes,                        \
	 * refusing any other. SQLite, given a url with the path, drills the                           \
	 * store's copy (a file_copy row) the command fetched to path, and                             \
	 * records the drill against that copy's row. */                                               \
	X(dbbackup_drill, dbbackup_drill, CORE_SCALAR, .part = DBC_PART_BACKUP,                        \
	  DBC_ARGS(DBC_OPT("path", DBC_T_TEXT, "NULL"), DBC_OPT("result", DBC_T_TEXT, "NULL"),         \
	           DBC_OPT("url", DBC_T_TEXT, "NULL")),                                                \
	  .returns = DBC_T_TEXT, .flags = DBC_API_PRIVATE,                                             \
	  .comment = "a restore drill: restores a backup into scratch, checks it, compares it with "   \
	             "its record and records the drill (PostgreSQL: records the drill the command "    \
	             "ran); returns JSON")                                                             \
	/* (end of backup) */                                                                          \
                                                                                                   \
	/* ---- maintain: maintenance and repair plans (core/maintain) */                              \
	X(dbmaintain_plan, dbmaintain_plan, CORE_TABLE, .part = DBC_PART_MAINTAIN,                     \
	  DBC_ARGS(DBC_MODE_ARG),                                                                      \
	  DBC_COLUMNS(DBC_COL("object", DBC_T_TEXT), DBC_COL("action", DBC_T_TEXT),                    \
	              DBC_COL("reason", DBC_T_TEXT), DBC_COL("statement", DBC_T_TEXT),                 \
	              DBC_COL("safety", DBC_T_TEXT), DBC_COL("outside_transaction", DBC_T_BOOL),       \
	              DBC_COL("estimated_cost", DBC_T_FLOAT8)),                                        \
	  .flags = DBC_API_READ_ONLY | DBC_API_MONITOR,                                                \
	  .comment = "the statements that repair what the health report finds, with their safety")     \
	X(dbmaintain_run, dbmaintain_run, CORE_TABLE, .part = DBC_PART_MAINTAIN,                       \
	  DBC_ARGS(DBC_MODE_ARG, DBC_OPT("include", DBC_T_TEXT, "NULL")),                              \
	  DBC_COLUMNS(DBC_COL("object", DBC_T_TEXT), DBC_COL("action", DBC_T_TEXT),                    \
	              DBC_COL("statement", DBC_T_TEXT), DBC_COL("safety", DBC_T_TEXT),                 \
	              DBC_COL("status", DBC_T_TEXT), DBC_COL("duration_ms", DBC_T_FLOAT8)),            \
	  .flags = DBC_API_PRIVATE,                                                                    \
	  .comment = "runs the safe rows of dbmaintain_plan (and those include names), all or "        \
	             "nothing, and records them")                                                      \
	X(dbmaintain_history, dbmaintain_history, CORE_TABLE, .part = DBC_PART_MAINTAIN,               \
	  DBC_COLUMNS(DBC_COL("run", DBC_T_INT8), DBC_COL("run_at", DBC_T_TEXT),                       \
	              DBC_COL("mode", DBC_T_TEXT), DBC_COL("object", DBC_T_TEXT),                      \
	              DBC_COL("action", DBC_T_TEXT), DBC_COL("statement", DBC_T_TEXT),                 \
	              DBC_COL("safety", DBC_T_TEXT), DBC_COL("status", DBC_T_TEXT),                    \
	              DBC_COL("duration_ms", DBC_T_FLOAT8)),                                           \
	  .volatility = DBC_STABLE, .flags = DBC_API_MONITOR,                                          \
	  .comment = "every row dbmaintain_run recorded, oldest first")                                \
	/* (end of maintain) */                                                                        \
	/* (end of the table) */
#endif
