/*
 * sqlite/host/ext_api.c — the pointer to SQLite's API routines every glue file
 * calls through (SQLITE_EXTENSION_INIT1; the others see it by
 * SQLITE_EXTENSION_INIT3 in glue.h), set by the entry point (entry.c,
 * SQLITE_EXTENSION_INIT2). Alone in its file, the lowest of the glue: the
 * entry point, which names the registrations above everything, is then
 * named by none of them.
 */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1
