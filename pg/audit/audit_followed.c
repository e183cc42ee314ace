/*
 * audit_followed.c — the columns a table's current audit trigger follows by
 * attribute number. dbaudit_refresh keeps these numbers (pg/audit/fn_audit.c):
 * re-reading them from the option's names would lose a column renamed since
 * (an excluded password column renamed would start being logged).
 */
#include "pg/host/glue.h"

#include "audit_glue.h"

#include "access/table.h"
#include "catalog/namespace.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/reltrigger.h"

static bool is_audit_trigger(Oid fn)
{
	char *name = get_func_name(fn);
	char *schema = get_namespace_name(get_func_namespace(fn));
	return name && schema && strcmp(name, "audit_trigger") == 0 && strcmp(schema, "dbcare") == 0;
}

void pgdbc_audit_followed(void *arg)
{
	pgdbc_audit_followed_args *a = arg;
	Relation rel = table_open(a->relid, AccessShareLock);
	TriggerDesc *td = rel->trigdesc;
	a->n = 0;
	/* the table's own trigger: a clone on a partition carries the numbers
	 * of its audited ancestor's columns */
	for (int i = 0; td && i < td->numtriggers; i++) {
		const Trigger *t = &td->triggers[i];
		if (t->tgisclone || !is_audit_trigger(t->tgfoid) || t->tgnargs < 3)
			continue;
		int nkey = atoi(t->tgargs[2]);
		int at = -1; /* the "@" that starts the numbers, one per argument from 3 on */
		for (int j = 3 + (nkey > 0 ? nkey : 0); j < t->tgnargs; j++)
			if (strcmp(t->tgargs[j], "@") == 0) {
				at = j;
				break;
			}
		if (nkey < 0 || at < 0 || t->tgnargs - at - 1 != at - 3)
			continue;
		a->names = palloc(sizeof(char *) * (at - 3 + 1));
		a->numbers = palloc(sizeof(char *) * (at - 3 + 1));
		for (int j = 3; j < at; j++) {
			if (atoi(t->tgargs[at + 1 + j - 3]) < 1)
				continue;
			/* key names as given; column arguments carry "+" or "-" first */
			a->names[a->n] = pstrdup(t->tgargs[j] + (j < 3 + nkey ? 0 : 1));
			a->numbers[a->n] = pstrdup(t->tgargs[at + 1 + j - 3]);
			a->n++;
		}
		break;
	}
	table_close(rel, AccessShareLock);
}
