/*
 * health.h — dbhealth_*: the check catalogue, grading, scoring and rendering,
 * once for both engines. Each engine's glue gathers facts (one set-based query
 * per check) into a dbc_health_fact; the core honours settings and
 * health.ignore, grades, scores and renders JSON, rows and Prometheus text.
 */
#ifndef DBC_HEALTH_H
#define DBC_HEALTH_H

#include "base/clock.h"
#include "base/dbc.h"
#include "schema/schema.h"
#include "settings/settings.h"

/* What a report judges: the connection that runs it (the default: an
 * application's own call sees its own settings), or the database (the
 * dbcare command and serve: a setting of one connection, as SQLite's
 * PRAGMA foreign_keys, tells nothing of the application's connections, so
 * a check of one is skipped, saying why). dbhealth_report's and
 * dbhealth_metrics' scope argument: 'connection' or 'database'. */
typedef enum { DBC_HEALTH_SCOPE_CONNECTION = 0, DBC_HEALTH_SCOPE_DATABASE = 1 } dbc_health_scope;

/* Modes are cost classes: a check runs when the mode is at least its class. */
typedef enum { DBC_HEALTH_QUICK = 0, DBC_HEALTH_STANDARD = 1, DBC_HEALTH_FULL = 2 } dbc_health_mode;

typedef enum {
	DBC_CHECK_OK = 0,
	DBC_CHECK_WARNING = 1,
	DBC_CHECK_CRITICAL = 2,
	DBC_CHECK_SKIPPED = 3,
	DBC_CHECK_ERROR = 4,
} dbc_check_status;

/* How the graded number of a check comes out of its fact. */
typedef enum {
	DBC_VALUE_COUNT,  /* the number of offending objects left after health.ignore */
	DBC_VALUE_MAX,    /* the highest object value left after health.ignore (0 if none) */
	DBC_VALUE_SCALAR, /* fact->value as the glue set it (database-wide numbers) */
} dbc_value_kind;

typedef struct dbc_health_fact dbc_health_fact;
typedef struct dbc_health_hooks dbc_health_hooks;

/* Every health check, in the order of the report. The catalogue
 * (health_catalog.c) has one row per id and each engine's glue a table of
 * gatherers indexed by it: a check is named once, and a misspelled id is a
 * compile error, not a check silently left out. */
typedef enum {
	DBC_HC_INTEGRITY,
	DBC_HC_FOREIGN_KEYS_ENFORCED,
	DBC_HC_FOREIGN_KEY_VIOLATIONS,
	DBC_HC_CONSTRAINT_VIOLATIONS,
	DBC_HC_ORPHANS,
	DBC_HC_MIGRATIONS,
	DBC_HC_SCHEMA_DRIFT,
	DBC_HC_TABLES_WITHOUT_PRIMARY_KEY,
	DBC_HC_UNINDEXED_FOREIGN_KEYS,
	DBC_HC_DUPLICATE_INDEXES,
	DBC_HC_FRAGMENTATION,
	DBC_HC_TABLE_BLOAT,
	DBC_HC_STATISTICS,
	DBC_HC_SLOW_QUERIES,
	DBC_HC_INVALID_INDEXES,
	DBC_HC_UNUSED_INDEXES,
	DBC_HC_NOT_VALID_CONSTRAINTS,
	DBC_HC_SEQUENCE_EXHAUSTION,
	DBC_HC_XID_WRAPAROUND,
	DBC_HC_LONG_TRANSACTIONS,
	DBC_HC_IDLE_IN_TRANSACTION,
	DBC_HC_CONNECTIONS,
	DBC_HC_CACHE_HIT_RATIO,
	DBC_HC_DISABLED_TRIGGERS,
	DBC_HC_REPLICATION,
	DBC_HC_JOURNAL_MODE,
	DBC_HC_BACKUPS,
	DBC_HC_RETENTION,
	DBC_HC_AUDIT,
	DBC_HC_MIGRATIONS_OVERDUE,
	DBC_HC_SCORE_DROP,
	DBC_HC_BACKUP_DRILLS,
	DBC_HC_POINT_IN_TIME_LOG,
	DBC_HC_XMIN_HORIZON,
	DBC_HC_COUNT
} dbc_health_check_id;

/* Fills fact for one applicable, enabled check. Returning DBC_ERROR makes
 * the check "error" with the ctx message; the report goes on. */
typedef int (*dbc_health_gather_fn)(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                                    dbc_health_fact *fact);

