/*
 * pgbackrest_verify.c — dbcare verify of a pgBackRest backup: `pgbackrest
 * verify` (every file of the repository against its checksum, the WAL
 * ranges), then a restore test: the backup restored (--type=immediate:
 * recovery ends where the backup is consistent) into a scratch data
 * directory under TMPDIR, started as the cluster's owner on a free port
 * with a Unix socket in that private directory only (no TCP), archiving
 * off (a restored copy never pushes WAL into the stanza), its own
 * pg_hba.conf, every setting the restored configuration could use to
 * reach the running cluster's files overridden; once promoted, every row
 * of every table of the database is read (the one check of a restored
 * copy, cli_pg_restored_check: the copy's dbbackup_content() of dbcare
 * where its dbcare has one, else the core's same statement; no code of a
 * table's owner runs) by a role made there with pg_read_all_data and
 * no other right; then it is
 * stopped and the directory removed. The stop and removal happen on every
 * path, a signal to the command included (it is remembered and acted on
 * after the step that runs).
 */
#include "cli/backup/common/pg_backup.h"
#include "pgbackrest.h"
#include "cli/common/files.h"
#include "cli/backup/backup_methods.h"
#include "cli/common/tool.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct scratch {
	char dir[4096], data[4200], log[4200];
	int port;
	bool started;
} scratch;

static void stop_scratch(const cli_pgbr *b, scratch *s)
{
	char pid[4300];
	struct stat st;
	snprintf(pid, sizeof pid, "%s/postmaster.pid", s->data);
	if (s->started && stat(pid, &st) == 0) {
		char *err = NULL;
		const char *fast[] = {"pg_ctl", "-D", s->data, "-m",   "fast",
		                      "-w",     "-t", "60",    "stop", NULL};
		if (cli_pgbr_run_as(b, fast, "pg_ctl stop", -1, &err) != 0) {
			free(err);
			err = NULL;
			const char *now[] = {"pg_ctl",    "-s", "-D",   s->data, "-m",
			                     "immediate", "-w", "stop", NULL};
			if (cli_pgbr_run_as(b, now, "pg_ctl stop", -1, &err) != 0)
				fprintf(stderr, "%s (the scratch cluster in %s may still run)\n", err, s->dir);
		}
		free(err);
		s->started = false;
	}
	if (s->dir[0])
		cli_remove_tree(s->dir, false);
}

/* Restores label into s and starts it; -1 (after printing) when it could
 * not; *why when the backup does not restore. */
