/*
 * generate_order.h — what the objects of a schema model need of each
 * other, and the order to make or drop them in (generate_order.c),
 * private to core/migrate.
 */
#ifndef DBC_MIGRATE_GENERATE_ORDER_H
#define DBC_MIGRATE_GENERATE_ORDER_H

#include "schema/schema.h"

/* By object of the model: the indexes of the objects it needs (its
 * schema, the types, sequences and functions its text names). */
typedef struct dbc_gen_needs {
	int **of;
	int *n, *cap;
} dbc_gen_needs;

int dbc_gen_needs_read(dbc_ctx *ctx, const dbc_schema *s, dbc_gen_needs *out);
/* The objects' indexes, each after what it needs (dropping: before);
 * the model's order otherwise. */
int *dbc_gen_needs_order(dbc_ctx *ctx, const dbc_schema *s, const dbc_gen_needs *needs,
                         bool dropping);
/* Whether object i needs one of those set marks. */
bool dbc_gen_needs_any(const dbc_gen_needs *needs, int i, const bool *set);

#endif
