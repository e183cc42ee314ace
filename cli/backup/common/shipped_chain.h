/*
 * shipped_chain.h — what shipped.c uses of shipped_chain.c: an uploaded
 * backup indexed by its SHA-256, and an incremental backup's chain
 * fetched by that index alone.
 */
#ifndef DBCARE_CLI_BACKUP_SHIPPED_CHAIN_H
#define DBCARE_CLI_BACKUP_SHIPPED_CHAIN_H

#include "cli/store/store.h"

#include <stdbool.h>
#include <stddef.h>

/* Whether path is an incremental backup (a page set: "DBCPAGE1"). */
bool cli_page_set(const char *path);

/* After the upload of the backup file as name to s: when it is an
 * incremental backup, its index "sha256-<its SHA-256>.ref" (holding name)
 * and, when s has none, its base's (the local file of its folder s holds
 * by name with the SHA-256 its header names), put after the objects they
 * name, so an index names a whole object. A full backup: nothing. 0, or
 * -1 with err. */
int cli_backup_ship_refs(cli_store *s, const char *name, const char *file, char *err, size_t n);

/* The links of the incremental backup at file (fetched into the folder
 * stage) fetched there by the index: each page set's base by the
 * "sha256-<its base's SHA-256>.ref" that names it, until a base is no
 * page set. names (count, sorted): the store's listing. 0: the chain is
 * in stage; 1: a link has no index (uploaded before indexes, or its
 * upload was killed before its index): the caller fetches the folder;
 * -1 with err. */
int cli_backup_fetch_chain(cli_store *s, const char *stage, const char *file, char **names,
                           size_t count, char *err, size_t n);

#endif
