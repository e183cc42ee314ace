/*
 * pitr_sqlite.h — the SQLite API of the point-in-time log's capture
 * (pitr_capture.c, pitr_segment.c), one source built twice: into the
 * module, through the extension routines (SQLITE_EXTENSION_INIT3, as every
 * glue file), and into the command, which links libsqlite3 and compiles
 * these files with DBC_PITR_LINKED (Makefile). The capture uses no
 * routine a build may leave out but sqlite3_wal_hook, which only the
 * module's hook (pitr_module.c) calls, after checking it is there.
 */
#ifndef SQLDBC_PITR_SQLITE_H
#define SQLDBC_PITR_SQLITE_H

#ifdef DBC_PITR_LINKED
#include <sqlite3.h>
#else
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3
#endif

#endif
