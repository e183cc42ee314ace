/*
 * generate_render.h — SQL text from the schema model for the generator
 * (generate_render.c), private to core/migrate (the lint's table rebuild
 * asks it which views name a table).
 */
#ifndef DBC_MIGRATE_GENERATE_RENDER_H
#define DBC_MIGRATE_GENERATE_RENDER_H

#include "schema/schema.h"

/* A name quoted by the host; a table's quoted, qualified name. */
char *dbc_gen_q(dbc_ctx *ctx, const char *name);
char *dbc_gen_qt(dbc_ctx *ctx, const dbc_table *t);
/* Whether c is an identity column (its default_expr the catalog's
 * "generated always|by default as identity" clause, no default). */
bool dbc_gen_is_identity(const dbc_column *c);
/* "name type [COLLATE c] [DEFAULT e | GENERATED ...] [NOT NULL]" */
char *dbc_gen_column_def(dbc_ctx *ctx, const dbc_column *c);
/* "[CONSTRAINT name] UNIQUE (...)" and the like; NULL for NOT NULL. */
char *dbc_gen_constraint_def(dbc_ctx *ctx, const dbc_constraint *k);
/* "CREATE TABLE t (columns, constraints)" from the model, its foreign
 * keys left out unless fks. A CHECK read from a column's own definition
 * (SQLite's catalog: its bare expression, naming that one column) is
 * written on that column again, so the table reads back the same. */
char *dbc_gen_create_table(dbc_ctx *ctx, const dbc_table *t, bool fks);
/* name with suffix, a name the plan sets an object aside under: name cut
 * (at a character's start) so that the whole stays within the dialect's
 * name_max, where the engine would cut it back to name itself. */
char *dbc_gen_aside_name(dbc_ctx *ctx, const char *name, const char *suffix);
/* own, a sequence's " OWNED BY schema.table.column" as the model has it
 * (the names bare: what the catalog reads and the generator compares),
 * as SQL: table t's quoted name and the column's quoted. */
char *dbc_gen_owned_by(dbc_ctx *ctx, const char *own, const dbc_table *t);
/* The same constraint by everything but its name and validation. */
bool dbc_gen_same_constraint(const dbc_constraint *a, const dbc_constraint *b);
/* A CREATE INDEX text (the catalog's) naming the index name, with the
 * keyword concurrently after INDEX when not NULL. */
char *dbc_gen_index_def(dbc_ctx *ctx, const char *def, const char *name, const char *concurrently);
/* The CREATE VIEW of a view of the model. */
char *dbc_gen_view_create(dbc_ctx *ctx, const dbc_object *o);
/* Whether text names name as a token (a view naming a table: the
 * generator's order, the lint's table rebuild), a dollar quote's tag
 * split from the word it touches. */
bool dbc_gen_names_token(dbc_ctx *ctx, const char *text, const char *name);

#endif
