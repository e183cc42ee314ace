/*
 * name_path.c — the schemas an unqualified table name names, in the order
 * the caller's search_path lists them (dbc_host.name_path), so a name in
 * several schemas means the table PostgreSQL itself would take.
 *
 * Every pinned dbcare function runs under its own SET search_path; the
 * caller's path is then the value that SET saved on the setting's stack.
 * Reading that stack goes below PostgreSQL's SQL interface
 * (utils/guc_tables.h), so it is read only for the major version this was
 * written and tested against (the gate below, as pg/catalog/schema_cache.c does);
 * elsewhere no path is offered and such a name stays ambiguous. A
 * procedure or function without SET (dbretain_run, the migration runners)
 * runs under the caller's path itself.
 */
#include "glue.h"

#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/varlena.h"

/* The gate: the setting's stack is read as PostgreSQL 15 lays it out;
 * -DDBC_PLAIN_PG_PATHS builds the plain path alone (no caller's path). */
#if PG_VERSION_NUM >= 150000 && PG_VERSION_NUM < 160000 && !defined(DBC_PLAIN_PG_PATHS)
#define CALLER_PATH_READ 1
#endif
#ifdef CALLER_PATH_READ
#include "utils/guc_tables.h"
#endif

#include <string.h>

/* The caller's search_path text, or NULL when it cannot be told. Invariant:
 * while a dbcare call runs outside a host query, the setting holds either
 * the caller's path or the pinned one, and then the newest saved value that
 * is not the pinned one is the caller's. */
static const char *caller_path(void)
{
	if (namespace_search_path && !pgdbc_search_path_pinned())
		return namespace_search_path;
#ifdef CALLER_PATH_READ
	struct config_generic **vars = get_guc_variables();
	int n = GetNumConfigOptions();
	for (int i = 0; i < n; i++) {
		if (strcmp(vars[i]->name, "search_path") != 0)
			continue;
		for (GucStack *st = vars[i]->stack; st; st = st->prev) {
			const char *v = st->prior.val.stringval;
			if (v && strcmp(v, DBC_PG_PINNED_SEARCH_PATH) != 0)
				return v;
		}
		break;
	}
#endif
	return NULL;
}

char **pgdbc_name_path(dbc_ctx *ctx)
{
	const char *path = caller_path();
	List *names = NIL;
	ListCell *lc;
	char **out;
	int k = 0;
	if (!path)
		return NULL;
	if (!SplitIdentifierString(pstrdup(path), ',', &names))
		return NULL; /* not a valid path: PostgreSQL would not search it either */
	out = dbc_zalloc(ctx, sizeof(char *) * (size_t)(list_length(names) + 1));
	if (!out)
		return NULL;
	foreach (lc, names) {
		const char *name = lfirst(lc);
		if (strcmp(name, "$user") == 0)
			name = GetUserNameFromId(GetUserId(), true);
		if (name && (out[k] = dbc_strdup(ctx, name)) != NULL)
			k++;
	}
	return out;
}
