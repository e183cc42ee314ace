/*
 * migrate_goose.h — goose's SQL migration files: one <version>_<name>.sql
 * holding both directions, each after its annotation line:
 *
 *     -- +goose NO TRANSACTION        (optional: the file runs outside one)
 *     -- +goose Up
 *     -- +goose StatementBegin
 *     CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
 *     -- +goose StatementEnd
 *     -- +goose Down
 *     DROP FUNCTION f();
 *
 * StatementBegin and StatementEnd only group a statement for goose's own
 * splitter; dbcare's reader splits statements itself, so they stay in the
 * script as the comments they are.
 */
#ifndef DBC_MIGRATE_GOOSE_H
#define DBC_MIGRATE_GOOSE_H

#include "base/dbc.h"

/* True when text has a "-- +goose" annotation line: a goose file. */
bool dbc_migrate_goose_marked(const char *text);

/* Splits a goose file's text into its up block and its down block (NULL
 * when the file has no "-- +goose Down" line). With "NO TRANSACTION" each
 * block starts with the line "-- dbcare:no-transaction". Returns DBC_OK
 * with *why NULL when split, DBC_OK with *why set when the file is refused
 * (no Up annotation, statements before it, an annotation twice or out of
 * order, ENVSUB or an unknown annotation), DBC_ERROR when out of memory. */
int dbc_migrate_goose_split(dbc_ctx *ctx, const char *text, char **up, char **down,
                            const char **why);

#endif
