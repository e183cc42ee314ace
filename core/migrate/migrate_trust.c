/*
 * migrate_trust.c — refusing migrations registered by roles the applier
 * does not trust (see migrate_trust.h).
 */
#include "migrate/migrate_trust.h"
#include "migrate/migrate_text.h"
#include "settings/settings.h"

#include <string.h>

/* name is an entry of the comma-separated list (blanks around entries
 * ignored; role names compare exactly, as PostgreSQL stores them). */
static bool listed(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *start = p;
		while (*p && *p != ',')
			p++;
		const char *end = p;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if ((size_t)(end - start) == len && len > 0 && memcmp(start, name, len) == 0)
			return true;
	}
	return false;
}

int dbc_migrate_trusts(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *who,
                       const char *trusted_list, bool *yes)
{
	bool rights = false, can_set = true;
	char *applier = NULL;
	*yes = true;
	if (!env || !env->registrant_rights)
		return DBC_OK;
	if (env->registrant_rights(ctx, who, &rights, &can_set, &applier) != DBC_OK)
		return DBC_ERROR;
	*yes = rights || (listed(trusted_list ? trusted_list : "", who) && !can_set);
	return DBC_OK;
}

int dbc_migrate_check_registrants(dbc_ctx *ctx, const dbc_migrate_hooks *env,
                                  dbc_migrate_row *const *rows, int n, const char *verb)
{
	if (!env || !env->registrant_rights || n == 0)
		return DBC_OK;
	char *trusted_list = NULL, *applier = NULL;
	dbc_buf refused;
	int nrefused = 0;
	dbc_buf_init(&refused, ctx);
	if (dbc_setting_get(ctx, "migrate.trusted_registrants", &trusted_list) != DBC_OK)
		return DBC_ERROR;
	/* one engine question per run of migrations by one registrant (usually
	 * all of them): an apply of thousands asks once */
	const char *asked = NULL;
	bool rights = false, can_set = true;
	for (int i = 0; i < n; i++) {
		const dbc_migration *m = rows[i]->mig;
		const char *who = m->registered_by;
		if (who && !(asked && strcmp(asked, who) == 0)) {
			rights = false;
			can_set = true;
			if (env->registrant_rights(ctx, who, &rights, &can_set, &applier) != DBC_OK)
				return DBC_ERROR;
			asked = who;
		}
		if (who && (rights || (listed(trusted_list, who) && !can_set)))
			continue;
		dbc_buf_append(&refused, nrefused++ ? "; " : "");
		if (m->repeatable)
			dbc_buf_appendf(&refused, "repeatable (%s)", dbc_migrate_text_printable(ctx, m->name));
		else
			dbc_buf_appendf(&refused, "%s (%s)", m->version,
			                dbc_migrate_text_printable(ctx, m->name));
		if (who)
			dbc_buf_appendf(&refused, " registered by %s%s", ctx->host->quote_ident(ctx, who),
			                listed(trusted_list, who) ? " (named in migrate.trusted_registrants, "
			                                            "but it can change dbcare's settings)"
			                                          : "");
		else
			dbc_buf_append(&refused, " registered by an unknown role");
	}
	if (!nrefused)
		return DBC_OK;
	char *detail = dbc_buf_finish(&refused);
	dbc_error(ctx, DBC_SQLSTATE_PRIVILEGE,
	          "cannot %s %d migration(s) registered by a role without the rights of %s: %s", verb,
	          nrefused, applier ? ctx->host->quote_ident(ctx, applier) : "the current role",
	          detail ? detail : "");
	dbc_error_detail(ctx, "A migration runs with the rights of the role that applies it; running "
	                      "SQL registered by a role with fewer rights would lend it these. Nothing "
	                      "was run.");
	dbc_error_hint(ctx, "Review the SQL and register it again as this role (dbmigrate_add or "
	                    "dbmigrate_load), let its registrant apply it, or name the registrant in "
	                    "the setting migrate.trusted_registrants (honoured only for roles that "
	                    "cannot change dbcare's settings).");
	return DBC_ERROR;
}
