/*
 * backup_origin.c — what a plain backup file says of its origin: a copy
 * is itself a SQLite database, whose bookkeeping names the identity of the
 * database it was copied from and whose stamp names that database's file
 * and the path the copy was published under. Read here, compared by
 * core/container's one rule (dbc_container_origin_matches) with the
 * database a catalog row of it is in, or a restore would replace.
 *
 * Nothing of a plain file is authenticated: whoever can write it can write
 * any origin into it. The comparison catches another database's backup
 * copied over a catalogued file (or restored over the wrong database), not
 * a file forged to look like this database's (docs/security.md).
 *
 * why (raw heap, no dbc_ctx): the command links this file without one.
 *
 * Built two ways (Makefile, PITR_SHARED): into the SQLite module, and with
 * DBC_PITR_LINKED into the command, which links libsqlite3 instead of the
 * extension routines (pitr_sqlite.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* asprintf */
#endif
#include "backup_origin.h"
#include "pitr_sqlite.h"

#include "container/container.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text of the one row sql selects (its first column), NULL when there
 * is not exactly one or it is no text. malloc'd. */
static char *one_text(sqlite3 *db, const char *sql, int col)
{
	sqlite3_stmt *st = NULL;
	char *out = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL; /* no such table or column: none */
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, col) == SQLITE_TEXT) {
		const char *t = (const char *)sqlite3_column_text(st, col);
		out = t && t[0] ? strdup(t) : NULL;
		if (out && sqlite3_step(st) != SQLITE_DONE) {
			free(out); /* two rows: no one origin */
			out = NULL;
		}
	}
	sqlite3_finalize(st);
	return out;
}

static const char identity_sql[] = "SELECT database_id FROM main.dbcare_bookkeeping WHERE id = 1";

char *sqldbc_plain_identity(const char *path)
{
	sqlite3 *db = NULL;
	char *id = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK)
		id = one_text(db, identity_sql, 0);
	sqlite3_close(db);
	return id;
}

char *sqldbc_plain_origin(const char *path)
{
	sqlite3 *db = NULL;
	char *id = NULL, *file = NULL, *published = NULL, *out = NULL;
	/* opened as the verification opens it (a symbolic link followed: the
	 * file a restore reads is the one compared) */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
		id = one_text(db, identity_sql, 0);
		file = id ? one_text(db, "SELECT source_database FROM main." STAMP_TABLE, 0) : NULL;
		published = file ? one_text(db, "SELECT backup_path FROM main." STAMP_TABLE, 0) : NULL;
	}
	sqlite3_close(db);
	if (published && asprintf(&out, DBC_CONTAINER_ORIGIN_ID "%s %s\n%s", id, file, published) < 0)
		out = NULL;
	free(id);
	free(file);
	free(published);
	return out;
}