static int start_scratch(const cli_pgbr *b, cli_opts *o, const char *label, scratch *s, char **why)
{
	const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(s->dir, sizeof s->dir, "%s/dbcare-verify-XXXXXX", tmp);
	if (!mkdtemp(s->dir)) {
		s->dir[0] = '\0';
		cli_errorf("cannot make a scratch directory under %s: %s", tmp, strerror(errno));
		return -1;
	}
	if (strchr(s->dir, '\'') || strchr(s->dir, ' ') || strchr(s->dir, '\\')) {
		cli_errorf("TMPDIR %s holds a quote, space or backslash", tmp);
		return -1;
	}
	snprintf(s->data, sizeof s->data, "%s/data", s->dir);
	snprintf(s->log, sizeof s->log, "%s/server.log", s->dir);
	if (cli_pgbr_chown(b, s->dir) != 0 || mkdir(s->data, 0700) != 0 ||
	    cli_pgbr_chown(b, s->data) != 0) {
		cli_errorf("cannot prepare the scratch directory %s: %s", s->dir, strerror(errno));
		return -1;
	}
	char *set = NULL, *path = NULL, *ts = NULL, *err = NULL;
	int rc = -1;
	if (asprintf(&set, "--set=%s", label) < 0 || asprintf(&path, "--pg1-path=%s", s->data) < 0 ||
	    asprintf(&ts, "--tablespace-map-all=%s/tablespaces", s->dir) < 0)
		goto out;
	const char *args[] = {set,       path, ts, "--type=immediate", "--target-action=promote",
	                      "restore", NULL};
	cli_note(&o->out, "restoring %s into %s", label, s->data);
	if (cli_pgbr_run(b, args, "pgbackrest restore", -1, &err) != 0) {
		*why = strdup(err ? err + strlen("dbcare: ") : "pgbackrest restore failed");
		goto out;
	}
	if (cli_tool_held_signal())
		goto out;
	/* a configuration kept outside the data directory (Debian's) was not
	 * restored: an empty one; the HBA file is always ours */
	char conf[4300], hba[4300], ident[4300];
	snprintf(conf, sizeof conf, "%s/postgresql.conf", s->data);
	snprintf(hba, sizeof hba, "%s/dbcare_hba.conf", s->dir);
	snprintf(ident, sizeof ident, "%s/dbcare_ident.conf", s->dir);
	if (cli_pgbr_write_file(b, conf, "", true) != 0 ||
	    cli_pgbr_write_file(b, hba, "local all all trust\n", false) ||
	    cli_pgbr_write_file(b, ident, "", false) != 0) {
		cli_errorf("cannot write the scratch configuration: %s", strerror(errno));
		goto out;
	}
	s->port = cli_pgbr_free_port();
	char *opts = NULL;
	if (asprintf(&opts,
	             "-c port=%d -c listen_addresses='' -c unix_socket_directories='%s'"
	             " -c data_directory='%s' -c hba_file='%s' -c ident_file='%s'"
	             " -c archive_mode=off -c hot_standby=on -c logging_collector=off",
	             s->port, s->dir, s->data, hba, ident) < 0)
		goto out;
	int log = open(s->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	cli_pgbr_chown(b, s->log);
	const char *start[] = {"pg_ctl", "-D", s->data, "-l",  s->log,  "-o",
	                       opts,     "-w", "-t",    "600", "start", NULL};
	s->started = true; /* from here on, stopped on every path */
	if (cli_pgbr_run_as(b, start, "pg_ctl start of the restored copy", log, &err) != 0) {
		if (asprintf(why, "the restored copy does not start (see its log below)") < 0)
			*why = NULL;
		char line[512];
		FILE *f = fopen(s->log, "r");
		while (f && fgets(line, sizeof line, f))
			fputs(line, stderr);
		if (f)
			fclose(f);
	} else
		rc = 0;
	if (log >= 0)
		close(log);
	free(opts);
out:
	free(set);
	free(path);
	free(ts);
	free(err);
	return rc;
}

/* The copy is read by a role made there for the read: LOGIN (the copy's
 * own pg_hba.conf trusts its private socket), pg_read_all_data and
 * BYPASSRLS (every row, as the content record reads them), no other right;
 * so nothing the copy's table owners wrote could run as its superuser,
 * should the read ever call their code. NULL when it cannot be made (the
 * user is no superuser of the copy, or a role of that name is there): the
 * copy is then read as the user, with the same query. */
static PGconn *reader(PGconn *conn, const char *const *keys, const char **vals)
{
	char name[64], sql[160];
	snprintf(name, sizeof name, "dbcare_reader_%ld", (long)getpid());
	snprintf(sql, sizeof sql, "CREATE ROLE %s LOGIN NOSUPERUSER BYPASSRLS IN ROLE pg_read_all_data",
	         name);
	PGresult *res = PQexec(conn, sql);
	bool made = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (!made)
		return NULL;
	const char *user = vals[3];
	vals[3] = name;
	PGconn *c = PQconnectdbParams(keys, vals, 0);
	vals[3] = user;
	if (PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* Waits until the restored copy is promoted; reads every table. */
static int check_scratch(cli_db *db, cli_opts *o, const scratch *s, char **why, int *tables)
{
	char port[16], *dbname = NULL;
	snprintf(port, sizeof port, "%d", s->port);
	cli_rows r = {0};
	if (cli_q(db, o, "SELECT current_database()", 0, NULL, &r) != 0)
		return -1;
	dbname = strdup(cli_cell(&r, 0, 0));
	cli_rows_free(&r);
	PQconninfoOption *info = PQconninfo((PGconn *)db->handle);
	const char *user = NULL;
	for (PQconninfoOption *i = info; i && i->keyword; i++)
		if (strcmp(i->keyword, "user") == 0)
			user = i->val;
	const char *keys[] = {"host", "port", "dbname", "user", "fallback_application_name", NULL};
	const char *vals[] = {s->dir, port, dbname, user, "dbcare", NULL};
	PGconn *conn = NULL;
	int rc = -1;
	for (int i = 0; i < 6000 && !cli_tool_held_signal(); i++) {
		PQfinish(conn);
		conn = PQconnectdbParams(keys, vals, 0);
		if (PQstatus(conn) == CONNECTION_OK) {
			PGresult *res = PQexec(conn, "SELECT pg_catalog.pg_is_in_recovery()");
			bool done =
			    PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "f") == 0;
			PQclear(res);
			if (done)
				break;
		}
		nanosleep(&(struct timespec){0, 100000000L}, NULL);
	}
	if (cli_tool_held_signal() || PQstatus(conn) != CONNECTION_OK) {
		if (!cli_tool_held_signal() &&
		    asprintf(why, "the restored copy does not accept connections: %s",
		             PQerrorMessage(conn)) < 0)
			*why = NULL;
		PQfinish(conn);
		rc = cli_tool_held_signal() ? -1 : 0;
		goto out;
	}
	PGconn *read_as = reader(conn, keys, vals);
	if (read_as) {
		cli_note(&o->out, "reading the restored copy as the role %s", PQuser(read_as));
		PQfinish(conn);
		conn = read_as;
	}
	cli_db sdb = {.drv = &cli_pg_driver, .handle = conn, .label = dbname};
	/* the one check of a restored copy: no content recorded, every table
	 * read back whole */
	cli_pg_restored v;
	if (cli_pg_restored_check(&sdb, o, dbname, NULL, NULL, &v) == 0)
		*tables = (int)v.counts.tables;
	else if (!(*why = strdup("a table of the restored copy does not read back whole (the "
	                         "error above)")))
		cli_errorf("out of memory");
	rc = 0;
	free(v.content);
	free(v.why);
	cli_error_clear(&sdb);
	PQfinish(conn);
out:
	PQconninfoFree(info);
	free(dbname);
	return rc;
}

int cli_pgbackrest_verify(cli_db *db, cli_opts *o, const char *path, char **why, int *tables)
{
	/* path is pgbackrest:STANZA/LABEL[@URL] */
	const char *colon = strchr(path, ':'), *slash = colon ? strchr(colon, '/') : NULL;
	const char *at = slash ? strchr(slash, '@') : NULL;
	if (!slash) {
		cli_errorf("the catalog path %s is not pgbackrest:STANZA/LABEL", path);
		return -1;
	}
	char *stanza = strndup(colon + 1, (size_t)(slash - colon - 1));
	char *label = at ? strndup(slash + 1, (size_t)(at - slash - 1)) : strdup(slash + 1);
	cli_pgbr b;
	scratch s = {0};
	char *err = NULL;
	int rc = -1;
	cli_signal_hold hold;
	cli_tool_hold_signals(&hold);
	if (cli_pgbr_open(db, o, stanza, &b) != 0 || (at && cli_pgbr_repo(&b, at + 1) != 0))
		goto out;
	const char *args[] = {"verify", NULL};
	cli_note(&o->out, "pgbackrest --stanza=%s verify", b.stanza);
	if (cli_pgbr_run(&b, args, "pgbackrest verify", -1, &err) != 0) {
		*why = strdup("pgbackrest verify found a problem in the repository (its output above)");
		rc = 0;
		goto out;
	}
	if (cli_tool_held_signal() || start_scratch(&b, o, label, &s, why) != 0) {
		rc = *why ? 0 : -1;
		goto out;
	}
	if (!cli_tool_held_signal())
		rc = check_scratch(db, o, &s, why, tables);
out:
	stop_scratch(&b, &s);
	cli_tool_release_signals(&hold);
	if (cli_tool_held_signal()) {
		cli_errorf("verification was stopped by a signal (%s); the scratch copy is removed",
		           strsignal(cli_tool_held_signal()));
		free(*why);
		*why = NULL;
		rc = -1;
	}
	cli_pgbr_close(&b);
	free(stanza);
	free(label);
	free(err);
	return rc;
}

static int pgbackrest_check(cli_db *db, cli_opts *o, const cli_rows *row, char **failed,
                            int *tables)
{
	return cli_pgbackrest_verify(db, o, cli_cell(row, 0, 2), failed, tables);
}

int cli_pgbackrest_verify_row(cli_db *db, cli_opts *o, const cli_backup_ref *b, char **why,
                              char **doc)
{
	return cli_backup_verify_marked(db, o, b->row, b->stored, pgbackrest_check, why, doc);
}
