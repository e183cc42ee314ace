/*
 * pg/audit_glue.h — between pg/fn_audit.c and pg/audit_trigger.c.
 */
#ifndef PGDBC_AUDIT_GLUE_H
#define PGDBC_AUDIT_GLUE_H

/* Defines dbcare.actor (from _PG_init). */
void pgdbc_define_audit_settings(void);

/* The baseline of dbaudit_enable: every row of table `name` logged as a
 * snapshot entry, written as the trigger with these arguments writes. */
typedef struct pgdbc_audit_snapshot_args {
	const char *name;
	Oid function; /* dbcare.audit_trigger: its owner writes the log */
	int nargs;
	char **args;
} pgdbc_audit_snapshot_args;

/* For pgdbc_guarded: arg is a pgdbc_audit_snapshot_args. */
void pgdbc_audit_snapshot(void *arg);

#endif
