/*
 * pgbackrest_restore.c — dbcare restore --to-time TIME DIR: pgBackRest
 * restores the stanza into DIR, a data directory the user names, with
 * recovery to TIME (pgBackRest picks the newest backup that ended before
 * it, and the WAL from its archive). Never over a running cluster: DIR
 * must be missing or empty, and is never the connected server's data
 * directory. Tablespaces go to DIR/tablespaces, beside the restored copy,
 * never to the running cluster's. A failed restore leaves DIR as it was
 * (missing or empty). The restored copy is not started: the answer says
 * how (it replays WAL up to TIME, then promotes).
 *
 * The repository alone is enough (db NULL: no --db, the server is gone
 * with the disaster): the stanza from --stanza, pgBackRest's own
 * configuration (PGBACKREST_CONFIG, else its default file), TIME handed
 * to pgBackRest as written. Run as root, pgBackRest runs as the owner of
 * DIR's parent directory (where the cluster's OS user keeps its data).
 * The configuration file is named on pgBackRest's command line, so the
 * restore_command it writes names it too: the copy starts from a plain
 * pg_ctl start, whatever that environment holds.
 *
 * --from s3://BUCKET/PREFIX or azure://CONTAINER/PREFIX: the stanza's
 * repository is that bucket or container, with the user's credentials
 * (pgbackrest_repo.c), which the copy's restore_command will not have
 * once dbcare is gone: dbcare runs the recovery to its target itself
 * (pgbackrest_recover.c) and answers a promoted copy.
 */
#include "pgbackrest.h"
#include "cli/common/files.h"
#include "cli/store/store.h"

#include <dirent.h>
#include <libgen.h>
#include <unistd.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Whether dir is missing (made here, mode 0700: *made) or an empty directory. */
static int usable_target(const cli_pgbr *b, const char *dir, bool *made)
{
	struct stat st;
	*made = false;
	if (lstat(dir, &st) != 0) {
		if (errno != ENOENT || mkdir(dir, 0700) != 0 || cli_pgbr_chown(b, dir) != 0) {
			cli_errorf("cannot make the target directory %s: %s", dir, strerror(errno));
			return -1;
		}
		*made = true;
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		cli_errorf("the target %s is not a directory", dir);
		return -1;
	}
	DIR *d = opendir(dir);
	struct dirent *e;
	bool empty = true, pid = false;
	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		empty = false;
		pid = pid || strcmp(e->d_name, "postmaster.pid") == 0;
	}
	if (d)
		closedir(d);
	if (!empty) {
		cli_errorf("the target %s is not empty%s: a restore never writes over files", dir,
		           pid ? " (it holds a running cluster's postmaster.pid)" : "");
		return -1;
	}
	return cli_pgbr_chown(b, dir);
}

/* Without a server: pgBackRest runs as the owner of dir's parent when the
 * command runs as root (the cluster's OS user keeps its data there). */
static int open_alone(const char *stanza, const char *dir, cli_pgbr *b)
{
	memset(b, 0, sizeof *b);
	if (!*stanza || strspn(stanza, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                               "0123456789_-.") != strlen(stanza)) {
		cli_errorf("the pgBackRest stanza \"%s\" is not a plain name (letters, digits, _ - .)",
		           stanza);
		return -1;
	}
	if (!(b->stanza = strdup(stanza)))
		return -1;
	if (geteuid() != 0)
		return 0;
	char *copy = strdup(dir);
	struct stat st;
	int got = copy ? stat(dirname(copy), &st) : -1;
	if (got != 0 || st.st_uid == 0) {
		cli_errorf("dbcare runs pgBackRest as the owner of the target's parent directory when "
		           "run as root, and %s of %s\nHINT: Make the parent directory the cluster's OS "
		           "user's (chown postgres: DIR/..), or run dbcare as that user.",
		           got != 0 ? "cannot read the owner" : "root owns the parent", dir);
		free(copy);
		return -1;
	}
	free(copy);
	b->as_user = true;
	b->uid = st.st_uid;
	b->gid = st.st_gid;
	return 0;
}

/* --from URL: the stanza's repository is that bucket or container. 0, or
 * -1 after printing why (--from names no store). */
static int from_store(const cli_opts *o, cli_pgbr *b)
{
	if (!o->from_dir)
		return 0;
	if (!cli_store_is_url(o->from_dir)) {
		cli_errorf("restore --from names the stanza's repository in a bucket or container "
		           "(s3://BUCKET/PREFIX, azure://CONTAINER/PREFIX); %s is none (a repository "
		           "in a folder is the configuration's repo1-path)",
		           o->from_dir);
		return -1;
	}
	return cli_pgbr_repo(b, o->from_dir);
}

/* --config=FILE for pgBackRest's command line, from PGBACKREST_CONFIG
 * (absolute), so the restore_command it writes names it; NULL when the
 * environment names none (its default file, which it finds alone). */
static char *config_arg(void)
{
	const char *env = getenv("PGBACKREST_CONFIG");
	char abs[PATH_MAX], *arg = NULL;
	if (!env || !*env)
		return NULL;
	if (asprintf(&arg, "--config=%s", realpath(env, abs) ? abs : env) < 0)
		return NULL;
	return arg;
}

/* The answer's opening: the database, or the stanza restored alone. */
static void json_envelope(const cli_db *db)
{
	if (db)
		cli_json_envelope(stdout, db);
	else
		fputs("{\"database\":null,\"engine\":\"postgresql\"", stdout);
}

/* The restore itself: into o's DIR, to target (a time, or a mark's name)
 * with config (NULL: none named) on pgBackRest's line. */
