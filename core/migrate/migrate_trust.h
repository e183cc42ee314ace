/*
 * migrate_trust.h — whose SQL a changing call may run. Migrations run with
 * the rights of the role that applies them, so SQL registered by another
 * role would lend the applier's rights to its registrant (a migration role
 * replacing the DBA's pending migration with ALTER ROLE ... SUPERUSER). The
 * flows that run registered SQL (apply, rollback, verify, the script and its
 * step_begin) first refuse every migration whose registrant is not trusted.
 */
#ifndef DBC_MIGRATE_TRUST_H
#define DBC_MIGRATE_TRUST_H

#include "migrate/migrate.h"
#include "migrate/migrate_model.h"

/* DBC_OK when every migration of rows[0..n) may run in this call; otherwise
 * one 42501 error naming each refused migration and its registrant, before
 * anything ran. A registrant is trusted when the engine says it has the
 * applier's rights already (env->registrant_rights: itself, a superuser, a
 * role holding the applier's privileges), or when the setting
 * migrate.trusted_registrants names it and it cannot change dbcare's
 * settings itself. Engines without roles (env->registrant_rights NULL)
 * trust everyone. verb: "apply", "roll back", ... for the message. */
int dbc_migrate_check_registrants(dbc_ctx *ctx, const dbc_migrate_hooks *env,
                                  dbc_migrate_row *const *rows, int n, const char *verb);

/* *yes when SQL or bookkeeping written by role who counts for this call by
 * the same rule (trusted_list: the setting's value, NULL as empty); every
 * role where the engine has none. */
int dbc_migrate_trusts(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *who,
                       const char *trusted_list, bool *yes);

#endif
