/*
 * backup_origin.h — the origin a plain SQLite backup file carries in itself
 * (backup_origin.c), one source built into the module (its verification
 * and drill of a catalogued copy) and into the command (its restore of a
 * file over a database), as pitr_sqlite.h builds the log's files twice.
 */
#ifndef SQLDBC_BACKUP_ORIGIN_H
#define SQLDBC_BACKUP_ORIGIN_H

/* The table each copy gets, holding its proof of origin (backup_stamp.c):
 * not part of what a fingerprint or a row count covers, in the source (a
 * database restored from a copy has one) or in the copy. */
#define STAMP_TABLE "dbcare_backup_stamp"

/* The origin of the plain copy at path, in the text of a sealed header's
 * (core/container, dbc_container_origin_split): "id:IDENTITY FILE\nPATH",
 * IDENTITY its bookkeeping's database_id (the database it was copied from:
 * copies keep it), FILE and PATH its stamp's (that database's canonical
 * path, the path the copy was published under). malloc'd; NULL when the
 * file names no identity (copied before identities, bookkeeping version
 * 14), carries no stamp, is no SQLite database or cannot be read: then
 * there is nothing to compare it with, as before. */
char *sqldbc_plain_origin(const char *path);

/* The identity alone (its bookkeeping's database_id) of the SQLite file at
 * path, stamped or not (a point-in-time log's base); malloc'd, NULL when it
 * names none, is no SQLite database or cannot be read. */
char *sqldbc_plain_identity(const char *path);

#endif
