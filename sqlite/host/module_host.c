/*
 * sqlite/host/module_host.c — the host the entry point installed when the module
 * was loaded into a connection (entry.c): what a call is bound to
 * (txn_guard.c) and what glue code without a call makes its own ctx over
 * (the audit hashing of audit_json.c). Kept here, below everything that
 * uses it, so that the host table (host.c), which names those users' parts,
 * is named by none of them. Likewise the registrar of the pure functions
 * (api.c), which the generator's scratch connections call: api.c names
 * every function's glue, the generator's among them.
 */
#include "glue.h"

static const dbc_host *installed_host = NULL;

void sqldbc_install_host(const dbc_host *host)
{
	installed_host = host;
}

const dbc_host *sqldbc_installed_host(void)
{
	return installed_host;
}

static sqldbc_pure_registrar installed_registrar = NULL;

void sqldbc_install_pure_registrar(sqldbc_pure_registrar registrar)
{
	installed_registrar = registrar;
}

int sqldbc_register_pure_functions(sqlite3 *db, sqldbc_conn *conn, char **errmsg)
{
	if (!installed_registrar) {
		*errmsg = sqlite3_mprintf("dbcare: the module was not loaded through its entry point");
		return SQLITE_MISUSE;
	}
	return installed_registrar(db, conn, errmsg);
}
