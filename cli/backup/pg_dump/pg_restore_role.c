/*
 * pg_restore_role.c — a superuser's dbcare restore of a dump, run so the
 * dump's code never runs with the superuser's rights (docs/backups.md,
 * "Who runs the dump's code"). A dump holds its owners' code: CHECK
 * constraints and domain checks run by COPY, index and generated-column
 * expressions, materialized views. Restored by a superuser with
 * --no-owner, a table owner's function would run as that superuser and
 * could make its owner one.
 *
 * So the dump is restored in steps, as dbcare verify restores it into its
 * scratch database (pg_dump_verify.c), but into the connected database:
 * - first, every role owning what the role below restores must be the
 *   database's owner, who gets it all at the end (refuse_other_owners);
 * - a role of its own, dbcare_restore_<pid>_<epoch> (LOGIN, no other
 *   attribute, a one-time password), granted CONNECT, CREATE and TEMPORARY
 *   on the database and USAGE and CREATE on its schema public, logs in as
 *   itself and restores the schemas, then (after the superuser made the
 *   extensions in them, with EXECUTE on the trigger functions of dbcare
 *   the dump's triggers call) everything else: every object is the role's
 *   and its code runs as the role, which no RESET ROLE leaves; then its
 *   logins end;
 * - the content is compared with the dump's record;
 * - the superuser restores what runs no owner code and what the role may
 *   not make on objects it does not own (pg_toc.c's admin list): the rows
 *   of the extensions' configuration tables, grants, comments, security
 *   labels and default privileges;
 * - what the role owns is given to the database's owner (REASSIGN OWNED),
 *   its grants dropped and the role dropped;
 * - the event triggers last: after them no DDL of the restore runs.
 * A step that fails ends the restore: what the role made and the
 * extensions made are dropped, so the database is as empty as it was.
 * Every statement the superuser's session runs names pg_catalog's
 * functions, or reads under a pinned search_path (pg_contents.c).
 */
#include "pg_dump.h"
#include "cli/common/tool.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs each statement the query (parameter $1: the role's name) writes. */
static int run_written(cli_db *db, cli_opts *o, const char *query, const char *role)
{
	cli_rows r = {0};
	const char *p[1] = {role};
	int rc = cli_q(db, o, query, 1, p, &r);
	for (int i = 0; rc == 0 && i < r.nrows; i++)
		rc = cli_q(db, o, cli_cell(&r, i, 0), 0, NULL, NULL);
	cli_rows_free(&r);
	return rc;
}

static const char grants_sql[] =
    "SELECT pg_catalog.format('GRANT CONNECT, CREATE, TEMPORARY ON DATABASE %I TO %I',"
    "  pg_catalog.current_database(), CAST($1 AS text))"
    " UNION ALL SELECT pg_catalog.format('GRANT USAGE, CREATE ON SCHEMA public TO %I',"
    "  CAST($1 AS text)) WHERE EXISTS (SELECT FROM pg_catalog.pg_namespace"
    "  WHERE nspname = 'public')";

/* What the role owns, given to the database's owner. */
static const char reassign_sql[] =
    "SELECT pg_catalog.format('REASSIGN OWNED BY %I TO %I', CAST($1 AS text),"
    "  pg_catalog.pg_get_userbyid(d.datdba)) FROM pg_catalog.pg_database d"
    " WHERE d.datname = pg_catalog.current_database()";

/* The role's logins ended once its steps are done: the dump's code ran as
 * the role and may have set its password, to come back as it later. */
static const char lock_out_sql[] =
    "SELECT pg_catalog.format('ALTER ROLE %I NOLOGIN PASSWORD NULL', CAST($1 AS text))"
    " UNION ALL SELECT pg_catalog.format('SELECT pg_catalog.pg_terminate_backend(%s)', pid)"
    " FROM pg_catalog.pg_stat_activity WHERE usename = $1";

