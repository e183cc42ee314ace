/*
 * health_file.h — the health report of the database, not of the command's
 * connection, as the module judged it (health_file.c).
 */
#ifndef DBCARE_CLI_HEALTH_FILE_H
#define DBCARE_CLI_HEALTH_FILE_H

#include "cli/driver/driver.h"

#include <jansson.h>

/* dbhealth_report (into *report) and dbhealth_metrics (into *metrics), each
 * read when its pointer is not NULL (malloc'd), with scope 'database' and
 * labelled `label` (NULL: the database's own label). 0, or -1 with db's
 * error. */
int cli_health_read(cli_db *db, const char *mode, const char *label, char **report, char **metrics);

#endif