typedef struct dbc_health_check_def {
	dbc_health_check_id id; /* its index in the catalogue */
	const char *name;
	unsigned engines;     /* where it applies; elsewhere it is left out of the report */
	dbc_health_mode cost; /* the cheapest mode that runs it */
	int penalty;          /* default; taken when the check is warning or critical */
	int penalty_cap;      /* > 0: penalty counts per offending object, up to this */
	double warn;          /* default thresholds; negative disables the level */
	double critical;
	bool lower_is_worse; /* value < threshold fires (cache_hit_ratio) */
	dbc_value_kind value_kind;
	const char *unit;  /* appended to numbers in messages: "%", " s", "" */
	const char *noun1; /* "table without a primary key" */
	const char *nounN; /* "tables without a primary key" */
	const char *ok_message;
	const char *hint; /* default hint when not ok */
	const char *description;
	/* Set for a check the core gathers itself (migrations, constraint
	 * checks: features of core/ that work on both engines); NULL: the
	 * engine's gatherer of this id runs it. */
	dbc_health_gather_fn core_gather;
	/* The dbmaintain_plan() action that repairs its findings (the hint
	 * points to that row); NULL: the plan has none for this check. */
	const char *repair;
} dbc_health_check_def;

/* DBC_HC_COUNT rows, row i of id i. */
extern const dbc_health_check_def dbc_health_checks_catalog[DBC_HC_COUNT];
extern const int dbc_health_checks_count; /* DBC_HC_COUNT */
const dbc_health_check_def *dbc_health_find_check(const char *name);
/* The health keys (health_catalog.c): four per check (health.<check>.enabled,
 * penalty, warn, critical; a key applies where its check runs) and the few
 * others; the glue lists it in dbc_host.settings_sources. */
extern const dbc_settings_source dbc_health_settings;

/* A column a sequence's widening takes along (sequence_exhaustion): another
 * column the sequence feeds, or one whose foreign key references a widened
 * column (transitively), narrower than bigint; sequence: its own serial
 * sequence when that is narrower too (an identity's follows its column). */
typedef struct dbc_health_widen {
	char *schema, *table, *column;
	char *sequence_schema, *sequence; /* NULL when none to widen */
} dbc_health_widen;

/* An object a check found (a table, index, constraint, sequence, session...). */
typedef struct dbc_health_object {
	char *schema; /* NULL in SQLite */
	char *name;
	char *table; /* the table it belongs to, if any: ignoring the table ignores it */
	double value;
	char *detail; /* shown after the name in the message, may be NULL */
	/* What a repair of the object needs beyond the names above, for the
	 * maintenance plan (maintain/maintain.h builds its statement from them;
	 * nothing here is shown in the report). Set by the gatherers of the
	 * checks whose findings have a repair; empty or NULL otherwise. */
	char *index;         /* integrity: the index a problem names (its table is table) */
	dbc_strlist columns; /* unindexed_foreign_keys: the referencing columns */
	char *listing;       /* a query listing the rows that block the repair */
	/* sequence_exhaustion: the column the sequence feeds, when that column
	 * is narrower than bigint, and the sequence's own type */
	char *column_schema, *column_table, *column;
	char *type;
	/* sequence_exhaustion: the columns widened with it (referencing columns) */
	dbc_health_widen *widen;
	int nwiden;
	/* sequence_exhaustion, as decimal text: the sequence's own bound in the
	 * direction it moves (MAXVALUE, or MINVALUE when it descends), the bound
	 * its type and the column it feeds allow that way, and its increment
	 * (dbc_health_sequence_capped compares them) */
	char *own_bound, *room_bound, *increment;
	/* xmin_horizon: what holds the horizon back (type: "prepared", "session",
	 * "slot" or "standby") and what names it to its repair: the prepared
	 * transaction's gid, the backend's pid, the slot's name */
	char *holder;
} dbc_health_object;

struct dbc_health_fact {
	const dbc_health_check_def *def;
	/* Set by the gatherer. */
	bool skipped;
	bool denied;                 /* skipped because the engine refused the caller its part
	                              * (a privilege): the check is unread (dbc_health_result) */
	char *reason;                /* skipped: why (becomes the message) */
	char *hint;                  /* overrides def->hint */
	double value;                /* DBC_VALUE_SCALAR */
	char *value_text;            /* display value instead of the number ("ok", "wal") */
	char *message;               /* overrides the composed message */
	char *note;                  /* appended to the message, whichever it is ("; " + note) */
	dbc_check_status min_status; /* grading never goes below this (e.g. a failed migration) */
	int cap;                     /* > 0: the gatherer read at most this many objects; when it
	                              * has that many, the message says "at least" */
	dbc_health_object *objects;
	int nobjects;
	int capobjects;
};

