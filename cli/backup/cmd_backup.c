/*
 * cmd_backup.c — backup, backups, backups prune. A backup runs the method
 * the command line asks for (backup_methods.c): each runs the core's backup
 * flow (core/backup/backup_tool.h), the SQLite module's inside
 * dbbackup_create, pg_dump's and pgBackRest's with the tool the command
 * plugs in.
 */
#include "backup_methods.h"
#include "cli/backup/pgbackrest/pgbackrest.h"
#include "cli/backup/common/backup_dir_setting.h"
#include "cli/backup/common/shipped.h"
#include "cli/cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_backup(cli_db *db, cli_opts *o)
{
	/* dbcare backup pgbackrest-conf URL [FILE]: a configuration, no
	 * database (a backup named pgbackrest-conf: ./pgbackrest-conf) */
	if (o->nargs > 0 && strcmp(o->args[0], "pgbackrest-conf") == 0)
		return cli_pgbackrest_conf(o);
	/* dbcare backup drill [BACKUP] (a backup named drill: ./drill) */
	bool drill = o->nargs > 0 && strcmp(o->args[0], "drill") == 0;
	if (o->nargs > (drill ? 2 : 1)) {
		cli_errorf("usage: dbcare backup [PATH] | backup drill [BACKUP] | backup "
		           "pgbackrest-conf URL [FILE]");
		return CLI_USAGE;
	}
	/* without --db: a log's drill, from its files alone (CMD_FILES_ALONE) */
	if (!db && !(drill && o->nargs == 1 && o->log_dir))
		return CLI_NEEDS_DB;
	if (drill)
		return cli_backup_drill(db, o);
	/* the method the command line asks for: the first of the database's
	 * driver's rows that takes it */
	for (const cli_backup_method *m = cli_backup_method_next(db, NULL); m;
	     m = cli_backup_method_next(db, m)) {
		char *target = NULL, why[1024];
		int chosen = m->chosen(db, o, &target);
		if (chosen < 0)
			return CLI_ERROR;
		if (!chosen)
			continue;
		const char *refused = m->refuses(o, why, sizeof why);
		const char *given = o->copy_to;
		int rc = CLI_USAGE;
		if (refused)
			cli_errorf("%s", refused);
		else
			rc = m->make(db, o, target);
		free(target);
		/* a store backup.dir named is this database's alone: a fleet's
		 * next database starts from the command line's --copy-to again */
		if (o->copy_to != given)
			free((char *)o->copy_to);
		o->copy_to = given;
		return rc;
	}
	cli_errorf("no backup method makes backups of this database");
	return CLI_ERROR;
}

/* dbbackup_prune's answer (JSON text, malloc'd) for a dry run or not; NULL
 * after saying why. copies: where the pruned backups' copies were deleted
 * (their rows' DEST/, shipped.h), whose rows go with the backups' own
 * (NULL: none). */
static char *prune_answer(cli_db *db, cli_opts *o, bool dry, const char *copies)
{
	char keep[16], days[16], *doc = NULL;
	snprintf(keep, sizeof keep, "%d", o->keep);
	snprintf(days, sizeof days, "%d", o->days);
	const char *p[3] = {o->keep >= 0 ? keep : NULL, o->days >= 0 ? days : NULL, copies};
	cli_rows r = {0};
	if (cli_q(db, o,
	          dry ? "SELECT dbbackup_prune(CAST($1 AS integer), CAST($2 AS integer), true, $3)"
	              : "SELECT dbbackup_prune(CAST($1 AS integer), CAST($2 AS integer), false, $3)",
	          3, p, &r) == 0)
		doc = strdup(cli_cell(&r, 0, 0) ? cli_cell(&r, 0, 0) : "{}");
	cli_rows_free(&r);
	return doc;
}

static int prune_with(cli_db *db, cli_opts *o);

/* The staged backups the prune kept because they wait for their upload
 * (the answer's kept_unshipped), each named. */
