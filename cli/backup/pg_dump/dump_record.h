/*
 * dump_record.h — what a pg_dump file dbcare made carries about itself
 * (dump_record.c): its database's name, identity and schema fingerprint
 * and the content read in the dump's snapshot (every table's row count and
 * content hash), so that a restore or a verification from the file alone,
 * the database and its catalog gone, still compares every table with the
 * source (docs/backups.md, "The day the database is gone").
 *
 * The record follows the archive, inside the file (inside the seal, for a
 * sealed dump): pg_restore reads an archive by its table of contents and
 * ignores what follows it, so the file stays an ordinary custom-format
 * archive. Layout: the archive, "\n", the record (JSON), "\n", then a
 * footer of DBC_DUMP_FOOTER_LEN bytes, "DBCARE-DUMP-RECORD " and the
 * record's length in 12 hex digits and "\n", ending the file.
 */
#ifndef DBCARE_CLI_DUMP_RECORD_H
#define DBCARE_CLI_DUMP_RECORD_H

#include <stdbool.h>

#define DBC_DUMP_FOOTER_LEN 32

/* What the record says; strings malloc'd, NULL where it names none. */
typedef struct cli_dump_record {
	char *database;    /* the database dumped, by name */
	char *identity;    /* its dbcare identity */
	char *fingerprint; /* dbschema_fingerprint() in the snapshot */
	char *content;     /* {"schema.table": {"rows": N, "hash": H}} as JSON text */
} cli_dump_record;

/* Appends r as the record of the archive at path (nothing follows the
 * archive yet). 0, or -1 with *err ("dbcare: ...", malloc'd). */
int cli_dump_record_append(const char *path, const cli_dump_record *r, char **err);
/* The record the file at path ends with: 1 (r filled), 0 when it ends
 * with none (a dump pg_dump made alone, or dbcare before 0.3.9), -1 with
 * *err when its record is damaged. */
int cli_dump_record_read(const char *path, cli_dump_record *r, char **err);
void cli_dump_record_free(cli_dump_record *r);
/* Whether the file at path begins as a custom-format archive of pg_dump
 * does ("PGDMP"): not an empty file, a text or another file. */
bool cli_dump_is_archive(const char *path);

#endif
