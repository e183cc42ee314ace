/*
 * migrate_dbmate.h — dbmate's migration files: one <version>_<name>.sql
 * holding both directions, each after its directive line:
 *
 *     -- migrate:up
 *     CREATE TABLE users (id int PRIMARY KEY);
 *     -- migrate:down
 *     DROP TABLE users;
 *
 * A directive may carry dbmate's option "transaction:false" (the block runs
 * outside a transaction) or "transaction:true".
 */
#ifndef DBC_MIGRATE_DBMATE_H
#define DBC_MIGRATE_DBMATE_H

#include "base/dbc.h"

/* True when text has a "-- migrate:up" line: a dbmate file. */
bool dbc_migrate_dbmate_marked(const char *text);

/* Splits a dbmate file's text into its up block and its down block (NULL
 * when the file has no "-- migrate:down" line; an empty down block is a
 * down that does nothing). A block with "transaction:false" starts with the
 * line "-- dbcare:no-transaction", dbcare's mark for the same thing.
 * Returns DBC_OK with *why NULL when split, DBC_OK with *why set when the
 * file is refused (no up block, statements outside the blocks, a directive
 * twice or out of order, an unknown option), DBC_ERROR when out of memory. */
int dbc_migrate_dbmate_split(dbc_ctx *ctx, const char *text, char **up, char **down,
                             const char **why);

#endif