/* Gatherer helpers. */
void dbc_health_skip(dbc_ctx *ctx, dbc_health_fact *fact, const char *reason, const char *hint);
/* A skip because the caller may not read the check's part (its hint names the
 * grant): unlike a check that does not apply, it leaves the report unread. */
void dbc_health_skip_denied(dbc_ctx *ctx, dbc_health_fact *fact, const char *reason,
                            const char *hint);
/* A finding a check adds beyond its value: status the floor of the
 * check's, text appended to its note; a skipped check stops being one
 * (value "none"): the finding is what it found. */
void dbc_health_finding(dbc_ctx *ctx, dbc_health_fact *fact, dbc_check_status status,
                        const char *text);
int dbc_health_add_object(dbc_ctx *ctx, dbc_health_fact *fact, const char *schema, const char *name,
                          const char *table, double value, const char *detail);
/* Runs sql and adds one object per row; columns (schema, name, table, value,
 * detail), each may be NULL. The usual one-query gatherer. Optional further
 * columns fill the object's repair fields: (listing, column_schema,
 * column_table, column, type, own_bound, room_bound, increment, holder). */
int dbc_health_collect(dbc_ctx *ctx, dbc_health_fact *fact, const char *sql, int nparam,
                       const dbc_value *params);
/* sequence_exhaustion: whether o's limit is its own MAXVALUE (MINVALUE when
 * it descends), narrower than both its type and the column it feeds: then
 * raising that bound, not widening a column, repairs it. *room: the bound
 * its type and column allow (what the bound may be raised to); *type_bound:
 * whether that is its type's own end (so NO MAXVALUE / NO MINVALUE says it);
 * *descending: MINVALUE is meant. */
bool dbc_health_sequence_capped(const dbc_health_object *o, long long *room, bool *type_bound,
                                bool *descending);
/* Its row callback (arg: the fact), for a gatherer that gets its rows elsewhere. */
int dbc_health_collect_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *cols);

/* Database-wide numbers of the report's "metrics" object. Negative / NULL: unknown. */
typedef struct dbc_health_metrics {
	int64_t size_bytes;
	int64_t tables;
	int64_t indexes;
	char *schema_fingerprint;
	char *migration_version;
	int64_t pending_migrations;
	/* the newest restore drill (health_drills.c): when it was recorded
	 * (seconds since 1970), how long its restore took, whether it passed;
	 * drill_known false when none is recorded or it cannot be read */
	bool drill_known, drill_ok;
	double drill_epoch, drill_seconds;
	/* SQLite's point-in-time log (backup.log.dir set; log_known false
	 * otherwise, and its families are left out): seconds since its newest
	 * record (negative: none yet), whether a capture holds it, the last
	 * restorable moment (seconds since 1970; negative: none yet), whether
	 * the log misses its end (segment files lost: sqlite/pitr/pitr_end.h),
	 * whether its capture failed and copied nothing since (a full disk) */
	bool log_known, log_capturing, log_end_missing, log_capture_failed;
	double log_lag_seconds, log_restorable_epoch;
	/* the staged backups waiting for dbcare backup --ship
	 * (dbc_backup_waiting_metrics: waiting_known where staging is on,
	 * SQLite with backup.dir a store's URL and backup.stage_dir set; false
	 * otherwise, and its families are left out): their count and the
	 * oldest's age in seconds (0 when none waits) */
	bool waiting_known;
	int64_t waiting;
	double waiting_oldest_seconds;
} dbc_health_metrics;

/* One stored snapshot, for growth. */
typedef struct dbc_health_sample {
	double epoch; /* seconds since 1970 */
	double size_bytes;
} dbc_health_sample;

typedef struct dbc_health_samples {
	dbc_health_sample *items;
	int n;
	int cap;
} dbc_health_samples;

int dbc_health_samples_add(dbc_ctx *ctx, dbc_health_samples *s, double epoch, double size_bytes);

/* One user table's size, as a snapshot records it (health_tables.c). */
typedef struct dbc_health_table_size {
	char *schema; /* NULL in SQLite */
	char *name;
	int64_t rows;  /* the engine's estimate (SQLite: counted); -1 unknown */
	int64_t bytes; /* with its indexes (and TOAST) */
} dbc_health_table_size;

typedef struct dbc_health_table_sizes {
	dbc_health_table_size *items;
	int n;
	int cap;
	/* set by the caller: the rows are not wanted (left -1; SQLite then
	 * counts none, which would read every table) */
	bool sizes_only;
} dbc_health_table_sizes;

int dbc_health_table_sizes_add(dbc_ctx *ctx, dbc_health_table_sizes *t, const char *schema,
                               const char *name, int64_t rows, int64_t bytes);

