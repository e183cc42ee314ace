/*
 * generate_plan.h — the planner's state and the passes of the plan
 * (generate_plan.c orders them), private to the generate_plan_*.c files.
 */
#ifndef DBC_MIGRATE_GENERATE_PLAN_H
#define DBC_MIGRATE_GENERATE_PLAN_H

#include "migrate/generate.h"

typedef struct planner {
	dbc_ctx *ctx;
	const dbc_gen_input *in;
	dbc_gen_plan *out;
	const dbc_lint_hooks *eng;
	const char *conc; /* CONCURRENTLY, or NULL */
	bool limited;     /* a rebuild for anything but adding a column */
	/* by live table: the desired table it becomes (NULL: dropped) */
	const dbc_table **to;
	/* by desired table: the live one it was (NULL: new) */
	const dbc_table **from;
	bool *rebuilt;  /* by desired table */
	bool *affected; /* by desired table: views naming it go and come back */
	bool *view_out; /* by live object: a view dropped first */
	bool late_pass; /* objects(): the functions made after the tables */
	bool *dropped;  /* by live table: its DROP TABLE is in the plan already */
	/* live columns dropped before a rename takes their name */
	const dbc_column **dropped_first;
	int ndropped_first, capdropped_first;
	/* live foreign keys of kept tables dropped before the table they name
	 * goes early (drop_namesakes): the changed tables' pass skips them;
	 * and of dropped tables naming each other, dropped before the tables
	 * (dbc_gen_drop_tables): the down makes the tables without them */
	const dbc_constraint **keys_first;
	int nkeys_first, capkeys_first;
	/* by desired table: new, made from the model, its foreign keys added
	 * once all new tables are (dbc_gen_new_table_keys) */
	bool *keys_later;
	/* by live object: dropped and made again, changed or needing one that
	 * is (a function whose argument type is made again) */
	bool *remade;
	int *drop_order; /* the live objects, each before what it needs */
	int *make_order; /* the desired objects, each after what it needs */
	/* by desired table: its columns in the order ALTER TABLE leaves them,
	 * when that is not the desired order and the plan's last steps make
	 * the table again in it (generate_reorder.c); NULL otherwise */
	const dbc_table **reorder;
	/* why the table alter_full works on is not made again in the desired
	 * order (NULL: it is, or need not be) */
	const char *kept_order_why;
} planner;

/* A column's default changing: the column as it was (in schema from, of
 * table tf) and as it becomes (in schema to, of table tt); qt the
 * table's name where the step runs. */
typedef struct default_change {
	const dbc_schema *from, *to;
	const dbc_table *tf, *tt;
	const char *qt;
} default_change;

/* generate_plan_base.c */
bool dbc_gen_same_text(const char *a, const char *b);
bool dbc_gen_same_schema(const char *a, const char *b);
const char *dbc_gen_lock_of(planner *pl, dbc_lint_op op);
int64_t dbc_gen_rows_of(planner *pl, const dbc_table *t);
dbc_gen_step *dbc_gen_plan_add(planner *pl, char *statement, char *reverse, const char *lock);
int dbc_gen_table_index(const dbc_schema *s, const dbc_table *t);

/* generate_plan_match.c */
int dbc_gen_match_tables(planner *pl);
/* The live column a desired column was: a recorded rename's (the log
 * knows the object), else the one of its name unless a rename takes that
 * one (a mark on a column whose name is live was applied already), else
 * its mark's. */
const dbc_column *dbc_gen_column_from(planner *pl, const dbc_table *l, const dbc_table *w,
                                      const dbc_column *c, bool *renamed);
/* Whether a desired column of w is the live column lc. */
bool dbc_gen_column_kept(planner *pl, const dbc_table *l, const dbc_table *w, const dbc_column *lc);
/* kept[i]: whether a desired column of w is l->columns[i], all in one pass */
int dbc_gen_columns_kept(planner *pl, const dbc_table *l, const dbc_table *w, bool **kept);
const dbc_constraint *dbc_gen_find_constraint(const dbc_table *t, const dbc_constraint *k);
/* Whether live constraint lk is the desired wk, its parent named as the
 * plan's renames leave it. */
bool dbc_gen_same_k(const planner *pl, const dbc_constraint *lk, const dbc_constraint *wk);
/* The constraint of to that k of from became under another name (the
 * same definition, neither name on the other side): a table rename gives
 * its keys new default names in a schema written afresh. */
const dbc_constraint *dbc_gen_renamed_constraint(const planner *pl, const dbc_table *from,
                                                 const dbc_table *to, const dbc_constraint *k,
                                                 bool from_live);
/* Whether the table changes beyond renames, columns added at its end with
 * a plain definition and columns dropped before a rename takes their name,
 * and whether a column is dropped or changes type (views naming the table
 * then go and come back). */
int dbc_gen_classify_table(planner *pl, const dbc_table *l, const dbc_table *w, bool *simple,
                           bool *views);

/* generate_plan_views.c */
bool dbc_gen_is_view(const dbc_object *o);
const dbc_object *dbc_gen_find_object(const dbc_schema *s, const char *type, const char *schema,
                                      const char *name);
/* Views that go before the routines and the tables change: gone or
 * changed in the desired schema, naming an affected table or a remade
 * routine, or naming a view that goes. Dependents are dropped before
 * what they name. */
int dbc_gen_mark_views(planner *pl);
/* Whether index x (of the live schema, or the desired one) is on a view
 * the plan drops (live) or makes (desired): it goes and comes with it. */
