/*
 * retain_policy.h — private to core/retain: a stored retention policy and
 * what plan and apply both derive from it (the table, the due condition,
 * the foreign keys that block a delete).
 */
#ifndef DBC_RETAIN_POLICY_H
#define DBC_RETAIN_POLICY_H

#include "retain/retain.h"

typedef enum { DBC_RETAIN_DELETE, DBC_RETAIN_ARCHIVE, DBC_RETAIN_PURGE } dbc_retain_action;

typedef struct dbc_policy {
	char *name;
	char *table_schema, *table_name; /* the source */
	char *column;
	char *keep;
	dbc_retain_action action;
	char *target_schema, *target_name; /* archive only */
	int64_t archived, deleted;         /* recorded totals */
} dbc_policy;

typedef struct dbc_policies {
	dbc_policy *items;
	int n, cap;
} dbc_policies;

/* The target_schema recorded for an archive in another database
 * ("archive-db:NAME" in dbretain_add; no schema can be named so). */
#define DBC_RETAIN_ARCHIVE_DB        "@archive-db"
#define DBC_RETAIN_ARCHIVE_DB_PREFIX "archive-db:"
/* Whether p archives into another database (retain_export.c). */
bool dbc_retain_external(const dbc_policy *p);

/* Every policy (name NULL) or the one named, by name; an error when a
 * named one does not exist. */
int dbc_retain_load(dbc_ctx *ctx, const char *name, dbc_policies *out);

const char *dbc_retain_action_name(dbc_retain_action a);

/* A foreign key that keeps its referenced rows (ON DELETE NO ACTION or
 * RESTRICT) and "row s is referenced through it", an EXISTS over alias s. */
typedef struct dbc_blocker_key {
	const dbc_constraint *fk;
	char *exists;
	/* The key is the source table's own (a row referencing a row of its
	 * table: a tree, or a cycle), and whether the engine checks it at the
	 * end of the statement (NO ACTION; RESTRICT unless the dialect's
	 * restrict_per_row): rows referencing each other may then go together. */
	bool self, at_end;
	/* "row c references row p", over aliases c (the child) and p (a row of
	 * the source); and the same over alias s for the parent, to be written
	 * after "FROM <child> AS c" + from_s + " WHERE ". */
	char *match_p, *match_s, *from_s;
} dbc_blocker_key;

/* A policy resolved against the live schema. */
typedef struct dbc_policy_ctx {
	const dbc_policy *p;
	const dbc_table *t;
	char *qt;           /* the source, quoted */
	char *qc;           /* the age column, quoted */
	char *qtarget;      /* the archive, quoted (archive only) */
	const char *row_id; /* the source's row identity (dbc_retain_row_id) */
	/* " AND NOT EXISTS (...)" per foreign key that would refuse the delete
	 * of a referenced row ("" when none) */
	char *unblocked;
	char *blocked;                 /* the opposite: "EXISTS (...) OR ..."; NULL when none */
	dbc_blocker_key *blocker_keys; /* each key's own part, nblockers of them */
	int nblockers;
	char *cutoff_sql; /* the cutoff as SQL (now() moves: computed per statement) */
	char *cutoff;     /* the cutoff as a value, computed once; NULL unless asked */
	/* a purge where the trigger cannot be told: the statements taking the
	 * soft-delete triggers out of its way and back (dbc_softdelete_bypass) */
	char *bypass_drop, *bypass_create;
	/* "row s is due": s's age column before cutoff_sql (due_now), or before
	 * the cutoff bound as parameter $1 (due) */
	char *due_now, *due;
} dbc_policy_ctx;

/* The error of a sweep that took nothing while the rule removes due rows:
 * every group of them that must go in one statement (rows referencing each
 * other through the table's own key, such as a cycle, and what they alone
 * reference) is larger than the n rows a batch may take (the smaller of
 * max_rows and retain.batch_size), so no call with these limits ever
 * removes them, nor any newer row. Names the smallest limit under which a
 * sweep takes rows (found by bisection over the sweep's pick: the error
 * path only) and the setting to raise (fn: the function whose max_rows it
 * is). DBC_OK when nothing is stuck (no row the rule removes, or only rows
 * another transaction holds). */
int dbc_retain_refuse_cut_groups(dbc_ctx *ctx, const dbc_retain_hooks *eng,
                                 const dbc_policy_ctx *pc, int64_t n, int64_t batch,
                                 int64_t max_rows, const char *fn);

/* Makes the archive of an archive policy when missing (the source's
 * columns and archived_at); checks an existing one. */
int dbc_retain_ensure_target(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_table *src,
                             const char *schema, const char *name);
/* Resolves p (the table must still be there); with value, computes its
 * cutoff once (statements that must agree on it bind that value). */
int dbc_policy_resolve(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_schema *s,
                       const dbc_policy *p, bool value, dbc_policy_ctx *out);
