/*
 * sqlite/audit_sql.h — the generated SQL of SQLite's audit triggers
 * (audit_sql.c), for fn_audit.c.
 */
#ifndef SQLDBC_AUDIT_SQL_H
#define SQLDBC_AUDIT_SQL_H

#include "audit/audit.h"
#include "glue.h"

/* The quoted name of a table's audit trigger for op (insert, update, delete). */
/* Links one entry ($1 its id) into the hash chain after the head. */
const char *sqldbc_audit_link_sql(void);
char *sqldbc_audit_trigger_name(dbc_ctx *ctx, const char *table, const char *op);
/* CREATE TRIGGER statements recording the table's changes as o says. */
int sqldbc_audit_triggers_sql(dbc_ctx *ctx, const dbc_audit_target *t,
                              const dbc_audit_options *o, char **out);
/* The INSERT ... SELECT logging every row of the table as a snapshot. */
int sqldbc_audit_baseline_sql(dbc_ctx *ctx, const dbc_audit_target *t,
                              const dbc_audit_options *o, char **out);

#endif
