/*
 * sealed.h — compressed and encrypted backups on the command (sealed.c).
 */
#ifndef DBCARE_CLI_SEALED_H
#define DBCARE_CLI_SEALED_H

#include "pg_backup.h"

/* --encrypt-key-file: the key file checked, its absolute path put in the
 * environment the SQLite module reads the key from. -1 after printing. */
int cli_key_option(cli_opts *o);
/* --allow-origin: the other origin named in the environment the SQLite
 * module and this command's checks read (core/container,
 * dbc_container_allowed_origin); without it, none is. -1 after printing. */
int cli_allow_origin_option(const cli_opts *o);
/* Whether path starts as a sealed file does. */
bool cli_is_sealed(const char *path);
/* Seals the file plain as path (a new name: never replaced), compressed
 * and/or encrypted with the environment's key; read back before it is
 * named. sha and bytes: the sealed file's. -1 after printing why. */
int cli_seal_file(const char *plain, const char *path, bool zstd, bool encrypt, char sha[65],
                  long long *bytes);
/* The same, the header's origin "database\npublished path" naming the
 * database dumped (with "id:IDENTITY " before its name when it has one,
 * core/container) and path resolved (what the catalog row records); the
 * published file is the stop cleanup's (CLI_STOP_BACKUP_FILE) from its
 * link on, in one step, until the caller's record commits. */
int cli_seal_dump(const char *plain, const char *path, const char *database, const char *identity,
                  bool zstd, bool encrypt, char sha[65], long long *bytes);
/* PostgreSQL: the database's identity (dbcare.database_identity) in
 * *identity (malloc'd), NULL when the extension predates identities. -1
 * after the error. */
int cli_pg_database_identity(cli_db *db, cli_opts *o, char **identity);
/* Why the sealed dump at path is not the one the catalog row (row_path)
 * of this database (its identity, NULL: none; its name) names, by
 * core/container's rule: its header names another published path,
 * another identity, or another database name (a clone keeps the
 * identity) than this one or --allow-origin's. NULL when it is, or when
 * its header is of a file sealed before origins named a path (0.3.8:
 * nothing to compare). malloc'd. */
char *cli_sealed_origin_mismatch(const char *path, const char *row_path, const char *identity,
                                 const char *database);
/* The same rule for a plain dump whose origin (cli_pg_dump_origin) is
 * origin: another identity, or another database name than this one or
 * --allow-origin's. NULL when it names the same. malloc'd. */
char *cli_plain_dump_mismatch(const char *origin, const char *row_path, const char *identity,
                              const char *database);
/* Why the SQLite backup file at path is not restored into the database
 * whose identity is target_id (dbcare_bookkeeping.database_id; NULL:
 * never backed up) and whose file is target_file, by core/container's
 * rule: its origin (a sealed file's header, a plain copy's own:
 * sqlite/pitr/backup_origin.h) names another identity or another file than
 * this one or --allow-origin's, or an identity the target has none to
 * compare with. NULL when it names the same, or names no identity (sealed
 * or copied before identities). malloc'd. */
char *cli_target_mismatch(const char *path, const char *target_id, const char *target_file);
/* A scratch file without a name, on near's file system, inherited by
 * the tools this command runs (malloc'd path; NULL after printing why),
 * and its release (any other path is unlinked). */
char *cli_scratch_beside(const char *near);
void cli_scratch_release(char *path);
/* Opens the sealed file path into a new scratch file under TMPDIR
 * (returned; the caller releases it with cli_scratch_release); a file
 * checked against its row's SHA-256 is checked before (cli_file_mismatch,
 * the core's rule). NULL: *why (malloc'd) says what is wrong with the
 * file, or NULL when the error (a missing or wrong key) was printed. */
char *cli_unseal_to_temp(const char *path, char **why);

#endif
