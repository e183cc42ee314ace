/*
 * pg/host/module_host.c — the host the module installed when it loaded
 * (pg/api/module.c, _PG_init): what a call is begun over (pg/host/call.c) and what
 * glue code without a call makes its own ctx over (the audit trigger's
 * hashing, the schema cache's entries). Kept here, below everything that
 * uses it, so that the host table (pg/api/host.c), which names those users'
 * parts, is named by none of them.
 */
#include "glue.h"
#include "call_private.h"

static const dbc_host *installed_host = NULL;

void pgdbc_install_host(const dbc_host *host)
{
	installed_host = host;
}

const dbc_host *pgdbc_installed_host(void)
{
	Assert(installed_host != NULL);
	return installed_host;
}
