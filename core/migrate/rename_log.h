/*
 * rename_log.h — the renames and drops of tables and columns the migration
 * runner saw migrations make (@migrations_renames), and what they say the
 * live tables and columns were called before (docs/schema-as-code.md,
 * "Renames dbcare recorded"). Private to core/migrate.
 */
#ifndef DBC_MIGRATE_RENAME_LOG_H
#define DBC_MIGRATE_RENAME_LOG_H

#include "migrate/migrate.h"

/* Whose statements a script run records: NULL records nothing (the
 * proofs, whose work is rolled back). */
typedef struct dbc_rename_source {
	const char *version;   /* the migration's version; its name where repeatable */
	const char *direction; /* "up" or "down" */
} dbc_rename_source;

/* What one statement about to run renames or drops, as the log records it;
 * zeroed by the caller, filled by dbc_rename_log_before. */
typedef struct dbc_rename_note {
	struct dbc_rename_pending *items;
	int n;
} dbc_rename_note;

/* Makes the log's table (an engine that makes it on first use) where
 * script may rename or drop something: called before any script of the
 * call runs, while dbcare's tables are whole. */
int dbc_rename_log_prepare(dbc_ctx *ctx, const char *script);
/* Before the statement text[0..len) runs: what it renames or drops, with
 * the identity of each dropped object (gone afterwards). Cheap for a
 * statement that says neither RENAME nor DROP. */
int dbc_rename_log_before(dbc_ctx *ctx, const char *text, size_t len, dbc_rename_note *out);
/* After it ran: the log's rows, each renamed object with its identity under
 * the new name. Nothing where the engine has no identity or the note is
 * empty. */
int dbc_rename_log_after(dbc_ctx *ctx, const dbc_rename_source *src, const dbc_rename_note *note);

/* A live table (column NULL) or column and a name the log says it had:
 * the object still has the identity recorded when it got its live name. */
typedef struct dbc_former_name {
	const char *schema;
	const char *table;  /* the live table's name */
	const char *column; /* the live column's name, or NULL */
	const char *former;
	const char *by; /* the migrations that took it from former to the live name */
} dbc_former_name;

typedef struct dbc_former_names {
	dbc_former_name *items;
	int n, cap;
} dbc_former_names;

/* Every former name of every live table and column, newest first for each
 * object (out zeroed by the caller), from the rows written by roles env
 * says the caller trusts (migrate_trust.h; a warning counts the others).
 * An empty list where the log is empty, missing, unreadable to the caller,
 * or the engine has no identity. */
int dbc_rename_log_formers(dbc_ctx *ctx, const dbc_migrate_hooks *env, dbc_former_names *out);

/* Whether script (a registered migration's, as the runner ran it) renames
 * table (column NULL) or its column to new_name (rename_verify.c); schema
 * must match where the statement writes one. */
int dbc_rename_in_script(dbc_ctx *ctx, const char *script, const char *schema, const char *table,
                         const char *column, const char *new_name, bool *yes);

#endif