/* One statement's counters since the engine's statistics were last reset
 * (health_queries.c): PostgreSQL's pg_stat_statements of this database by
 * queryid, SQLite's dbmonitor slots of this connection by the SHA-256 of
 * the text. */
typedef struct dbc_health_query_stat {
	char *query_id;
	char *query; /* cut to DBC_HEALTH_QUERY_TEXT_MAX bytes; NULL: not readable */
	int64_t calls;
	double total_ms;
	int64_t rows; /* -1 unknown (SQLite) */
} dbc_health_query_stat;

#define DBC_HEALTH_QUERY_TEXT_MAX 2000

typedef struct dbc_health_query_stats {
	const char *source; /* "pg_stat_statements" or "dbmonitor" */
	/* set when the source cannot be read here: why (not installed, not
	 * loaded, not recording), and how to enable it; the items are empty */
	char *absent, *hint;
	dbc_health_query_stat *items; /* most total time first */
	int n, cap;
} dbc_health_query_stats;

int dbc_health_query_stats_add(dbc_ctx *ctx, dbc_health_query_stats *q, const char *query_id,
                               const char *query, int64_t calls, double total_ms, int64_t rows);

struct dbc_migrate_summary;

/* What one run shares between its checks: the schema is read at most once,
 * and so is the migration summary (the migrations check and the metrics). */
typedef struct dbc_health_shared {
	dbc_schema *schema;                     /* NULL until dbc_health_schema() reads it */
	const dbc_strlist *ignore;              /* health.ignore, split */
	struct dbc_migrate_summary *migrations; /* NULL until summarised without error */
	/* the integrity check verified every unique index of the database (a
	 * gatherer sets it; dbc_check_options.keys_proven says what it proves) */
	bool keys_proven;
} dbc_health_shared;

/* The live schema of this run, read through the host on first use. */
int dbc_health_schema(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_schema **out);

/* Catalog checks decided from the model (health_model.c); each adds its
 * objects to fact in table order. unindexed_fk: rowid_keys says a one-column
 * key on an INTEGER PRIMARY KEY needs no index (SQLite's rowid). fks: one
 * object per declared foreign key, "table(columns)"; *enforced is false when
 * any of them is not enforced. indexed: per table, whether it
 * has any index (array in the arena). */
int dbc_health_model_no_pk(dbc_ctx *ctx, const dbc_schema *s, const dbc_strlist *archives,
                           dbc_health_fact *fact);
/* The gatherer of tables_without_primary_key on both engines, from the model. */
int dbc_health_gather_no_pk(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                            dbc_health_fact *fact);
int dbc_health_model_unindexed_fk(dbc_ctx *ctx, const dbc_schema *s, bool rowid_keys,
                                  dbc_health_fact *fact);
int dbc_health_model_duplicate_indexes(dbc_ctx *ctx, const dbc_schema *s, dbc_health_fact *fact);
int dbc_health_model_fks(dbc_ctx *ctx, const dbc_schema *s, dbc_health_fact *fact, bool *enforced);
bool *dbc_health_model_indexed(dbc_ctx *ctx, const dbc_schema *s);

/* The health part's hooks: what an engine's glue provides beyond the host
 * interface (whose dialect names the engine and says which checks apply;
 * the live schema comes through dbc_host.read_schema). */
struct dbc_health_hooks {
	const char *engine_version;
	const char *database;
	void *state;
	/* Set by the caller after the glue filled the hooks (the glue leaves
	 * them 0): the report's scope, and the label a caller that tells
	 * several databases apart gives it (NULL: health.database_label, else
	 * database). A label given makes health.database_label a display name
	 * beside it, never the label. */
	dbc_health_scope scope;
	const char *label;
	dbc_health_shared *shared; /* set by dbc_health_run for the gatherers */
	/* DBC_HC_COUNT gatherers indexed by check id, for every check that
	 * applies to this engine and has no core_gather (NULL for the others).
	 * A missing one is the check's "error" row, never a silent skip. */
	const dbc_health_gather_fn *gatherers;
	/* size_bytes, tables, indexes (the core adds fingerprint and migrations). */
	int (*metrics)(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_metrics *m);
	/* The limit largest user tables, largest first (dbhealth_snapshot
	 * records them: the per-table growth history). NULL: the engine
	 * records none. */
	int (*table_sizes)(dbc_ctx *ctx, const dbc_health_hooks *eng, int limit,
	                   dbc_health_table_sizes *out);
	/* The limit statements of most total time now (dbhealth_snapshot
	 * records them, dbhealth_queries compares with them); out->source set,
	 * out->absent when the engine's statistics cannot be read here (never
	 * an error: the report goes on). NULL: the engine has none. */
	int (*query_stats)(dbc_ctx *ctx, const dbc_health_hooks *eng, int limit,
	                   dbc_health_query_stats *out);
	/* What the engine does its own way for retention (core/retain): the
	 * "retention" check reads the policies through it. */
	const struct dbc_retain_hooks *retain;
};

