/*
 * sqlite/pitr/pitr.h — the point-in-time log's public header: what the
 * backups of the module (sqlite/backup/) and the command (cli/backup/)
 * use of it: the capture and the log's records (pitr_capture.h), the
 * log's readable end (pitr_end.h) and the origin a plain backup file
 * carries in itself (backup_origin.h). The sources behind them are built
 * two ways, into the module and with DBC_PITR_LINKED into the command
 * (pitr_sqlite.h); the part's other headers are its own.
 */
#ifndef SQLDBC_PITR_H
#define SQLDBC_PITR_H

#include "backup_origin.h"
#include "pitr_capture.h"
#include "pitr_end.h"

#endif