static void note_unshipped(cli_opts *o, const char *doc)
{
	json_t *d = json_loads(doc, 0, NULL), *e;
	size_t i;
	json_array_foreach(json_object_get(d, "kept_unshipped"), i, e)
	    cli_note(&o->out,
	             "kept %s: it waits in backup.stage_dir for its upload "
	             "(dbcare backup --ship), its only copy",
	             json_string_value(json_object_get(e, "path")));
	json_decref(d);
}

static int prune(cli_db *db, cli_opts *o)
{
	if (o->keep < 0 && o->days < 0) {
		cli_errorf("backups prune needs --keep N, --days D or both");
		return CLI_USAGE;
	}
	if (!cli_backup_method_for(db, NULL, CLI_BACKUP_PRUNE)) {
		cli_errorf("backups prune is for SQLite: on PostgreSQL the tool that made a backup "
		           "(pg_dump's job, pgBackRest, barman) removes it");
		return CLI_ERROR;
	}
	/* backup.dir a store's URL: its copies are pruned as with --copy-to
	 * (this database's alone: o->copy_to is given back after) */
	char *dir = NULL;
	const char *given = o->copy_to;
	if (!o->copy_to && cli_backup_dir_setting(db, o, "backup.dir", &dir) != 0)
		return CLI_ERROR;
	free(dir);
	int rc = prune_with(db, o);
	if (o->copy_to != given)
		free((char *)o->copy_to);
	o->copy_to = given;
	return rc;
}

/* The prune of o->copy_to (NULL: none) and of the database's own. */
static int prune_with(cli_db *db, cli_opts *o)
{
	/* with --copy-to, the copies in the store go first, by the same
	 * rule's answer: a store that fails leaves every local file and row, so
	 * the next run finds the same backups to delete */
	char *doc = o->copy_to && o->apply ? prune_answer(db, o, true, NULL) : NULL;
	if (o->copy_to && o->apply && (!doc || cli_backup_unship(o, doc) != CLI_OK)) {
		free(doc);
		return CLI_ERROR;
	}
	free(doc);
	/* the copies' rows go with their backups' own, only once their
	 * objects are gone: a delete that failed above kept every row */
	char *copies = o->copy_to && o->apply ? cli_backup_copies_at(o) : NULL;
	if (o->copy_to && o->apply && !copies)
		return CLI_ERROR;
	doc = prune_answer(db, o, !o->apply, copies);
	free(copies);
	/* what the rule gave the second time (a backup made meanwhile), or
	 * the dry run's list */
	int rc = doc && o->copy_to ? cli_backup_unship(o, doc) : doc ? CLI_OK : CLI_ERROR;
	if (doc) {
		cli_print_json_doc(db, o, "prune", doc);
		note_unshipped(o, doc);
	}
	if (doc && !o->apply)
		cli_note(&o->out, "a dry run: nothing deleted (--apply deletes)");
	free(doc);
	return rc;
}

int cmd_backups(cli_db *db, cli_opts *o)
{
	if (o->nargs == 1 && strcmp(o->args[0], "prune") == 0)
		return prune(db, o);
	if (o->nargs != 0 || o->keep >= 0 || o->days >= 0 || o->apply) {
		cli_errorf("usage: dbcare backups | backups prune --keep N [--days D] [--copy-to DEST] "
		           "[--apply]");
		return CLI_USAGE;
	}
	cli_rows r = {0};
	if (cli_q(db, o,
	          "SELECT id, kind, path, created_at, bytes, fingerprint, verified_at, status, "
	          "\"exists\" FROM dbbackup_list() ORDER BY id",
	          0, NULL, &r) != 0)
		return CLI_ERROR;
	cli_bool_column(&r, "exists"); /* SQLite has no boolean: the same JSON on both */
	if (o->out.format == CLI_FMT_JSON) {
		cli_json_envelope(stdout, db);
		fprintf(stdout, ",\"backups\":");
		cli_json_rows(stdout, &r);
		fputs("}\n", stdout);
	} else if (!o->out.quiet || o->out.format == CLI_FMT_PLAIN) {
		cli_print_rows(&o->out, stdout, &r);
	}
	cli_rows_free(&r);
	return CLI_OK;
}
