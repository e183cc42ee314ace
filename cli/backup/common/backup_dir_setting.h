/*
 * backup_dir_setting.h — the settings backup.dir and backup.log.dir as a
 * command without its PATH or DIR uses them (backup_dir_setting.c): a
 * local folder, or an object store's URL (s3://BUCKET/PREFIX,
 * azure://CONTAINER/PREFIX), which becomes the command's --copy-to: the
 * same upload as that URL given on the command line.
 *
 * Invariants: the settings' own rule (core/settings) admits a URL only
 * without a credential, so nothing secret is read here; a URL in the
 * setting and another --copy-to are an error, never two destinations.
 */
#ifndef DBCARE_CLI_BACKUP_DIR_SETTING_H
#define DBCARE_CLI_BACKUP_DIR_SETTING_H

#include "cli/cli.h"

/* key's value in db (NULL: empty), and when it is a store URL o->copy_to
 * set to it (*dir NULL then). 0, or -1 after saying why (an unreadable
 * value: dbcare_get's error; a --copy-to that names another store). */
int cli_backup_dir_setting(cli_db *db, cli_opts *o, const char *key, char **dir);

#endif
