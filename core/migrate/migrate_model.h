/*
 * migrate_model.h — the in-memory picture of a database's migrations (the
 * registry and what is applied) and the pure rules over it: state derivation,
 * validation and planning. Read once per call, sorted once: O(n log n).
 */
#ifndef DBC_MIGRATE_MODEL_H
#define DBC_MIGRATE_MODEL_H

#include "base/dbc.h"

/* A registered migration (a row of <prefix>migrations). */
typedef struct dbc_migration {
	bool repeatable;
	char *version;      /* canonical; NULL for repeatables */
	char *version_text; /* as registered ("1_2"), for the "1 vs 1.0" duplicate rule */
	char *name;
	char *checksum;
	/* checksum of the down script; NULL without one, and for a down script
	 * registered by a build that kept none (SQLite databases made before) */
	char *down_checksum;
	bool has_down;
	bool no_transaction;
	/* the role that registered it last (PostgreSQL; NULL on SQLite) */
	char *registered_by;
	char *script;      /* loaded only by flows that run it, else NULL */
	char *down_script; /* likewise */
	/* script's analysis, made once per call by its first reader (the lint
	 * gate, then the run) through dbc_migrate_script_info; valid only while
	 * analysed_script is script (a copy given another script re-analyses) */
	struct dbc_script_info *analysis;
	const char *analysed_script;
} dbc_migration;

/* An applied migration (a row of <prefix>migrations_applied). */
typedef struct dbc_applied {
	char *kind;    /* "versioned", "repeatable", "baseline" */
	char *version; /* NULL for repeatables */
	char *name;
	char *checksum; /* NULL for a baseline marker with no registered migration */
	/* the checksum of the registered down script when it was applied; NULL
	 * when it had none (giving it one later is allowed), when applied before
	 * down checksums were kept, and for baselines. Another down script
	 * registered now makes the row "changed"; NULL is never compared. */
	char *down_checksum;
	char *applied_at;
	bool has_duration;
	double duration_ms;
} dbc_applied;

/* A history row with success = false (a script step that has not
 * finished). live: the step is running now in another session (its mark,
 * dbc_migrate_hooks.step_mark, is held); else it ended without finishing. */
typedef struct dbc_failed {
	int64_t id;
	char *version;
	char *name;
	char *error;
	bool live;
} dbc_failed;

typedef struct dbc_migrate_set {
	dbc_migration *migs;
	int nmigs;
	int capmigs;
	dbc_applied *applied;
	int napplied;
	int capapplied;
	dbc_failed *failed;
	int nfailed;
	int capfailed;
} dbc_migrate_set;

int dbc_migrate_set_add(dbc_ctx *ctx, dbc_migrate_set *set, const dbc_migration *m);
int dbc_migrate_set_add_applied(dbc_ctx *ctx, dbc_migrate_set *set, const dbc_applied *a);
int dbc_migrate_set_add_failed(dbc_ctx *ctx, dbc_migrate_set *set, const dbc_failed *f);

typedef enum {
	DBC_MS_PENDING,
	DBC_MS_APPLIED,
	DBC_MS_CHANGED,
	DBC_MS_MISSING,
	DBC_MS_OUT_OF_ORDER,
	DBC_MS_OUTDATED,
} dbc_migrate_state;

const char *dbc_migrate_state_name(dbc_migrate_state s);

/* The applied row's up checksum, or its down checksum, differs from what is
 * registered now (each false when it cannot be told: another algorithm, not
 * recorded). A changed down script makes a migration as "changed" as a
 * changed up script: rollback would run something that was never checked. */
bool dbc_migrate_up_differs(const dbc_migration *m, const dbc_applied *a);
bool dbc_migrate_down_differs(const dbc_migration *m, const dbc_applied *a);
/* The down checksum to record when m is applied (see dbc_applied); NULL
 * without one. */
const char *dbc_migrate_down_to_record(const dbc_migration *m);

/* One status row: the registered migration and/or its applied record. */
typedef struct dbc_migrate_row {
	dbc_migration *mig;   /* NULL when missing */
	dbc_applied *applied; /* NULL when not applied */
	dbc_migrate_state state;
} dbc_migrate_row;

typedef struct dbc_migrate_derived {
	dbc_migrate_row *rows; /* versioned by version, then repeatables by name */
	int nrows;
	char *current; /* highest applied version, NULL when none */
	int npending, nchanged, nmissing, nout_of_order, noutdated, napplied;
} dbc_migrate_derived;

/* Derives every row's state; sorts the set's arrays in place. */
int dbc_migrate_derive(dbc_ctx *ctx, dbc_migrate_set *set, dbc_migrate_derived *out);

/* The kind shown for a row: versioned, repeatable or baseline. */
const char *dbc_migrate_row_kind(const dbc_migrate_row *r);
/* The version of a row (registered or applied), NULL for repeatables. */
const char *dbc_migrate_row_version(const dbc_migrate_row *r);
const char *dbc_migrate_row_name(const dbc_migrate_row *r);

/* The first unfinished event running now in another session, NULL when
 * none is. */
const dbc_failed *dbc_migrate_running(const dbc_migrate_set *set);
/* "6 (idx3)" or "repeatable (views)": how an unfinished event is named. */
char *dbc_migrate_failed_label(dbc_ctx *ctx, const dbc_failed *f);

/* The note of the started event of `dbcare migrate --online`. */
#define DBC_ONLINE_STARTED "started by dbcare migrate --online, not finished"
/* Whether f is the event of an online run whose session is gone: not a
 * failure but a run to resume (the next `dbcare migrate --online` takes it
 * over, core/migrate/migrate_render.c). */
bool dbc_migrate_failed_resumable(const dbc_failed *f);

/* Refuses (55000) while anything is changed, missing or failed, an online
 * run is half done (only its resumption or undo may follow), or out of
 * order unless allow_out_of_order, listing every offender in the detail. */
int dbc_migrate_check_applicable(dbc_ctx *ctx, const dbc_migrate_set *set,
                                 const dbc_migrate_derived *st, bool allow_out_of_order);

/* The migrations dbmigrate_apply(target) runs, in order: pending (and allowed
 * out-of-order) versioned ones up to target (NULL: all), then pending and
 * outdated repeatables. rows point into st. */
int dbc_migrate_plan_up(dbc_ctx *ctx, const dbc_migrate_derived *st, const char *target,
                        bool allow_out_of_order, dbc_migrate_row ***plan, int *n);

/* The applied versioned migrations dbmigrate_rollback(target) undoes, newest
 * first (target NULL: the latest one). Refuses (55000) before anything runs
 * when one of them is a baseline, missing, changed or has no down script. */
int dbc_migrate_plan_down(dbc_ctx *ctx, const dbc_migrate_derived *st, const char *target,
                          dbc_migrate_row ***plan, int *n);

#endif