/* One graded check. */
typedef struct dbc_health_result {
	const dbc_health_check_def *def;
	dbc_check_status status;
	/* The check could not read its part of the database: an error row, or a
	 * skip the engine's privileges forced (fact->denied). An unread check
	 * costs its penalty, since what it did not read it cannot vouch for, and
	 * makes the report unknown (dbc_health_status_of). */
	bool unread;
	int penalty;
	bool has_value;
	double value;
	char *value_text; /* display form (NULL when no value) */
	bool has_threshold;
	double threshold;
	char *message;
	char *hint;
	double warn_at; /* the effective warn threshold (negative: none) */
} dbc_health_result;

typedef struct dbc_health_report {
	const dbc_health_hooks *eng;
	const char *database;     /* the label: eng->label, else health.database_label, else
	                           * eng->database */
	const char *display_name; /* health.database_label when eng->label is the label */
	dbc_health_mode mode;
	char *checked_at; /* ISO-8601 UTC with milliseconds */
	double duration_ms;
	int score;
	const char *status; /* "healthy" | "warning" | "unknown" | "critical" */
	dbc_health_result *results;
	/* The fact behind results[i] (skipped and failed checks: empty), for
	 * the maintenance plan, which repairs what the report found. */
	dbc_health_fact *facts;
	dbc_strlist ignore; /* health.ignore of this run, split */
	dbc_schema *schema; /* the model the run read (NULL when no check read it) */
	int nresults;
	dbc_health_metrics metrics;
} dbc_health_report;

/* The name of the oldest holder of the xmin horizon r found past
 * xmin_horizon's warn line (not ignored), or NULL (health_xmin.c). */
const char *dbc_health_xmin_holder(const dbc_health_report *r);
/* While such a holder stays, the fragmentation finding's hint names it:
 * VACUUM cannot remove the dead tuples newer than the horizon. */
int dbc_health_link_xmin_holder(dbc_ctx *ctx, dbc_health_report *r);
/* "connection" | "database"; NULL means connection. Bad text is a 22023 error. */
int dbc_health_parse_scope(dbc_ctx *ctx, const char *text, dbc_health_scope *scope);
/* "quick" | "standard" | "full"; NULL means standard. Bad text is a 22023 error. */
int dbc_health_parse_mode(dbc_ctx *ctx, const char *text, dbc_health_mode *mode);
const char *dbc_health_mode_name(dbc_health_mode mode);
const char *dbc_check_status_name(dbc_check_status s);

/* Grades one fact with the given thresholds (pure: used by the runner and tests). */
int dbc_health_grade(dbc_ctx *ctx, const dbc_health_fact *fact, int penalty, double warn,
                     double critical, const dbc_strlist *ignore, dbc_health_result *out);
/* Score and status rule of docs/health.md ("Scoring"), the one home of a
 * report's grade: the score is 100 less the penalties of the checks at
 * warning or critical and of the unread ones; the status is critical when a
 * check is critical or the findings alone score below
 * DBC_HEALTH_SCORE_CRITICAL, else unknown when a check is unread (a monitor
 * that could not read the database never says healthy), else warning below
 * DBC_HEALTH_SCORE_WARNING, else healthy. */
#define DBC_HEALTH_SCORE_CRITICAL 60
#define DBC_HEALTH_SCORE_WARNING  80
int dbc_health_score_of(const dbc_health_result *results, int n);
const char *dbc_health_status_of(const dbc_health_result *results, int n);
/* The rank of the status "unknown" (dbc_health_grade_rank): above critical,
 * so --fail-on warning and critical and readiness all fail it. */
#define DBC_HEALTH_UNKNOWN_RANK 3
/* The grades' words and their order (health_grades.c): every reader of a
 * report compares through these, never through words of its own.
 * "ok" and "healthy" rank 0 (DBC_CHECK_OK), "warning" 1, "critical" 2,
 * "unknown" DBC_HEALTH_UNKNOWN_RANK; any other word ("skipped", "error",
 * NULL) -1. */
int dbc_health_grade_rank(const char *word);
/* The report's worst_check: the worst of the checks' warning and critical
 * grades, "ok" when none (skipped and error rows cost nothing and grade
 * nothing, as in the score). */
