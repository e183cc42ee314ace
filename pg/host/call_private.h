/*
 * pg/host/call_private.h — the layers under the call helpers and the host, for
 * the files of those layers only (wrappers use pg/host/glue.h). Bottom up, each
 * naming only the ones before it:
 *   pg/host/memory.c       the arena of the innermost running call;
 *   pg/host/module_host.c  the host the module installed at load;
 *   pg/host/call_errors.c  a call ended on an error: subtransactions unwound,
 *                     arena set back, the error raised "dbcare: "-prefixed;
 *   pg/host/guard.c        bodies run so an ERROR becomes the ctx error where a
 *                     savepoint undoes it; migration scripts (host exec);
 *   pg/host/host_query.c   the host's query path (kept plans, pinned path);
 *   pg/host/call.c         the call helpers of pg/host/glue.h (begin, args, returns).
 * Above them, in pg/api/, the host table (host.c) and _PG_init (module.c)
 * use what pg/host/glue.h makes public of these layers: the host's exec,
 * query and query_latest, and the end of a call's subtransactions.
 */
#ifndef PGDBC_CALL_PRIVATE_H
#define PGDBC_CALL_PRIVATE_H

#include "glue.h"

#include "utils/elog.h"
#include "utils/palloc.h"

/* pg/host/memory.c: the arena pgdbc_alloc allocates in (NULL: the current
 * memory context); calls set it and set the one before back. */
MemoryContext pgdbc_arena_get(void);
void pgdbc_arena_set(MemoryContext cxt);

/* pg/host/call_errors.c */
void pgdbc_restore_arena(pgdbc_call *call);
/* Ends every subtransaction the core left open. */
void pgdbc_unwind_all(pgdbc_call *call, bool commit);
/* Rolls back the call's subtransactions and raises ed again, prefixed. */
void pgdbc_escape(pgdbc_call *call, ErrorData *ed) pg_attribute_noreturn();
/* The error being handled, copied into the call's memory, the state flushed. */
ErrorData *pgdbc_take_error(pgdbc_call *call);
/* A glue-level error on a running call: its state left clean first. */
void pgdbc_call_error(pgdbc_call *call, const char *sqlstate, const char *msg, const char *name)
    pg_attribute_noreturn();

/* pg/host/guard.c: what a guarded body is doing, so an error can be placed in the
 * SQL text. */
typedef struct guard_state {
	const char *sql;  /* the text the caller passed, NULL when there is none */
	int stmt_offset;  /* byte offset of the statement being run */
	const char *stmt; /* its text as sent to SPI */
} guard_state;

typedef void (*guarded_body)(pgdbc_call *call, guard_state *gs, void *arg);

int pgdbc_run_guarded(pgdbc_call *call, guard_state *gs, guarded_body body, void *arg);
/* Raises the error of an SPI result code (< 0). */
void pgdbc_check_spi(int ret, const char *stmt);

#endif
