/*
 * shipped.h — backups that leave the machine (shipped.c): a backup file
 * the method made, uploaded to a destination of the object store
 * (cli/store/store.h: s3://BUCKET/PREFIX, azure://CONTAINER/PREFIX or a
 * folder), and a backup named by its URL fetched back into a private
 * folder, with the files its restore needs beside it, for the method's
 * own restore and verify.
 */
#ifndef DBCARE_CLI_BACKUP_SHIPPED_H
#define DBCARE_CLI_BACKUP_SHIPPED_H

#include "cli/cli.h"

/* file (a backup the method made, whole and verified) uploaded to
 * o->copy_to under its own name, atomically (store.h); a note says where.
 * indexed (a SQLite backup): an incremental's index by SHA-256 beside it,
 * and its base's, which a restore of a chain follows (shipped_chain.h).
 * *at (at not NULL): where the object is, as a catalog row names it
 * (malloc'd): DEST/NAME for a store's URL (never a credential:
 * cli_store_label), the absolute path in a folder. CLI_OK, or CLI_ERROR
 * after printing why (*at NULL). */
int cli_backup_ship(cli_opts *o, const char *file, bool indexed, char **at);
/* Says that the local backup file stands though its upload failed. */
void cli_backup_ship_failed(cli_opts *o, const char *file);

/* A backup named by a store URL, fetched: *stage a new private folder
 * (0700) holding it and, when it is an incremental backup, its chain's
 * links (found by the store's index; without one, every backup of its
 * folder in the store);
 * *file its path there. CLI_OK, or CLI_ERROR after printing why (nothing
 * left behind). cli_backup_fetched_drop removes the folder. */
int cli_backup_fetch(const char *url, char **stage, char **file);
void cli_backup_fetched_drop(char *stage, char *file);

/* Every object under a store URL's prefix (a point-in-time log shipped
 * there) fetched into *stage, a new private folder, as for
 * cli_backup_fetch. CLI_OK, or CLI_ERROR after printing why (nothing
 * left behind). */
int cli_backup_fetch_all(const char *url, char **stage);

/* The backups dbbackup_prune's answer (its JSON text: "deleted" or
 * "would_delete") names, deleted from o->copy_to by their names with
 * --apply, in its order (the newest first: the rule keeps every base a
 * kept backup needs, so the store loses only what no kept backup needs);
 * without, listed as "would delete DEST/NAME". CLI_OK, or CLI_ERROR after
 * printing why. */
int cli_backup_unship(cli_opts *o, const char *answer);
/* Where o->copy_to's objects are as their catalog rows name them, up to
 * the name: "DEST/" (malloc'd, as cli_backup_ship's *at without the
 * name). NULL after printing why. */
char *cli_backup_copies_at(cli_opts *o);

#endif