static int restore_into(cli_db *db, cli_opts *o, const cli_pgbr *b, const char *config,
                        const char *target)
{
	char *err = NULL, *type_target = NULL, *path = NULL, *ts = NULL;
	char abs[PATH_MAX];
	int rc = CLI_ERROR;
	const char *dir = o->args[0];
	bool made;
	if (usable_target(b, dir, &made) != 0 || !realpath(dir, abs))
		goto out;
	if (asprintf(&type_target, "--target=%s", target) < 0 ||
	    asprintf(&path, "--pg1-path=%s", abs) < 0 ||
	    asprintf(&ts, "--tablespace-map-all=%s/tablespaces", abs) < 0)
		goto out;
	const char *args[9];
	int n = 0;
	if (config)
		args[n++] = config;
	args[n++] = path;
	args[n++] = ts;
	args[n++] = o->to_mark ? "--type=name" : "--type=time";
	args[n++] = type_target;
	args[n++] = "--target-action=promote";
	args[n++] = "restore";
	args[n] = NULL;
	cli_note(&o->out, "pgbackrest --stanza=%s restore to %s into %s", b->stanza, target, abs);
	if (cli_pgbr_run(b, args, "pgbackrest restore", -1, &err) != 0 ||
	    (b->repo && cli_pgbr_recover(b, o, abs) != 0)) {
		/* the directory was empty or missing: it is again, so the restore
		 * can be run again once the cause is fixed */
		cli_remove_tree(abs, !made);
		fprintf(stderr, "%s; %s %s\n",
		        err       ? err
		        : b->repo ? "dbcare: the recovery of the restored copy failed"
		                  : "dbcare: pgbackrest restore failed",
		        made ? "removed" : "emptied", abs);
		goto out;
	}
	if (o->out.format == CLI_FMT_JSON) {
		json_envelope(db);
		fputs(",\"restored\":", stdout);
		cli_json_string(stdout, abs);
		fputs(",\"stanza\":", stdout);
		cli_json_string(stdout, b->stanza);
		if (b->repo) {
			fputs(",\"repository\":", stdout);
			cli_json_string(stdout, b->repo);
			fputs(",\"recovered\":true", stdout);
		}
		fputs(o->to_mark ? ",\"to_mark\":" : ",\"to_time\":", stdout);
		cli_json_string(stdout, target);
		fputs("}\n", stdout);
	} else if (!o->out.quiet && b->repo) {
		printf("restored stanza %s from %s into %s, recovered to %s and promoted:\n"
		       "  pg_ctl -D %s start   (with -o '-c port=N -c archive_mode=off' beside the "
		       "running cluster)\n",
		       b->stanza, b->repo, abs, target, abs);
	} else if (!o->out.quiet) {
		printf("restored stanza %s into %s, recovering to %s when started:\n"
		       "  pg_ctl -D %s start   (with -o '-c port=N -c archive_mode=off' beside the "
		       "running cluster)\n",
		       b->stanza, abs, target, abs);
	}
	rc = CLI_OK;
out:
	free(err);
	free(type_target);
	free(path);
	free(ts);
	return rc;
}

int cli_pgbackrest_restore(cli_db *db, cli_opts *o)
{
	char *stanza = NULL;
	char *config = config_arg();
	char abs[PATH_MAX];
	cli_pgbr b = {0};
	cli_rows r = {0};
	int rc = CLI_ERROR;
	const char *dir = o->args[0];
	if (!db) {
		/* the time as written: pgBackRest and the restored server read it */
		rc = open_alone(o->stanza, dir, &b) == 0 && from_store(o, &b) == 0
		         ? restore_into(NULL, o, &b, config, o->to_mark ? o->to_mark : o->to_time)
		         : CLI_ERROR;
		cli_pgbr_close(&b);
		free(config);
		return rc;
	}
	if (cli_pgbackrest_stanza(db, o, &stanza) != 0) {
		free(config);
		return CLI_ERROR;
	}
	if (!stanza) {
		cli_errorf("restore %s needs pgBackRest: name its stanza with --stanza or the "
		           "setting backup.pgbackrest.stanza",
		           o->to_mark ? "--to-mark" : "--to-time");
		free(config);
		return CLI_ERROR;
	}
	if (cli_pgbr_open(db, o, stanza, &b) != 0 || from_store(o, &b) != 0)
		goto out;
	/* the time as the server reads it, given to pgBackRest in UTC; or a
	 * restore point dbbackup_mark made (recovery stops at its name) */
	const char *p[1] = {o->to_mark ? o->to_mark : o->to_time};
	if (cli_q(db, o,
	          o->to_mark ? "SELECT label FROM dbbackup_marks() WHERE label = $1"
	                     : "SELECT pg_catalog.to_char(CAST($1 AS timestamptz) AT TIME ZONE 'UTC',"
	                       " 'YYYY-MM-DD HH24:MI:SS.US') || '+00'",
	          1, p, &r) != 0)
		goto out;
	if (r.nrows == 0) {
		cli_errorf("no restore point named \"%s\" (dbbackup_mark makes them; dbbackup_marks() "
		           "lists them)",
		           o->to_mark);
		goto out;
	}
	if (realpath(dir, abs) && b.data_directory) {
		char data[PATH_MAX];
		if (realpath(b.data_directory, data) && strcmp(abs, data) == 0) {
			cli_errorf("%s is the data directory of the running cluster: a restore never "
			           "writes over it",
			           dir);
			goto out;
		}
	}
	rc = restore_into(db, o, &b, config, cli_cell(&r, 0, 0));
out:
	cli_rows_free(&r);
	cli_pgbr_close(&b);
	free(stanza);
	free(config);
	return rc;
}