const char *dbc_health_worst_check_of(const dbc_health_result *results, int n);
/* --fail-on's rule (docs/cli.md): the report reaches level ("warning" or
 * "critical") when its status or its worst_check ranks at least as high. */
bool dbc_health_reaches(const char *status, const char *worst_check, const char *level);
/* draft-inadarei-api-health-check's word for a report's status or a check's
 * status: healthy/ok pass, warning warn, error warn (the check could not
 * read its part), critical fail, anything unknown fail; NULL for skipped
 * (a check that did not run is no entry). */
const char *dbc_health_api_status(const char *word);
/* The worse of two such words (pass < warn < fail; an unknown word is fail;
 * NULL, nothing graded yet, is below pass: both NULL give pass). */
const char *dbc_health_api_worse(const char *a, const char *b);
/* Whether such a word (or NULL, nothing graded) is pass; whether it is fail
 * (an unknown word is). */
bool dbc_health_api_passes(const char *word);
bool dbc_health_api_fails(const char *word);
/* health+json's word for a database: pass when it was read now, warn when
 * only an earlier report stands (this read failed), fail when it has none. */
const char *dbc_health_api_reached(bool read_now, bool have_report);
/* ... for a report's age: warn when stale (dbc_health_stale), else pass. */
const char *dbc_health_api_aged(bool stale);
/* A report's check row (its status word and penalty) is one that could
 * not read its part (dbc_health_result.unread): an error row, or a skip
 * that cost its penalty (a read the engine denied). */
bool dbc_health_row_unread(const char *check_status, long long penalty);
/* A report's status word says its checks could not read the database
 * ("unknown"): no reader may present it as a verdict on the database. */
bool dbc_health_unread(const char *status);
/* The schema_drift check's status word says the schema drifted. */
bool dbc_health_drifted(const char *schema_drift_status);
/* A report age_s seconds old is stale above stale_s seconds
 * (health.alerts.stale_seconds, as the DbcareMetricsStale alert fires;
 * 0: never stale). */
bool dbc_health_stale(double age_s, double stale_s);
/* Readiness (dbcare serve's /readyz): why a database with these figures is
 * not ready for traffic, a mask of DBC_NOT_READY_*; 0 when it is ready.
 * status is its report's status word. */
enum {
	DBC_NOT_READY_PENDING = 1u,  /* migrations are pending */
	DBC_NOT_READY_DRIFT = 2u,    /* the schema drifted from the one recorded */
	DBC_NOT_READY_CRITICAL = 4u, /* the health report is critical */
	DBC_NOT_READY_UNKNOWN = 8u,  /* the health report could not read the database */
};
unsigned dbc_health_not_ready(int pending, bool drift, const char *status);
/* True when an ignore entry names the object, its table, or either qualified. */
bool dbc_health_ignored(const dbc_strlist *ignore, const char *schema, const char *name,
                        const char *table);

/* Runs step under a savepoint of its own on engines that need one (a
 * PostgreSQL error leaves the transaction aborted otherwise). A failure other
 * than a cancel, a timeout, a locked database (55P03) or running out of
 * memory, which are the call's error, is cleared and leaves
 * *ok false (and *why, when not NULL, its message): a part of the report
 * that cannot be read (a bookkeeping table dropped by hand, a privilege
 * missing) makes that part unknown, never the call an error. */
typedef int (*dbc_health_step)(dbc_ctx *ctx, const dbc_health_hooks *eng, void *arg);
int dbc_health_tolerant(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_step step, void *arg,
                        bool *ok, char **why);

/* Runs every check of the catalogue for eng in mode. */
int dbc_health_run(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                   dbc_health_report *out);

/* Renderings. */
int dbc_health_report_json(dbc_ctx *ctx, const dbc_health_report *r, char **out);
/* The same as a jansson tree (*out: the caller's reference), for a glue that
 * converts it to its engine's JSON type directly; text: DBC_JSON_REPORT. */
struct json_t;
int dbc_health_report_tree(dbc_ctx *ctx, const dbc_health_report *r, struct json_t **out);
/* Rows (name, status, penalty, value, threshold, message, hint). */
int dbc_health_report_rows(dbc_ctx *ctx, const dbc_health_report *r, dbc_rows *out);
/* The report's families added to p (dbc_prom below); _prometheus: rendered. */
struct dbc_prom;
int dbc_health_report_prom(dbc_ctx *ctx, const dbc_health_report *r, struct dbc_prom *p);
int dbc_health_report_prometheus(dbc_ctx *ctx, const dbc_health_report *r, char **out);
/* Prometheus label value escaping (backslash, double quote, newline). */
char *dbc_prom_escape_label(dbc_ctx *ctx, const char *s);
/* The labels of every sample of a database's families:
 * engine="<engine>",database="<database escaped>". */
