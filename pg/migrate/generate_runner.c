/*
 * generate_runner.c — who the desired schema's statements run as
 * (docs/security.md): the file is someone else's, so what it runs in the
 * scratch place, and the generated plan's proof there, runs with no more
 * rights than a fresh role without privileges.
 *
 * Whoever the caller is, a one-time role is made inside the scratch place's
 * subtransaction: NOLOGIN, no attribute, member of nothing, owner of the
 * scratch schemas (all made beforehand: it may not make schemas), allowed
 * to fire the dbcare and extension trigger functions the live tables'
 * triggers fire (grant_fired). No row of a shared object
 * (the database, a schema the place does not stand in for) is updated
 * unless the live triggers need it: concurrent sessions wait on nothing.
 * The statements run as that role, in a security-restricted operation (no
 * SET ROLE, no temporary objects). The subtransaction's rollback removes
 * the role with everything else, so none outlives the call.
 *
 * A caller who may not make roles (a plain table owner) gets the role made
 * by dbcare: its two fixed statements (CREATE ROLE, GRANT it to the
 * caller) run as the bootstrap superuser; neither fires an event trigger
 * (roles are shared objects), and nothing of the file runs meanwhile; the
 * schemas' owner the caller gives as itself. The
 * caller's rights are never the file's: with them, code the file reaches
 * while it is applied (a partition bound, a column default computed once)
 * could setval a live sequence or end the caller's other sessions, which
 * no rollback undoes, and a name the lexical mapping misses (a search_path
 * the file sets, a U&"..." identifier) would reach a live table.
 *
 * Session advisory locks are not transactional: one the file's code took
 * (pg_advisory_lock is PUBLIC's) would outlive the rollback, so each lock
 * this backend holds after the place that it did not hold before is
 * released (a lock it held before, taken again, keeps the extra count).
 *
 * Invariant: only what the mapped host executes (exec) runs as the runner;
 * dbcare's own reads (query, read_schema: fixed text, pinned search_path,
 * the live tables and the catalogs) keep the caller's rights.
 */
#include "pg/host/glue.h"

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "parser/parser.h"
#include "storage/lock.h"
#include "utils/acl.h"
#include "utils/builtins.h"

#include <string.h>

#include <unistd.h>

static int runners_made; /* this backend's, for a name of its own */

/* The functions of the schemas the scratch place does not stand in for
 * (dbcare's, the extensions') that the user tables' triggers fire (dbcare's
 * soft delete and audit): the proof makes those triggers again, so the role
 * may use them, and nothing else there (a trigger function cannot be
 * called, only fired; the proof's tables are empty). */
#define IS_SHARED(n)                                                                               \
	"(" n ".nspname = 'dbcare' OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = " \
	"'pg_catalog.pg_namespace'::pg_catalog.regclass AND d.objid = " n ".oid AND d.deptype = 'e'))"
#define FIRED_SHARED_FUNCTIONS                                                                     \
	"SELECT DISTINCT p.pronamespace::pg_catalog.regnamespace::text, "                              \
	"p.oid::pg_catalog.regprocedure::text FROM pg_catalog.pg_trigger g "                           \
	"JOIN pg_catalog.pg_proc p ON p.oid = g.tgfoid JOIN pg_catalog.pg_namespace n ON "             \
	"n.oid = p.pronamespace JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid "                      \
	"JOIN pg_catalog.pg_namespace r ON r.oid = c.relnamespace WHERE NOT g.tgisinternal "           \
	"AND " IS_SHARED("n") " AND NOT " IS_SHARED("r") " AND r.nspname !~ '^pg_' "                   \
	                                                 "AND r.nspname <> 'information_schema'"

typedef struct fired {
	dbc_strlist schemas, functions;
} fired;

static int take_fired(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	fired *f = arg;
	(void)ncol;
	for (int i = 0; i < f->schemas.n; i++)
		if (strcmp(f->schemas.items[i], c[0].s) == 0)
			return dbc_strlist_add(ctx, &f->functions, c[1].s);
	if (dbc_strlist_add(ctx, &f->schemas, c[0].s) != DBC_OK)
		return DBC_ERROR;
	return dbc_strlist_add(ctx, &f->functions, c[1].s);
}

static bool may_make_role(void)
{
	return superuser() || has_createrole_privilege(GetUserId());
}

/* sql (dbcare's own fixed text, no event trigger's) run as who may make
 * roles: the caller when it may, else the bootstrap superuser, in a
 * security-restricted operation. */
static int exec_role_maker(dbc_ctx *ctx, const char *sql)
{
	if (may_make_role())
		return ctx->host->exec(ctx, sql);
	Oid caller;
	int sec;
	volatile int rc = DBC_ERROR;
	GetUserIdAndSecContext(&caller, &sec);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID,
	                       sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		rc = ctx->host->exec(ctx, sql);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(caller, sec);
	}
	PG_END_TRY();
	return rc;
}

