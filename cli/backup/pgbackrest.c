/*
 * pgbackrest.c — dbcare backup driving pgBackRest, and what the other
 * pgbackrest*.c files share: the stanza, the OS user pgBackRest runs as,
 * running it, reading `pgbackrest info --output=json`.
 *
 * A backup is `pgbackrest --stanza=S --type=T backup` (pgBackRest waits
 * until the WAL the backup needs is archived), then one catalog row: kind
 * pgbackrest, path pgbackrest:STANZA/LABEL, the repository bytes this
 * backup added, the schema fingerprint read just before it, pgBackRest's
 * label and WAL range. The backup found in `info` is the newest one that
 * started after this command started it, so a backup another job takes
 * meanwhile is never recorded as this one.
 */
#include "pgbackrest.h"
#include "cli/common/tool.h"

#include "base/clock.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int cli_pgbackrest_stanza(cli_db *db, cli_opts *o, char **stanza)
{
	*stanza = NULL;
	if (o->stanza) {
		*stanza = strdup(o->stanza);
		return 0;
	}
	cli_rows r = {0};
	if (cli_q(db, o, "SELECT dbcare_get('backup.pgbackrest.stanza')", 0, NULL, &r) != 0)
		return -1;
	const char *v = cli_cell(&r, 0, 0);
	if (v && *v)
		*stanza = strdup(v);
	cli_rows_free(&r);
	return 0;
}

int cli_pgbr_open(cli_db *db, cli_opts *o, const char *stanza, cli_pgbr *b)
{
	memset(b, 0, sizeof *b);
	if (!*stanza || strspn(stanza, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                               "0123456789_-.") != strlen(stanza)) {
		cli_errorf("the pgBackRest stanza \"%s\" is not a plain name (letters, digits, _ - .)",
		           stanza);
		return -1;
	}
	b->stanza = strdup(stanza);
	cli_rows r = {0};
	if (cli_q(db, o,
	          "SELECT CASE WHEN pg_catalog.pg_has_role('pg_read_all_settings', 'MEMBER')"
	          " THEN pg_catalog.current_setting('data_directory') END",
	          0, NULL, &r) != 0)
		return -1;
	if (cli_cell(&r, 0, 0))
		b->data_directory = strdup(cli_cell(&r, 0, 0));
	cli_rows_free(&r);
	if (geteuid() != 0)
		return 0;
	struct stat st;
	if (!b->data_directory || stat(b->data_directory, &st) != 0) {
		cli_errorf("dbcare runs pgBackRest as the owner of the cluster's data directory when "
		           "run as root; %s",
		           b->data_directory ? "it is not on this machine"
		                             : "this role cannot read data_directory "
		                               "(GRANT pg_read_all_settings, or run dbcare as that user)");
		return -1;
	}
	if (st.st_uid == 0) {
		cli_errorf("the data directory %s belongs to root", b->data_directory);
		return -1;
	}
	b->as_user = true;
	b->uid = st.st_uid;
	b->gid = st.st_gid;
	return 0;
}

void cli_pgbr_close(cli_pgbr *b)
{
	free(b->stanza);
	free(b->data_directory);
	memset(b, 0, sizeof *b);
}

int cli_pgbr_run(const cli_pgbr *b, const char *const *args, const char *what, int out_fd,
                 char **err)
{
	const char *argv[16];
	char *stanza = NULL;
	int n = 0;
	if (asprintf(&stanza, "--stanza=%s", b->stanza) < 0)
		return -1;
	argv[n++] = "pgbackrest";
	argv[n++] = stanza;
	for (int i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	/* what the tool prints goes to stderr: stdout is the command's answer */
	cli_tool t = {.argv = argv,
	              .what = what,
	              .out_fd = out_fd >= 0 ? out_fd : STDERR_FILENO,
	              .as_user = b->as_user,
	              .uid = b->uid,
	              .gid = b->gid};
	int rc = cli_run_tool(&t, err);
	free(stanza);
	return rc;
}

int cli_pgbr_run_as(const cli_pgbr *b, const char *const *argv, const char *what, int log_fd,
                    char **err)
{
	cli_tool t = {.argv = argv,
	              .what = what,
	              .out_fd = log_fd >= 0 ? log_fd : STDERR_FILENO,
	              .as_user = b->as_user,
	              .uid = b->uid,
	              .gid = b->gid};
	return cli_run_tool(&t, err);
}

static const char *tree_top;

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	if (!tree_top || strcmp(path, tree_top) != 0)
		remove(path);
	return 0;
}

void cli_remove_tree(const char *path, bool keep_top)
{
	tree_top = keep_top ? path : NULL;
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	tree_top = NULL;
}

int cli_pgbr_chown(const cli_pgbr *b, const char *path)
{
	return b->as_user ? chown(path, b->uid, b->gid) : 0;
}

json_t *cli_pgbr_info(const cli_pgbr *b)
{
	FILE *out = tmpfile();
	char *err = NULL;
	json_t *doc = NULL, *stanza = NULL;
	const char *args[] = {"--output=json", "info", NULL};
	if (!out) {
		cli_errorf("cannot make a temporary file: %s", strerror(errno));
		return NULL;
	}
	if (cli_pgbr_run(b, args, "pgbackrest info", fileno(out), &err) != 0) {
		fprintf(stderr, "%s\n", err ? err : "dbcare: pgbackrest info failed");
		free(err);
		fclose(out);
		return NULL;
	}
	rewind(out);
	json_error_t jerr;
	doc = json_loadf(out, 0, &jerr);
	fclose(out);
	size_t i;
	json_t *s;
	json_array_foreach(doc, i, s)
	{
		const char *name = json_string_value(json_object_get(s, "name"));
		if (name && strcmp(name, b->stanza) == 0)
			stanza = json_incref(s);
	}
	json_decref(doc);
	if (!stanza)
		cli_errorf("pgbackrest info does not know the stanza %s (pgbackrest stanza-create "
		           "makes it)",
		           b->stanza);
	return stanza;
}