char *dbc_prom_database_labels(dbc_ctx *ctx, const char *engine, const char *database);

/* The Prometheus exposition as a typed model (health_prom.c): families of
 * labelled samples, filled by the renderers of dbhealth_metrics and by
 * dbcare serve, and rendered once, in the text format 0.0.4, by
 * dbc_prom_text. Strings live in the ctx's arena. */
typedef enum dbc_prom_format {
	DBC_PROM_GO,     /* whole numbers plainly, others in full (%.17g) */
	DBC_PROM_MILLIS, /* whole numbers plainly, others to the millisecond */
	DBC_PROM_FIXED1, /* always one decimal */
	DBC_PROM_FIXED3, /* always three decimals */
} dbc_prom_format;
typedef struct dbc_prom_sample {
	const char *labels; /* label text, escaped: engine="...",database="..." */
	double value;       /* NaN: unknown; +-Inf as such */
	dbc_prom_format format;
} dbc_prom_sample;
typedef struct dbc_prom_family {
	const char *name, *type, *help; /* type, help: NULL when not known */
	dbc_prom_sample *samples;
	int n, cap;
} dbc_prom_family;
typedef struct dbc_prom {
	dbc_ctx *ctx;
	dbc_prom_family *families; /* in the order first added */
	int n, cap;
} dbc_prom;
void dbc_prom_init(dbc_prom *p, dbc_ctx *ctx);
/* The family name of p, added at the end (with type and help) when new; an
 * existing family keeps its type and help. The pointer is valid until the
 * next family is added. NULL on out of memory. */
dbc_prom_family *dbc_prom_family_of(dbc_prom *p, const char *name, const char *type,
                                    const char *help);
/* A sample of f (NULL f or labels: DBC_ERROR, for a chain of calls). */
int dbc_prom_add(dbc_prom *p, dbc_prom_family *f, const char *labels, double v,
                 dbc_prom_format format);
/* A gauge's sample in the GO format, its family added when new. */
int dbc_prom_gauge(dbc_prom *p, const char *name, const char *help, const char *labels, double v);
/* Every sample of from added to into, family by family (into's type and
 * help win for a family both have). */
int dbc_prom_merge(dbc_prom *into, const dbc_prom *from);
/* The exposition of p; NULL on out of memory. */
char *dbc_prom_text(const dbc_prom *p);
/* p as the JSON of dbhealth_samples (health_prom.c says its form), and
 * such JSON added to p; a model read back renders the text of the one
 * written. NULL / DBC_ERROR with the ctx's error. */
char *dbc_prom_json(const dbc_prom *p);
int dbc_prom_from_json(dbc_prom *p, const char *text);

/* The Prometheus alerting rules (health_alerts.c) as YAML, from the
 * thresholds the checks grade with: lookup(arg, key) gives a settings key's
 * effective text ("health.<check>.warn", "health.backups.max_age"), NULL
 * for its default (lookup NULL: every default, the catalogue's). */
typedef const char *(*dbc_alert_lookup)(void *arg, const char *key);
int dbc_health_alert_rules(dbc_ctx *ctx, dbc_alert_lookup lookup, void *arg, char **out);

/* dbhealth_history (health_series.c): the newest limit snapshots, oldest
 * first (taken_at, epoch, size_bytes, score); dbhealth_table_history: the
 * table sizes the snapshots of the last days recorded (table, taken_at,
 * epoch, bytes), by table, oldest first. */
#define DBC_HEALTH_HISTORY_NCOLS       4
#define DBC_HEALTH_TABLE_HISTORY_NCOLS 4
int dbc_health_history(dbc_ctx *ctx, int64_t limit, dbc_rows *out);
/* dbhealth_largest_tables: the engine's limit largest user tables now,
 * largest first (table, bytes with indexes), as the snapshots record them;
 * where the engine has schemas the table is named as SQL writes it
 * (schema.name, each quoted where needed). */
#define DBC_HEALTH_LARGEST_NCOLS 2
int dbc_health_largest_tables(dbc_ctx *ctx, const dbc_health_hooks *eng, int64_t limit,
                              dbc_rows *out);
