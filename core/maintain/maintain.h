/*
 * maintain.h — dbmaintain_*: from each health finding to the statement that
 * repairs it. The plan is drawn from the health report's own facts (one run
 * of core/health, no catalog query of its own): each finding's object names
 * what the repair needs, and the statement is written here with the host's
 * quoting and the dialect's fragments. The run executes the rows that are
 * safe inside a function, records every run, and hands back the rows that
 * must run outside a transaction.
 */
#ifndef DBC_MAINTAIN_H
#define DBC_MAINTAIN_H

#include "base/dbc.h"
#include "health/health.h"

typedef enum {
	DBC_MAINTAIN_SAFE,        /* no data change, short locks */
	DBC_MAINTAIN_LOCKING,     /* blocks writes while it runs (rewrites, SQLite DDL) */
	DBC_MAINTAIN_DESTRUCTIVE, /* changes or removes data */
} dbc_maintain_safety;

/* One repair. statement is NULL when there is nothing to run (reason says
 * what to do instead); lists_rows: the statement only lists rows to fix by
 * hand (a run never executes it). */
typedef struct dbc_maintain_step {
	char *object; /* the object repaired, qualified where the engine has schemas */
	const char *action;
	char *reason;
	char *statement;
	dbc_maintain_safety safety;
	bool outside_transaction;
	double estimated_cost; /* relative: 1 is about one full read of the table */
	bool lists_rows;
	bool cleans_orphans; /* run by dbc_check_cleanup_orphans, not by its text */
	/* The table (quoted, qualified) whose own code the statement evaluates
	 * with the caller's rights (VALIDATE runs its CHECK, a type change
	 * rewrites it): dbmaintain_run runs it only for the table's owner
	 * (dialect caller_owns_table), so no owner's code runs with more rights
	 * than the owner has. NULL for statements that evaluate none, or that
	 * the engine itself runs as the owner (ANALYZE, REINDEX, CREATE INDEX). */
	char *owner_table;
	dbc_strlist more_owner_tables; /* further tables the statement changes, same rule */
} dbc_maintain_step;

typedef struct dbc_maintain_plan {
	dbc_maintain_step *items;
	int n;
	int cap;
	dbc_schema *schema;                 /* the health run's model */
	struct dbc_maintain_lookup *lookup; /* maintain_names.c's maps, made on first use */
} dbc_maintain_plan;

const char *dbc_maintain_safety_name(dbc_maintain_safety s);
/* An item dbmaintain_run's include may name: a safety class or an action
 * (any case; an empty item, as between two commas, is allowed). */
bool dbc_maintain_include_known(const char *item);

/* The plan for the current state: one health run in mode, then a row per
 * repairable finding of every check that is not ok (health.ignore and the
 * thresholds honoured as in the report). */
int dbc_maintain_plan_build(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                            dbc_maintain_plan *out);

/* dbmaintain_plan's rows: (object, action, reason, statement, safety,
 * outside_transaction, estimated_cost). */
#define DBC_MAINTAIN_PLAN_NCOLS 7
int dbc_maintain_plan_rows(dbc_ctx *ctx, const dbc_maintain_plan *plan, dbc_rows *out);

/* dbmaintain_run: builds the plan and runs, all or nothing, each row that
 * is safe (or whose safety class or action include names: a comma-separated
 * list, NULL for none) and can run inside a transaction; rows that must run
 * outside one are returned for the caller. Each row of the run is recorded
 * in the history table. Rows: (object, action, statement, safety, status,
 * duration_ms); status done, outside_transaction, not_included, not_run. */
#define DBC_MAINTAIN_RUN_NCOLS 6
int dbc_maintain_run(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                     const char *include, dbc_rows *out);

/* dbmaintain_history: every recorded row, oldest first: (run, run_at,
 * mode, object, action, statement, safety, status, duration_ms). */
#define DBC_MAINTAIN_HISTORY_NCOLS 9
int dbc_maintain_history(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_rows *out);

#endif
