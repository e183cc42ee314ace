/*
 * module_stop.h — a stop signal (SIGINT, SIGTERM, SIGHUP) while the SQLite
 * module makes a backup (module_stop.c).
 */
#ifndef DBC_CLI_MODULE_STOP_H
#define DBC_CLI_MODULE_STOP_H

#include "cli/cli.h"

/* SELECT dbbackup_create(p[0], p[1]) into *r, as cli_q (0 or -1 after
 * setting the error), with the stop signals held: the backup ends whole
 * and recorded, or nothing of it is left (p[0] NULL, the module's own
 * name: it is not stopped before it ends). */
int cli_module_backup_create(cli_db *db, cli_opts *o, const char *const p[2], cli_rows *r);

#endif
