/*
 * backup_content.h — what verifies a backup against its record, for every
 * engine and method: the logical verification's record (every table's row
 * count and content hash at the copy's moment, backup_content.c) and the
 * file's SHA-256 (backup_file_mismatch.c). The engine or the command reads (the
 * tables of a restored copy, a file's digest); the rules and their words
 * are here, so a SQLite file and a PostgreSQL dump fail for one reason in
 * one sentence.
 */
#ifndef DBC_BACKUP_CONTENT_H
#define DBC_BACKUP_CONTENT_H

#include "backup/backup.h"

/* The row digests a content record names (its version; a record is
 * compared only with a copy hashed by the same one):
 *   1  SQLite: SHA-256 of the row's encoding (records of 0.3.5);
 *   2  SQLite: SipHash-1-3 of the same encoding (sqlite/backup_content.c);
 *   3  PostgreSQL: the server's hashtextextended of the row's text
 *      (record_out), summed as a numeric (the dialect's content_query,
 *      pg/dialect.c). */
#define DBC_BACKUP_CONTENT_PG_TEXT 3

/* The one format of a content record, every engine's, which
 * dbbackup_content() answers and the catalogs keep: the catalog's text of
 * an image's tables ([[name, rows, hash], ...], by name, a table's rowid
 * windows where kept as a fourth member; from content version 2 on inside
 * {"version": V, "tables": ...}), and back, with the version (1 for the
 * bare array): NULL (no error) when img has none or the text is no form it
 * reads (a row edited by hand compares as having none). The keyed form
 * PostgreSQL's records held up to 0.3.9, {"schema.table": {"rows": N,
 * "hash": H}} with H the decimal sum of a 64-bit hash of each row (what
 * the dialect's content_query still answers), reads as version 3, tables
 * sorted by name, each H as the 32 hex digits of its 128-bit two's
 * complement (exact: two texts of one sum read the same, two sums never):
 * a record of 0.3.9 compares with a copy read today. */
char *dbc_backup_content_text(dbc_ctx *ctx, const dbc_backup_image *img);
dbc_backup_table *dbc_backup_content_parse(dbc_ctx *ctx, const char *text, int64_t *tables,
                                           int *version);
/* As parse, false when text is no form it reads; an empty list is read
 * (true, *tables 0). */
bool dbc_backup_content_read(dbc_ctx *ctx, const char *text, dbc_backup_table **table,
                             int64_t *tables, int *version);
/* Why copy's content is not source's (NULL: it is): the first table, by
 * name, whose rows or content hash differ, or that one of them lacks. */
char *dbc_backup_content_mismatch(dbc_ctx *ctx, const dbc_backup_table *source, int64_t nsource,
                                  const dbc_backup_table *copy, int64_t ncopy);
/* As mismatch, first the row digests: two contents hashed by different
 * versions (the records' numbering) do not compare. */
const char *dbc_backup_content_why(dbc_ctx *ctx, const dbc_backup_table *source, int64_t nsource,
                                   int source_version, const dbc_backup_table *copy, int64_t ncopy,
                                   int copy_version);
/* How many tables differ between source and copy (a table missing on
 * either side, another row count or content hash); *rows the rows source
 * holds in the tables both have. Both lists are in name order. */
int64_t dbc_backup_content_count(const dbc_backup_table *source, int64_t nsource,
                                 const dbc_backup_table *copy, int64_t ncopy, int64_t *rows);

/* A restored copy's content against its record, both as catalog text (any
 * form above): why it fails (NULL: it matches), the copy's tables, the
 * recorded rows of the tables both have, and the tables that differ. */
typedef struct dbc_backup_content_verdict {
	const char *why;
	int64_t tables, rows, mismatches;
} dbc_backup_content_verdict;
/* DBC_ERROR (no ctx error) when either text does not parse. */
int dbc_backup_content_judge(dbc_ctx *ctx, const char *recorded, const char *copy,
                             dbc_backup_content_verdict *v);

/* dbbackup_content(): every table of the database the call runs in, in
 * the format above, as a backup of it records them (the engine reads,
 * env->read_content; the core writes the text). */
int dbc_backup_content(dbc_ctx *ctx, const dbc_backup_hooks *env, char **json);

/* An engine's answer to its dialect's content_query (the keyed form
 * above) in the one format; NULL with the error set when it does not read.
 * The module's dbbackup_content() and the command reading a database
 * without that function both turn it so. */
char *dbc_backup_content_from_keyed(dbc_ctx *ctx, const char *keyed);
/* How many tables a content record in any form names; -1 when it does
 * not read. */
int64_t dbc_backup_content_tables(dbc_ctx *ctx, const char *text);

/* Why a backup file is not the one its row recorded (NULL: it is, or the
 * row recorded no SHA-256): now is the file's SHA-256 read now, NULL when
 * it was not read (unreadable: why not, NULL when the reader said nothing). */
const char *dbc_backup_file_mismatch(dbc_ctx *ctx, const char *recorded, const char *now,
                                     const char *unreadable);

#endif