int dbc_health_table_history(dbc_ctx *ctx, int64_t days, dbc_rows *out);
/* dbhealth_snapshot / dbhealth_growth. */
int dbc_health_snapshot(dbc_ctx *ctx, const dbc_health_hooks *eng, char **json_out);
int dbc_health_growth(dbc_ctx *ctx, const dbc_health_hooks *eng, double days, char **json_out);
/* The growth JSON of given samples (oldest first). */
int dbc_health_growth_json(dbc_ctx *ctx, double days, const dbc_health_samples *s, char **json_out);
/* The per-table growth history (health_tables.c), bounded by the settings
 * health.growth.tables (tables per snapshot) and health.growth.points
 * (snapshots kept per table): record the engine's largest tables with
 * snapshot_id and drop the rows of older snapshots; the "tables" array of
 * dbhealth_growth (fastest-growing first, each fitted like the database);
 * the table families of dbhealth_metrics added to p (none without snapshots). */
int dbc_health_tables_record(dbc_ctx *ctx, const dbc_health_hooks *eng, int64_t snapshot_id);
int dbc_health_tables_growth(dbc_ctx *ctx, double days, struct json_t **out);
int dbc_health_tables_prom(dbc_ctx *ctx, const dbc_health_report *r, struct dbc_prom *p);
/* The query statistics history (health_queries.c), bounded by the settings
 * health.queries.top (statements per snapshot) and health.queries.points
 * (snapshots kept): record the engine's statements of most total time with
 * snapshot_id and drop the rows of older snapshots (nothing when the
 * source is absent); dbhealth_queries: the top statements now (or, where
 * the source cannot be read here, at the newest snapshot) with what each
 * did since the snapshot before, as JSON (docs/health.md). */
int dbc_health_queries_record(dbc_ctx *ctx, const dbc_health_hooks *eng, int64_t snapshot_id);
int dbc_health_queries(dbc_ctx *ctx, const dbc_health_hooks *eng, int64_t top, char **json_out);
/* The audit volume families of dbhealth_metrics added to p (health_audit_volume.c). */
int dbc_health_audit_prom(dbc_ctx *ctx, const dbc_health_report *r, struct dbc_prom *p);
/* Least-squares fit: *bytes_per_day; false when fewer than two samples or one instant. */
bool dbc_health_fit(const dbc_health_samples *s, double *bytes_per_day, double *intercept);

/* Hooks into the other parts of core/ (health_hooks.c): the checks
 * migrations, schema_drift, foreign_key_violations, constraint_violations and
 * orphans, and the migration numbers of the metrics. */
int dbc_health_gather_migrations(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                                 dbc_health_fact *fact);
int dbc_health_gather_schema_drift(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                                   dbc_health_fact *fact);
int dbc_health_gather_fk_violations(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                                    dbc_health_fact *fact);
int dbc_health_gather_constraint_violations(dbc_ctx *ctx, const dbc_health_hooks *eng,
                                            dbc_health_mode mode, dbc_health_fact *fact);
int dbc_health_gather_retention(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                                dbc_health_fact *fact);
int dbc_health_gather_orphans(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                              dbc_health_fact *fact);
/* The checks of the alerting rules' thresholds (health_history.c). */
int dbc_health_gather_migrations_overdue(dbc_ctx *ctx, const dbc_health_hooks *eng,
                                         dbc_health_mode mode, dbc_health_fact *fact);
int dbc_health_gather_score_drop(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                                 dbc_health_fact *fact);
/* The migration summary of this run, read once and shared, and the
 * metrics made of it (health_migrations.c). */
int dbc_health_migration_summary(dbc_ctx *ctx, const dbc_health_hooks *eng,
                                 struct dbc_migrate_summary *out);
int dbc_health_migration_metrics(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_metrics *m);
/* Restore drills (health_drills.c): the check backup_drills, the hours
 * since the newest good drill (critical when the newest one failed), and
 * the newest drill's numbers for the metrics. */
int dbc_health_gather_backup_drills(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                                    dbc_health_fact *fact);
int dbc_health_drill_metrics(dbc_ctx *ctx, dbc_health_metrics *m);
/* The newest restore drill as both read it (health_drills.c). */
typedef struct dbc_health_drill {
	int64_t drills;     /* rows of any status */
	bool good;          /* a good one exists */
	double hours;       /* since the newest good one */
	bool newest_failed; /* the newest drill failed */
	char *detail;       /* its reason */
	double epoch, ms;   /* the newest drill's moment and duration */
} dbc_health_drill;
int dbc_health_drill_read(dbc_ctx *ctx, dbc_health_drill *n);

/* Rounding without libm (the modules link no libm): nearest, halves away from 0;
 * only for |v| < 2^62. dbc_is_whole: an integer within 1e-9. */
double dbc_round(double v);
bool dbc_is_whole(double v);

#endif