/* Its objects (after a failure) and its grants in the database. */
static const char drop_owned_sql[] =
    "SELECT pg_catalog.format('DROP OWNED BY %I CASCADE', CAST($1 AS text))";

/* The extensions a failed restore made, dropped (the database held none
 * but plpgsql: pg_dump_restore.c's emptiness check). */
static void drop_extensions(cli_db *db, cli_opts *o, const cli_pg_toc *t)
{
	for (int i = 0; i < t->next; i++) {
		if (strcmp(t->ext[i], "plpgsql") == 0)
			continue;
		const char *p[1] = {t->ext[i]};
		cli_rows r = {0};
		if (cli_q(db, o,
		          "SELECT pg_catalog.format('DROP EXTENSION IF EXISTS %I CASCADE',"
		          " CAST($1 AS text))",
		          1, p, &r) == 0 &&
		    cli_cell(&r, 0, 0))
			cli_q(db, o, cli_cell(&r, 0, 0), 0, NULL, NULL);
		cli_rows_free(&r);
	}
}

/* Everything the role restores is given to the database's owner at the
 * end, so each role that owned it in the dump must be that owner: objects
 * of another role given to it would run with its rights (a SECURITY
 * DEFINER function, a view reading as its owner), or take over code others
 * run (a superuser's function that an event trigger calls, given to the
 * application). *err names the first other owner and the way out; -1
 * after printing when the owner cannot be read. */
static int refuse_other_owners(cli_db *db, cli_opts *o, const char *shown, const cli_pg_toc *t,
                               char **err)
{
	cli_rows r = {0};
	if (cli_q(db, o,
	          "SELECT pg_catalog.pg_get_userbyid(datdba), datname FROM pg_catalog.pg_database"
	          " WHERE datname = pg_catalog.current_database()",
	          0, NULL, &r) != 0 ||
	    r.nrows != 1) {
		cli_rows_free(&r);
		return -1;
	}
	const char *owner = cli_cell(&r, 0, 0);
	int rc = 0;
	for (int i = 0; rc == 0 && i < t->nowners; i++) {
		if (strcmp(t->owners[i], owner) == 0)
			continue;
		char *why = NULL;
		if (asprintf(&why,
		             "%s holds objects of %s, and %s is owned by %s: restored, they would be "
		             "%s's and run with its rights: nothing restored\nHINT: Restore into a "
		             "database %s owns (CREATE DATABASE name OWNER %s). A dump of objects of "
		             "several roles restores with pg_restore by hand, trusting its code.",
		             shown, t->owners[i], cli_cell(&r, 0, 1), owner, owner, t->owners[i],
		             t->owners[i]) >= 0)
			*err = cli_fmt_err(why, NULL, NULL);
		free(why);
		rc = -1;
	}
	cli_rows_free(&r);
	return rc;
}

/* Whether the role is still there (its DROP ROLE failed: the dump's code,
 * as the role, made something elsewhere). */
static bool role_left(cli_db *db, cli_opts *o, const char *role)
{
	cli_rows r = {0};
	const char *p[1] = {role};
	bool left = cli_q(db, o, "SELECT FROM pg_catalog.pg_roles WHERE rolname = $1", 1, p, &r) != 0 ||
	            r.nrows > 0;
	cli_rows_free(&r);
	return left;
}

/* The restored content against the dump's record, while everything is
 * still the role's: a copy that differs is dropped with the rest. */
static int compare_before_keeping(cli_db *db, cli_opts *o, const char *shown,
                                  cli_pg_restore_check *check)
{
	if (!check->recorded)
		return 0;
	cli_pg_restored v;
	if (cli_pg_restored_check(db, o, shown, check->recorded, NULL, &v) != 0)
		return -1;
	check->done = true;
	check->tables = v.counts.tables;
	check->why = v.why;
	free(v.content);
	return v.why ? -1 : 0;
}