/* The newest backup of the stanza that started at or after since (epoch s). */
static json_t *newest_since(json_t *stanza, long long since)
{
	json_t *found = NULL, *bk;
	size_t i;
	json_array_foreach(json_object_get(stanza, "backup"), i, bk)
	{
		json_t *start = json_object_get(json_object_get(bk, "timestamp"), "start");
		if (json_is_integer(start) && json_integer_value(start) >= since)
			found = bk;
	}
	return found;
}

static const char *str_at(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);
	if (b)
		v = json_object_get(v, b);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Records backup bk of b's stanza; prints the row as JSON. */
static int record(cli_db *db, cli_opts *o, const cli_pgbr *b, json_t *bk, const char *fingerprint,
                  double ms)
{
	const char *label = str_at(bk, "label", NULL);
	char *path = NULL, bytes[32] = "", dur[32];
	json_t *delta =
	    json_object_get(json_object_get(json_object_get(bk, "info"), "repository"), "delta");
	if (json_is_integer(delta))
		snprintf(bytes, sizeof bytes, "%lld", (long long)json_integer_value(delta));
	snprintf(dur, sizeof dur, "%.0f", ms);
	if (!label || asprintf(&path, "pgbackrest:%s/%s", b->stanza, label) < 0) {
		cli_errorf("pgbackrest info shows the backup without a label");
		return CLI_ERROR;
	}
	const char *p[3] = {path, bytes[0] ? bytes : NULL, fingerprint};
	cli_rows id = {0}, r = {0};
	int failed = cli_q(db, o, "BEGIN", 0, NULL, NULL) != 0 ||
	             cli_q(db, o, "SELECT dbbackup_record('pgbackrest', $1, CAST($2 AS bigint), $3)", 3,
	                   p, &id) != 0;
	const char *u[6] = {cli_cell(&id, 0, 0),           label, str_at(bk, "archive", "start"),
	                    str_at(bk, "archive", "stop"), dur,   str_at(bk, "type", NULL)};
	failed = failed ||
	         cli_q(db, o,
	               "UPDATE dbcare.backups SET label = $2, wal_start = $3, wal_stop = $4,"
	               " duration_ms = CAST($5 AS double precision) WHERE id = CAST($1 AS bigint)"
	               " RETURNING json_build_object('id', id, 'kind', kind, 'path', path,"
	               " 'label', label, 'type', CAST($6 AS text), 'bytes', bytes,"
	               " 'wal_start', wal_start, 'wal_stop', wal_stop,"
	               " 'duration_ms', duration_ms)::text",
	               6, u, &r) != 0 ||
	         cli_q(db, o, "COMMIT", 0, NULL, NULL) != 0;
	if (failed)
		cli_rollback(db);
	else
		cli_print_json_doc(db, o, "backup", cli_cell(&r, 0, 0));
	cli_rows_free(&id);
	cli_rows_free(&r);
	free(path);
	return failed ? CLI_ERROR : CLI_OK;
}

int cli_pgbackrest_backup(cli_db *db, cli_opts *o, const char *stanza)
{
	cli_pgbr b;
	cli_rows r = {0};
	char *err = NULL, *type = NULL, *fingerprint = NULL;
	int rc = CLI_ERROR;
	if (o->nargs > 0) {
		cli_errorf("a pgBackRest backup goes to the stanza's repository: no PATH");
		return CLI_USAGE;
	}
	if (cli_pgbr_open(db, o, stanza, &b) != 0)
		goto out;
	if (cli_q(db, o, "SELECT dbschema_fingerprint()", 0, NULL, &r) != 0)
		goto out;
	fingerprint = strdup(cli_cell(&r, 0, 0) ? cli_cell(&r, 0, 0) : "");
	if (asprintf(&type, "--type=%s", o->backup_type ? o->backup_type : "incr") < 0)
		goto out;
	/* pgBackRest's timestamps are whole seconds: a backup started in this
	 * second or later is this one */
	long long since = (long long)time(NULL);
	double start = dbc_monotonic_ms();
	const char *args[] = {type, "backup", NULL};
	cli_note(&o->out, "pgbackrest --stanza=%s %s backup", b.stanza, type);
	if (cli_pgbr_run(&b, args, "pgbackrest backup", -1, &err) != 0) {
		fprintf(stderr, "%s\n", err ? err : "dbcare: pgbackrest backup failed");
		goto out;
	}
	double ms = dbc_monotonic_ms() - start;
	json_t *info = cli_pgbr_info(&b);
	json_t *bk = info ? newest_since(info, since) : NULL;
	if (info && !bk)
		cli_errorf("pgbackrest backup succeeded but pgbackrest info shows no backup started "
		           "since; nothing was recorded");
	if (bk)
		rc = record(db, o, &b, bk, fingerprint, ms);
	json_decref(info);
out:
	cli_rows_free(&r);
	cli_pgbr_close(&b);
	free(err);
	free(type);
	free(fingerprint);
	return rc;
}
