/*
 * health_file.h — the health report judged for the database, not for the
 * command's connection (health_file.c).
 */
#ifndef DBCARE_CLI_HEALTH_FILE_H
#define DBCARE_CLI_HEALTH_FILE_H

#include "driver.h"

#include <jansson.h>

/* 0 healthy (or anything else), 1 warning, 2 critical. */
int cli_status_rank(const char *status);
/* SQLite: foreign_keys_enforced skipped, score and status recomputed. */
void cli_health_judge_file(const cli_db *db, json_t *report);
/* The worst of the report's status and every check's. */
const char *cli_health_worst(const json_t *report);
/* The same for dbhealth_metrics()'s text (malloc'd); *worst as above. */
char *cli_health_judge_file_metrics(const cli_db *db, const char *metrics, const char **worst);

#endif