bool dbc_gen_index_on_view(planner *pl, const dbc_index *x, bool live);
/* The views mark_views marked, dependents before what they name. */
int dbc_gen_drop_views(planner *pl);
/* Views made after the tables: new, changed, or dropped first; in the
 * order the desired schema writes them. */
int dbc_gen_make_views(planner *pl);

/* generate_plan_objects.c */
/* The desired statement that makes o (functions by name without their
 * argument types). */
const dbc_gen_stmt *dbc_gen_stmt_of(planner *pl, const dbc_object *o);
bool dbc_gen_owned_sequence(const dbc_object *o);
int dbc_gen_plan_objects(planner *pl, bool early, bool adding);
/* The order of the object passes and the objects made again: a changed
 * one, and what needs one made again (the engine refuses to drop a type
 * a function's arguments use, a function a trigger fires). */
int dbc_gen_order_objects(planner *pl);
/* Types, functions, sequences and schemas the desired schema no longer has,
 * after the tables that used them went. */
int dbc_gen_drop_late(planner *pl);

/* generate_plan_columns.c */
/* Why a rename no mark asked for is in the plan: the rename log's. */
const char *dbc_gen_recorded_note(const planner *pl, const char *table, const char *column,
                                  const char *live);
/* Whether the desired file has an ALTER TABLE of t after its CREATE. */
bool dbc_gen_altered_later(planner *pl, const dbc_table *t);
/* Exact counts for a drop: rows, and the column's non-NULL values; *what
 * says them in words ("12 rows, 3 non-NULL values"); -1 when not counted. */
int dbc_gen_count_rows(planner *pl, const dbc_table *t, const char *column, int64_t *rows,
                       int64_t *values, char **what);
/* A NOT NULL the live rows break: the proof runs on tables without rows,
 * so the NULLs are counted here, with a plain read of the live table. */
int dbc_gen_refuse_nulls(planner *pl, const dbc_table *l, const dbc_table *w, const char *column,
                         const char *now);
/* A new NOT NULL column without a default where the engine cannot add one
 * to a table with rows (SQLite's ADD COLUMN, a rebuild's copy): the proof
 * runs on tables without rows, so the live rows are counted here and a
 * table that has any refuses, with their count. */
int dbc_gen_refuse_required(planner *pl, const dbc_table *l, const dbc_table *w,
                            const dbc_column *c);
/* New columns of a rebuilt table: each refused as above. */
int dbc_gen_refuse_required_all(planner *pl, const dbc_table *l, const dbc_table *w);
/* What a dropped column's down cannot do: bring back a NOT NULL column
 * without a default on a table with rows ("" when it can). */
const char *dbc_gen_down_fails(const dbc_column *c);
int dbc_gen_refuse_drop(planner *pl, const char *what);
/* Whether lc's drop is in the plan already (before a rename to its name). */
bool dbc_gen_dropped_first(const planner *pl, const dbc_column *lc);
/* The step dropping live column lc of l (the desired w): refused without
 * allow_drop; its down adds the column back at the table's end. */
int dbc_gen_drop_column(planner *pl, const dbc_table *l, const dbc_table *w, const dbc_column *lc,
                        bool kept_after);
/* A live column of l in the way of a rename to its name, and going
 * (the rename log's rename back to a name a new column took since):
 * dropped before the rename. */
int dbc_gen_drop_in_way(planner *pl, const dbc_table *l, const dbc_table *w, const dbc_column *lc,
                        const char *to);

/* generate_plan_renames.c */
int dbc_gen_plan_renames(planner *pl);

/* generate_plan_tables.c */
/* A kept table's row security, ENABLE/DISABLE and FORCE/NO FORCE, as the
 * desired table has it. */
int dbc_gen_alter_row_security(planner *pl, const dbc_table *l, const dbc_table *w);
/* Column c of desired table w as the model writes it, an identity with
 * the name of the sequence the desired schema gives it (the engine names
 * one table_column_seq, or with a number where that name is taken). */
char *dbc_gen_identity_named(planner *pl, const dbc_table *w, const dbc_column *c);
/* What gives column c its default or identity where column was had
 * another: an identity is no default ("generated always as identity" is
 * a clause of its own, with the sequence it names), and the sequence a
 * serial column's default names comes and goes with that default. */
char *dbc_gen_column_default(planner *pl, const default_change *d, const dbc_column *c,
                             const dbc_column *was);
int dbc_gen_drop_tables(planner *pl);
bool dbc_gen_key_dropped_first(const planner *pl, const dbc_constraint *k);
int dbc_gen_new_tables(planner *pl);

/* generate_plan_alter.c */
int dbc_gen_changed_tables(planner *pl);
/* The foreign keys of changed and new tables that need a unique index
 * the index pass makes (dbc_gen_key_needs_new_index): added after it, so
 * that the down drops them before the index. */
int dbc_gen_keys_after_indexes(planner *pl);
/* The foreign keys of the new tables made from the model, once all are
 * made: the ones needing a unique index the index pass makes
 * (dbc_gen_key_needs_new_index) only after it (after_indexes), so that
 * the down drops them before the index; the others before it. */
int dbc_gen_new_table_keys(planner *pl, bool after_indexes);

/* generate_plan_indexes.c */
int dbc_gen_plan_indexes(planner *pl);
/* Whether foreign key k of a desired table needs a unique index of its
 * parent that the index pass makes (new, or made again), and no unique
 * or primary key constraint of the parent stands for. */
bool dbc_gen_key_needs_new_index(planner *pl, const dbc_constraint *k);
/* The live indexes the desired schema lacks, dropped: before the tables
 * change (first) those on a column that goes, after them the others. */
int dbc_gen_drop_gone_indexes(planner *pl, bool first);

#endif