/* What a policy names that is gone from s since it was added (its table or
 * its age column, dropped or renamed), as text; NULL when both are there
 * (or on error, ctx->failed set). dbc_policy_resolve refuses such a policy,
 * naming it; dbretain_plan shows it as a blocker. */
char *dbc_policy_gone(dbc_ctx *ctx, const dbc_schema *s, const dbc_policy *p);
/* The foreign keys (enforced or not, ON DELETE NO ACTION or RESTRICT) that
 * reference t: fn is called for each child table and constraint. */
typedef int (*dbc_fk_fn)(dbc_ctx *ctx, void *arg, const dbc_table *child, const dbc_constraint *c);
int dbc_retain_blocking_fks(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t, dbc_fk_fn fn,
                            void *arg);
/* The foreign keys (enforced or not) that reference t with an ON DELETE action
 * changing the child's rows when a row of t goes: CASCADE (its rows are
 * deleted too), SET NULL, SET DEFAULT (they are updated). */
int dbc_retain_acting_fks(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t, dbc_fk_fn fn,
                          void *arg);
/* Whether c deletes its table's rows with the rows they reference. */
bool dbc_retain_fk_cascades(const dbc_constraint *c);
/* Refuses (55000) an archive policy p of table t that an ON DELETE CASCADE
 * key references: its batches would delete the children's rows without
 * archiving them. DBC_OK for other actions or when none does. */
int dbc_retain_refuse_cascade(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                              const dbc_policy *p);

/* Refuses (55000, who names the caller) a delete from t that an ON DELETE
 * action of a key the engine does not enforce now would leave undone (SQLite
 * with foreign_keys off): the children would point at nothing. */
int dbc_retain_refuse_unenforced(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                                 const char *who);
/* The foreign keys that keep t's referenced rows (enforced or not), as SQL
 * over alias s: *unblocked " AND NOT EXISTS ..." ("" when none), *blocked
 * "EXISTS ... OR ..." (NULL when none), and each key's own part. */
int dbc_retain_blockers(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_schema *s,
                        const dbc_table *t, char **unblocked, char **blocked,
                        dbc_blocker_key **keys, int *n);
/* The same for a delete of t's rows that satisfy leaving (over alias c, or
 * NULL: none known): a row of t referencing one of t's rows through a key
 * without ON DELETE action does not keep it when it satisfies leaving too
 * (it goes in the same statement, before the engine checks the key). */
int dbc_retain_blockers_leaving(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_schema *s,
                                const dbc_table *t, const char *leaving, char **unblocked,
                                char **blocked, dbc_blocker_key **keys, int *n);

/* ---- which rows a batch removes (retain_removable.c: the one rule) */

/* Whether a key of pc's table itself keeps its rows (a tree, a cycle). */
bool dbc_retain_self_keyed(const dbc_policy_ctx *pc);
/* The head of a statement, "WITH RECURSIVE dbcare_cand(id) AS (cands),
 * dbcare_kept(id) AS (...) ": cands (a query of row identities, its
 * parameters the statement's) and, among them, the kept ones: referenced
 * through a key that keeps rows by a row that stays (of another table, no
 * candidate, or kept itself; for a key checked as each row goes, any other
 * row). */
char *dbc_retain_kept_with(dbc_ctx *ctx, const dbc_policy_ctx *pc, const char *cands);
/* The condition over alias s "s is one of cands and not kept": the rows one
 * DELETE removes from them, which the engine enforcing every key accepts. */
char *dbc_retain_removable(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_policy_ctx *pc,
                           const char *cands);
/* The candidates of a policy's next batch, a query of row identities over
 * the cutoff $1 (and with resumed, the point $2 the batch resumes at),
 * locking its rows where the engine locks rows: at most n due rows no row
 * references, oldest first (leaves: a tree goes from them, pass by pass);
 * with sweep, the rows the rule removes (what the leaves leave: a cycle and
 * the rows it references), at most n: of the n oldest of them, the rows the
 * rule removes again (a cycle cut by the n goes whole in a later batch). */
char *dbc_retain_pick(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_policy_ctx *pc,
                      int64_t n, bool resumed, bool sweep);
/* The CREATE INDEX on the columns of key k (one of pc's blocker_keys)
 * when k is the table's own and no index of s leads with its columns, else
 * NULL: finding the rows a staying row keeps looks up the rows referencing
 * each candidate, so without one a batch reads the whole table once per
 * row it weighs (quadratic; a sweep of cycles weighs every due row). */
char *dbc_retain_self_key_index(dbc_ctx *ctx, const dbc_schema *s, const dbc_policy_ctx *pc,
                                const dbc_blocker_key *k);
/* A statement counting the kept rows among cands that key k (one of pc's
 * blocker_keys) keeps: referenced through it by a row that stays (for a key
 * checked as each row goes, by any other row). */
char *dbc_retain_kept_by(dbc_ctx *ctx, const dbc_policy_ctx *pc, const dbc_blocker_key *k,
                         const char *cands);

#endif