/* The steps after the role logged in, but the event triggers; -1 with
 * *err, or printed, or check->why. The content is compared before the
 * grants and comments are made: a copy that differs leaves nothing of
 * the administrator's behind. A signal is acted on after the step that
 * runs. */
static int restore_steps(cli_db *db, cli_opts *o, const char *shown, const char *file,
                         const cli_pg_toc *t, const cli_pg_scratch *s, cli_pg_restore_check *check,
                         char **err)
{
	bool left_out = false;
	if ((t->nschemas > 0 && cli_pg_restore_into(db, s, file, t->schemas, err) != 0) ||
	    cli_tool_held_signal() || cli_pg_make_extensions(db, o, s, t, &left_out) != 0 ||
	    cli_tool_held_signal() || cli_pg_restore_into(db, s, file, t->rest, err) != 0 ||
	    run_written(db, o, lock_out_sql, s->name) != 0 || cli_tool_held_signal() ||
	    compare_before_keeping(db, o, shown, check) != 0 || cli_tool_held_signal() ||
	    cli_pg_restore_as_connected(db, file, t->admin, err) != 0 || cli_tool_held_signal())
		return -1;
	return run_written(db, o, reassign_sql, s->name);
}

int cli_pg_restore_as_role(cli_db *db, cli_opts *o, const char *shown, const char *file,
                           cli_pg_restore_check *check, char **err)
{
	cli_pg_toc toc;
	cli_pg_scratch s = {0};
	/* a signal between the steps: they stop, what was made is dropped,
	 * then the restore fails */
	cli_signal_hold hold;
	cli_tool_hold_signals(&hold);
	if (cli_pg_toc_read(file, &toc, err) != 0) {
		cli_pg_toc_free(&toc);
		cli_tool_release_signals(&hold);
		return -1;
	}
	const char *database = PQdb((PGconn *)db->handle);
	int rc = -1;
	bool begun = false;
	if (refuse_other_owners(db, o, shown, &toc, err) == 0 &&
	    cli_pg_scratch_role(db, o, &s, database) == 0 &&
	    run_written(db, o, grants_sql, s.name) == 0) {
		/* the role logs in (a clear error when the server does not let it) */
		cli_db *rs = cli_pg_scratch_connect(db, &s, true);
		if (rs) {
			cli_disconnect(rs);
			cli_note(&o->out, "restoring %s as the role %s: the dump's code runs with its rights",
			         shown, s.name);
			begun = true;
			rc = restore_steps(db, o, shown, file, &toc, &s, check, err);
		}
	}
	if (rc != 0 && begun) {
		drop_extensions(db, o, &toc);
		cli_note(&o->out, "nothing of %s is left in %s", shown, database);
	}
	if (rc != 0 && !*err && !check->why && (cli_tool_held_signal() || cli_tool_stop_signal()))
		*err = cli_fmt_err("interrupted", NULL, "nothing restored");
	/* every DDL of the restore before the event triggers: each would fire them */
	if (s.name)
		run_written(db, o, drop_owned_sql, s.name);
	char *role = s.name ? strdup(s.name) : NULL;
	cli_pg_scratch_drop(db, o, &s);
	if (role && rc == 0 && role_left(db, o, role)) {
		*err = cli_fmt_err("the restore role ", role,
		                   "it could not be dropped (above): drop it by hand (DROP OWNED BY, "
		                   "then DROP ROLE, in each database it owns anything in)");
		rc = -1;
	}
	free(role);
	if (rc == 0 && toc.nevents > 0 && cli_pg_restore_as_connected(db, file, toc.events, err) != 0) {
		char *was = *err;
		*err = cli_fmt_err(was ? was + strlen("dbcare: ") : "pg_restore failed", NULL,
		                   "everything else was restored, its event triggers were not");
		free(was);
		rc = -1;
	}
	cli_pg_toc_free(&toc);
	cli_tool_release_signals(&hold);
	return rc;
}
