/*
 * health_file.h — the health report of the database, not of the command's
 * connection, as the module judged it (health_file.c).
 */
#ifndef DBCARE_CLI_HEALTH_FILE_H
#define DBCARE_CLI_HEALTH_FILE_H

#include "cli/driver/driver.h"

#include <jansson.h>

/* 0 healthy (or anything else), 1 warning, 2 critical. */
int cli_status_rank(const char *status);
/* The worst of the report's status and every check's. */
const char *cli_health_worst(const json_t *report);
/* dbhealth_report (into *report) and dbhealth_metrics (into *metrics), each
 * read when its pointer is not NULL (malloc'd), with scope 'database' and
 * labelled `label` (NULL: the database's own label). 0, or -1 with db's
 * error. */
int cli_health_read(cli_db *db, const char *mode, const char *label, char **report, char **metrics);

#endif
