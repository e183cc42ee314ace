/*
 * maintain_private.h — what the files of core/maintain share: the findings
 * of one check handed to its planner, the step builder and the wording and
 * dialect helpers (maintain_step.c), the plan's lookups by name
 * (maintain_names.c), and one planner per repairable check
 * (maintain_tables.c, maintain_indexes.c), dispatched by check id in
 * maintain_plan.c.
 */
#ifndef DBC_MAINTAIN_PRIVATE_H
#define DBC_MAINTAIN_PRIVATE_H

#include "maintain/maintain.h"

/* Relative costs (estimated_cost), in full reads of the object's table: a
 * guide to order and schedule the rows, not a time. */
#define COST_SAMPLE  0.1 /* ANALYZE reads a sample */
#define COST_SCAN    1.0 /* VACUUM, VALIDATE, a REINDEX's read */
#define COST_BUILD   1.5 /* a scan and a sort */
#define COST_REWRITE 3.0 /* a new copy of the table and every index */
#define COST_CATALOG 0.0 /* a catalog change only */

/* The findings of one check the plan repairs: its graded result, its
 * fact, and the run's report (ignore list, model). */
typedef struct dbc_maintain_findings {
	const dbc_health_report *r;
	const dbc_health_result *res;
	const dbc_health_fact *fact;
} dbc_maintain_findings;

/* Appends a step (object and reason copied; statement kept); NULL on error. */
dbc_maintain_step *dbc_maintain_add_step(dbc_ctx *ctx, dbc_maintain_plan *p, const char *object,
                                         const char *action, const char *reason, char *statement,
                                         dbc_maintain_safety safety, bool outside, double cost);
/* Whether the plan repairs o: not ignored, and a measured value past the warn line. */
bool dbc_maintain_wanted(const dbc_maintain_findings *f, const dbc_health_object *o);
/* The reason of a step: the check's name and the object's detail. */
char *dbc_maintain_why(dbc_ctx *ctx, const dbc_maintain_findings *f, const dbc_health_object *o);
/* The dialect's keyword for index statements that spare writers on
 * schema.table, or "". */
const char *dbc_maintain_concurrently(dbc_ctx *ctx, dbc_maintain_plan *p, const char *schema,
                                      const char *table);
/* The plan's lookup of taken names (maintain_names.c). Whether name is taken in
 * schema: by a table, an index, a view or any other object of the plan's
 * model, or, in any schema, by an index the plan creates already (without
 * regard to ASCII case where the engine's names fold). */
int dbc_maintain_name_taken(dbc_ctx *ctx, dbc_maintain_plan *p, const char *schema,
                            const char *name, bool *taken);
/* name added to the names of the indexes the plan creates. */
int dbc_maintain_name_claim(dbc_ctx *ctx, dbc_maintain_plan *p, const char *name);
/* " " after a non-empty word, else "". */
const char *dbc_maintain_space_after(const char *s);

/* The planners: each adds the steps of one check's findings. */
int dbc_maintain_plan_statistics(dbc_ctx *ctx, const dbc_maintain_findings *f,
                                 dbc_maintain_plan *p);
int dbc_maintain_plan_fragmentation(dbc_ctx *ctx, const dbc_maintain_findings *f,
                                    dbc_maintain_plan *p);
int dbc_maintain_plan_bloat(dbc_ctx *ctx, const dbc_maintain_findings *f, dbc_maintain_plan *p);
/* A REINDEX of schema.index, concurrent where the engine has it (safe),
 * else locking (maintain_indexes.c; table_bloat's bloated indexes too). */
int dbc_maintain_plan_reindex(dbc_ctx *ctx, dbc_maintain_plan *p, const char *schema,
                              const char *index, const char *reason);
int dbc_maintain_plan_invalid_indexes(dbc_ctx *ctx, const dbc_maintain_findings *f,
                                      dbc_maintain_plan *p);
int dbc_maintain_plan_integrity(dbc_ctx *ctx, const dbc_maintain_findings *f, dbc_maintain_plan *p);
int dbc_maintain_plan_not_valid(dbc_ctx *ctx, const dbc_maintain_findings *f, dbc_maintain_plan *p);
int dbc_maintain_plan_duplicates(dbc_ctx *ctx, const dbc_maintain_findings *f,
                                 dbc_maintain_plan *p);
int dbc_maintain_plan_unindexed_fk(dbc_ctx *ctx, const dbc_maintain_findings *f,
                                   dbc_maintain_plan *p);
int dbc_maintain_plan_sequences(dbc_ctx *ctx, const dbc_maintain_findings *f, dbc_maintain_plan *p);
int dbc_maintain_plan_orphans(dbc_ctx *ctx, const dbc_maintain_findings *f, dbc_maintain_plan *p);
int dbc_maintain_plan_xmin_holders(dbc_ctx *ctx, const dbc_maintain_findings *f,
                                   dbc_maintain_plan *p);

#endif
