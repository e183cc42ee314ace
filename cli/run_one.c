/*
 * run_one.c — one command on one database: connect, run (and, after
 * migrate or rollback --dump-schema, dump the schema left), disconnect.
 * Above the commands it runs; the helpers they share are in run.c.
 */
#include "cli.h"
#include "cli/backup/common/stop_cleanup.h"
#include "cli/driver/pg_cancel.h"

#include "base/clock.h"

#include <stdlib.h>
#include <time.h>

/* A new connection to the target after db lost its server, tried every
 * 250 ms until --timeout: a failover's new primary takes a few seconds
 * to accept writes (libpq picks it among a multi-host URL's hosts by
 * target_session_attrs). NULL when none came. */
static cli_db *connect_again(const cli_target *t, const cli_connect_opts *co, cli_opts *o)
{
	double deadline = dbc_monotonic_ms() + o->timeout_s * 1000;
	fprintf(stderr,
	        "dbcare: the connection to %s was lost: connecting again (what the server committed "
	        "stays done; the rest runs again)\n",
	        t->label);
	for (;;) {
		char *err = NULL;
		cli_db *db = cli_connect(t, co, &err);
		if (db || dbc_monotonic_ms() >= deadline) {
			if (!db)
				fprintf(stderr, "%s\ndbcare: gave up connecting again after %gs\n", err ? err : "",
				        o->timeout_s);
			free(err);
			return db;
		}
		free(err);
		nanosleep(&(struct timespec){0, 250000000}, NULL);
	}
}

/* cmd on db, and again on a new connection while its server was lost to
 * a failover (CMD_RECONNECTS, a target that picks its server by role), at
 * most 3 times. */
static int run_reconnecting(const cli_command *cmd, cli_opts *o, const cli_target *t,
                            const cli_connect_opts *co, cli_db **db)
{
	int rc = cmd->run(*db, o);
	for (int again = 0; rc == CLI_ERROR && (cmd->traits & CMD_RECONNECTS) && again < 3 &&
	                    (*db)->drv->lost_to_failover(*db);
	     again++) {
		cli_db *fresh = connect_again(t, co, o);
		if (!fresh)
			break;
		cli_disconnect(*db);
		*db = fresh;
		rc = cmd->run(*db, o);
	}
	return rc;
}

int cli_run_one(const cli_command *cmd, cli_opts *o, const char *dbvalue)
{
	cli_target t;
	char *err = NULL;
	if (cli_target_parse(dbvalue, &t, &err) != 0) {
		fprintf(stderr, "%s\n", err);
		free(err);
		return CLI_USAGE;
	}
	if (cmd->traits & CMD_OWN_CONNECT) {
		/* wait: connects itself, again and again */
		cli_db probe = {.label = t.label, .handle = &t};
		return cmd->run(&probe, o);
	}
	/* a refused target: nothing opened, so nothing created anywhere */
	if ((cmd->traits & CMD_RESTORE_TARGET) && cli_target_file(&t) &&
	    cli_restore_before_connect(o, cli_target_file(&t)) != 0) {
		free(t.spec);
		free(t.label);
		return CLI_ERROR;
	}
	/* a restore into a new database runs on a staging file, renamed into
	 * place when it succeeded: nothing is at the target's name before */
	cli_restore_stage stage = {.guard = -1};
	if ((cmd->traits & CMD_RESTORE_TARGET) && cli_target_file(&t) &&
	    cli_restore_stage_begin(&stage, o, cli_target_file(&t)) != 0) {
		free(t.spec);
		free(t.label);
		return CLI_ERROR;
	}
	cli_target opened = t;
	if (stage.staging)
		opened.spec = stage.staging;
	cli_connect_opts co = {.module = o->module,
	                       .install = o->install,
	                       .create = (cmd->traits & CMD_CREATES) != 0,
	                       .sqlite_look = (cmd->traits & CMD_LOOKS) != 0,
	                       .sqlite_refuse_empty = (cmd->traits & CMD_READS_CONTENT) != 0,
	                       .pg_without_extension = (cmd->traits & CMD_PG_NEW_DB) != 0};
	cli_new_file created;
	cli_new_file_before(&created, cli_target_file(&opened), (cmd->traits & CMD_UNDO_NEW) != 0);
	cli_db *db = cli_connect(&opened, &co, &err);
	cli_new_file_opened(&created);
	if (!db) {
		cli_new_file_undo(&created);
		cli_restore_stage_abandon(&stage);
		free(created.target);
		o->report.unreachable = true;
		fprintf(stderr, "%s\n", err);
		free(err);
		return CLI_ERROR;
	}
	/* a stop signal ends the run as a failure does: the database file it
	 * created removed (a restore's staging file has a slot of its own) */
	bool track = created.created && !stage.staging;
	if (track)
		cli_stop_track(CLI_STOP_NEW_DB, created.path);
	int rc = run_reconnecting(cmd, o, &opened, &co, &db);
	cli_progress_end(&o->out);
	/* migrate, rollback --dump-schema: the schema they left, in a file */
	if (rc == CLI_OK && o->dump_schema && !o->dry_run)
		rc = cli_dump_schema(db, o, NULL);
	cli_disconnect(db);
	if (track)
		cli_stop_track(CLI_STOP_NEW_DB, NULL);
	/* what committed before the error (a migration outside a transaction)
	 * went with the file: the user is told, after the count of it */
	if (rc != CLI_OK && cli_new_file_undo(&created) && !stage.staging)
		fprintf(stderr,
		        "dbcare: removed %s, which this failed run created: nothing of it is kept (a new "
		        "database is made whole or not at all)\n",
		        created.path);
	if (rc == CLI_OK && cli_restore_stage_publish(&stage) != 0)
		rc = CLI_ERROR;
	cli_restore_stage_abandon(&stage);
	free(created.target);
	free(t.spec);
	free(t.label);
	/* a stop signal cancelled a statement: the command has rolled back
	 * and disconnected, now dbcare ends as the signal asked */
	cli_stop_if_signalled();
	return rc;
}
