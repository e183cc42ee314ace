/*
 * pg/retain/purge_scope.h — the switch telling dbcare.softdelete_row which tables
 * a running purge deletes from for real (pg/retain/purge_scope.c), shared by the
 * retention glue (pg/retain/fn_retain.c) and the trigger.
 */
#ifndef PURGE_SCOPE_PG_H
#define PURGE_SCOPE_PG_H

#include "pg/host/glue.h"

#include "retain/retain.h"

/* Opens a purge of table t: until pgdbc_purge_end_to(*depth), a DELETE in
 * t, in its inheritance children and partitions, and in every table an ON
 * DELETE CASCADE foreign key reaches from those (children of children too)
 * goes through the soft-delete trigger for real. DBC_ERROR (ctx error
 * set): nothing was opened. */
int pgdbc_purge_begin(dbc_ctx *ctx, const dbc_table *t, int *depth);

/* How many purges are open; pgdbc_purge_end_to(depth) closes those opened
 * since (a no-op for those already closed with their subtransaction). */
int pgdbc_purge_depth(void);
void pgdbc_purge_end_to(int depth);

/* Whether a DELETE of a row of relation rel is a purge's real delete. */
bool pgdbc_purge_covers(Oid rel);

#endif
