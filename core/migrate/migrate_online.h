/*
 * migrate_online.h — what the recipes of dbmigrate_online_plan share
 * (core/migrate/migrate_online.c, and a recipe of its own file:
 * migrate_online_type.c): the plan being written and how a step is added
 * to it (migrate_online_out.c). Internal to core/migrate.
 */
#ifndef DBC_MIGRATE_ONLINE_H
#define DBC_MIGRATE_ONLINE_H

#include "migrate/lint.h"
#include "migrate/migrate_script.h"

/* Pages one backfill range covers (a few thousand narrow rows): short row
 * locks, short transactions. */
#define DBC_ONLINE_RANGE_PAGES 32
/* Rows one batch of a table rebuild's copy covers (migrate_online_rebuild.c):
 * a write transaction of a few milliseconds. */
#define DBC_ONLINE_BATCH_ROWS 1000

typedef struct online_out {
	dbc_ctx *ctx;
	dbc_rows *rows;
	int step, unit, line;
	const char *rel;     /* the statement's table, quoted, or NULL */
	const char *version; /* the migration's, canonical */
	bool unit_open;      /* the last unit takes statements as written */
	/* the undo of the next step added (then reset): NULL when it cannot
	 * be undone (a statement as written), "" when it leaves nothing to
	 * undo (or a later step's undo removes it); every undo can run twice
	 * and after a step that never ran (IF EXISTS) */
	const char *undo;
	/* the version's steps a stopped run recorded done (step → statement,
	 * a JSON object), NULL when the engine keeps none */
	struct json_t *done;
	/* the statement of the first step added since it was last NULL */
	const char *first_sql;
} online_out;

/* One step of the current unit (DBC_ERROR when sql is NULL: out of memory). */
int dbc_online_step(online_out *o, const char *mode, const char *lock, const char *sql,
                    const char *purpose);
/* The steps added from now on make a new unit. */
void dbc_online_new_unit(online_out *o);
/* The action's table, quoted for a statement (qualified when written so). */
char *dbc_online_table_sql(dbc_ctx *ctx, const dbc_lint_action *a);
/* schema.name (schema NULL: name), quoted, as a literal for a catalog query. */
char *dbc_online_name_literal(dbc_ctx *ctx, const char *schema, const char *name);
/* The statement's length without its closing ';' and what follows its
 * last token (*end: past its last token). */
size_t dbc_online_body_end(const char *text, size_t len, const char **end);

/* The statement as written: in a transaction with the statements as
 * written next to it, or alone outside one (outside). */
int dbc_online_as_written(online_out *o, const dbc_stmt *st, bool outside, const char *lock);

/* ALTER TABLE ... ALTER COLUMN ... TYPE through a shadow column
 * (migrate_online_type.c): the recipe's steps, or the statement as
 * written when its words are not read as expected. */
int dbc_online_alter_type(online_out *o, const dbc_lint_action *a, const dbc_stmt *st);

/* A table rebuild written in plain SQL (migrate_online_rebuild.c): the
 * names and the copy's words, as written, and where it stands in its
 * migration (migrate_online_frame.c): statements [first, at) drop views
 * and triggers (run in the swap), at..at+3 are its four, (at+3,
 * swap_end) join the swap; begin and commit, a no-transaction
 * migration's BEGIN and COMMIT around them (left out), or -1. */
typedef struct dbc_online_rebuild_group {
	const dbc_stmt *create;
	char *new_table, *old_table; /* unquoted */
	char *columns, *select_list; /* INSERT INTO new (columns) SELECT select_list FROM old */
	int at, first, begin, commit, swap_end;
} dbc_online_rebuild_group;
/* Whether statements s..s+3 of info are CREATE TABLE new, INSERT INTO new
 * (columns) SELECT list FROM old, DROP TABLE old, ALTER TABLE new RENAME TO
 * old, each unqualified and nothing more. */
bool dbc_online_rebuild_match(dbc_ctx *ctx, const dbc_script_info *info, int s,
                              dbc_online_rebuild_group *g);
/* The first rebuild of info at statement from or later, with its frame;
 * false when there is none, or when the no-transaction migration holds
 * it in a form left as written. */
bool dbc_online_rebuild_frame(dbc_ctx *ctx, const dbc_script_info *info, int from,
                              dbc_online_rebuild_group *g);
/* Whether statement s is a PRAGMA among the statements joining the swap
 * of a no-transaction migration without BEGIN: it runs after the swap. */
bool dbc_online_frame_pragma(const dbc_online_rebuild_group *g, const dbc_script_info *info, int s);
/* Its recipe: stmts the migration's statements. */
int dbc_online_table_rebuild(online_out *o, const dbc_online_rebuild_group *g,
                             const dbc_stmt *stmts);

#endif