/* The one-time role's right to fire the trigger functions of schemas the
 * place does not stand in for (sql: dbcare's own GRANT statements), given
 * as the bootstrap superuser: a table owner holds no grant option on
 * dbcare's schema, yet its soft-delete and audit triggers are made again
 * by the proof. Each statement goes straight to ExecuteGrantStmt, so no
 * utility hook and no event trigger runs with those rights. An error
 * there (none is expected: the objects were just read) is the server's. */
static void grant_fired(const char *sql)
{
	Oid caller;
	int sec;
	GetUserIdAndSecContext(&caller, &sec);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID,
	                       sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		ListCell *lc;
		foreach (lc, raw_parser(sql, RAW_PARSE_DEFAULT)) {
			Node *stmt = lfirst_node(RawStmt, lc)->stmt;
			if (!IsA(stmt, GrantStmt))
				elog(ERROR, "dbcare: the generator's grant is no GRANT");
			ExecuteGrantStmt((GrantStmt *)stmt);
			CommandCounterIncrement();
		}
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(caller, sec);
	}
	PG_END_TRY();
}

int pgdbc_runner_open(dbc_ctx *ctx, const dbc_strlist *owned, pgdbc_runner *out)
{
	char *name = dbc_printf(ctx, "dbcare_gen_%ld_runner_%d", (long)getpid(), ++runners_made);
	if (!name)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "cannot name the generator's one-time role");
	const char *q = quote_identifier(name);
	char *make = dbc_printf(ctx,
	                        "CREATE ROLE %s NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT "
	                        "NOREPLICATION NOBYPASSRLS;\nGRANT %s TO %s;\n",
	                        q, q, quote_identifier(GetUserNameFromId(GetUserId(), false)));
	if (!make || exec_role_maker(ctx, make) != DBC_OK)
		return DBC_ERROR;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < owned->n; i++)
		dbc_buf_appendf(&b, "ALTER SCHEMA %s OWNER TO %s;\n", quote_identifier(owned->items[i]), q);
	fired f = {0};
	if (ctx->host->query(ctx, FIRED_SHARED_FUNCTIONS, 0, NULL, take_fired, &f) != DBC_OK)
		return DBC_ERROR;
	char *sql = dbc_buf_finish(&b);
	if (!sql || ctx->host->exec(ctx, sql) != DBC_OK)
		return DBC_ERROR;
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < f.schemas.n; i++) /* regnamespace's text is quoted already */
		dbc_buf_appendf(&b, "GRANT USAGE ON SCHEMA %s TO %s;\n", f.schemas.items[i], q);
	for (int i = 0; i < f.functions.n; i++)
		dbc_buf_appendf(&b, "GRANT EXECUTE ON FUNCTION %s TO %s;\n", f.functions.items[i], q);
	char *grants = dbc_buf_finish(&b);
	if (!grants)
		return DBC_ERROR;
	if (*grants)
		grant_fired(grants);
	out->role = get_role_oid(name, false);
	return DBC_OK;
}

int pgdbc_runner_exec(dbc_ctx *ctx, const pgdbc_runner *r, const dbc_host *host, const char *sql)
{
	Oid caller;
	int sec;
	volatile int rc = DBC_ERROR;
	GetUserIdAndSecContext(&caller, &sec);
	SetUserIdAndSecContext(r->role,
	                       sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		rc = host->exec(ctx, sql);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(caller, sec);
	}
	PG_END_TRY();
	return rc;
}

/* ------------------------------------------------------------ advisory locks */

static bool my_advisory(const LockInstanceData *in)
{
	return in->pid == MyProcPid && in->locktag.locktag_type == LOCKTAG_ADVISORY;
}

int pgdbc_advisory_note(dbc_ctx *ctx, pgdbc_advisory *out)
{
	LockData *ld = GetLockStatusData();
	out->n = 0;
	out->held = dbc_alloc(ctx, sizeof(LockInstanceData) * (size_t)(ld->nelements + 1));
	if (!out->held)
		return DBC_ERROR;
	for (int i = 0; i < ld->nelements; i++)
		if (my_advisory(&ld->locks[i]))
			out->held[out->n++] = ld->locks[i];
	return DBC_OK;
}

/* The modes of tag that before held. */
static LOCKMASK held_before(const pgdbc_advisory *before, const LOCKTAG *tag)
{
	LOCKMASK mask = 0;
	for (int i = 0; i < before->n; i++)
		if (memcmp(&before->held[i].locktag, tag, sizeof(LOCKTAG)) == 0)
			mask |= before->held[i].holdMask;
	return mask;
}

void pgdbc_advisory_release_new(const pgdbc_advisory *before)
{
	static const LOCKMODE modes[] = {ExclusiveLock, ShareLock};
	LockData *ld = GetLockStatusData();
	for (int i = 0; i < ld->nelements; i++) {
		const LockInstanceData *in = &ld->locks[i];
		if (!my_advisory(in))
			continue;
		LOCKMASK old = held_before(before, &in->locktag);
		for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++)
			if ((in->holdMask & LOCKBIT_ON(modes[m])) && !(old & LOCKBIT_ON(modes[m])))
				while (LockHeldByMe(&in->locktag, modes[m]) &&
				       LockRelease(&in->locktag, modes[m], true))
					;
	}
}
