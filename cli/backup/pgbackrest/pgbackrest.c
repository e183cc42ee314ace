/*
 * pgbackrest.c — dbcare backup driving pgBackRest, and what the other
 * pgbackrest*.c files share: the stanza, the OS user pgBackRest runs as,
 * running it, reading `pgbackrest info --output=json`.
 *
 * A backup is `pgbackrest --stanza=S --type=T backup` (pgBackRest waits
 * until the WAL the backup needs is archived), as a tool of the core's
 * backup flow (core/backup/backup_tool.h), then one catalog row: kind
 * pgbackrest, path pgbackrest:STANZA/LABEL (pgbackrest:STANZA/LABEL@URL
 * when the repository is the bucket or container URL names:
 * pgbackrest_repo.c), the repository bytes this
 * backup added, the schema fingerprint read just before it, pgBackRest's
 * label and WAL range. The backup found in `info` is the newest one that
 * started after this command started it, so a backup another job takes
 * meanwhile is never recorded as this one.
 */
#include "cli/backup/common/backup_flow.h"
#include "pgbackrest.h"
#include "cli/common/tool.h"
#include "cli/store/store.h"

#include "base/clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
	cli_pgbr_repo_free(b);
	memset(b, 0, sizeof *b);
}

/* cli_pgbr_run, the tool's stderr into err_fd when > 0 (else this command's) */
static int pgbr_run(const cli_pgbr *b, const char *const *args, const char *what, int out_fd,
                    int err_fd, char **err)
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
	              .gid = b->gid,
	              .err_fd = err_fd,
	              .env = (const char *const *)b->env};
	int rc = cli_run_tool(&t, err);
	free(stanza);
	return rc;
}

int cli_pgbr_run(const cli_pgbr *b, const char *const *args, const char *what, int out_fd,
                 char **err)
{
	return pgbr_run(b, args, what, out_fd, 0, err);
}

int cli_pgbr_run_as(const cli_pgbr *b, const char *const *argv, const char *what, int log_fd,
                    char **err)
{
	cli_tool t = {.argv = argv,
	              .what = what,
	              .out_fd = log_fd >= 0 ? log_fd : STDERR_FILENO,
	              .as_user = b->as_user,
	              .uid = b->uid,
	              .gid = b->gid,
	              .env = (const char *const *)b->env};
	return cli_run_tool(&t, err);
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

/* pgBackRest as a tool of the backup flow (core/backup/backup_tool.h):
 * it keeps the copy in its repository; read back is its info, which names
 * the backup this command started. */
typedef struct pgbr_tool {
	cli_db *db;
	cli_opts *o;
	cli_pgbr b;
	const char *type_arg; /* --type=T */
	long long since;      /* epoch s the backup was started at or after */
	char *type;           /* pgBackRest's type of the backup made (the answer's) */
} pgbr_tool;

static int pgbr_begin(dbc_ctx *ctx, void *arg, dbc_backup_made *made)
{
	pgbr_tool *t = arg;
	cli_rows r = {0};
	if (cli_q(t->db, t->o, "SELECT dbschema_fingerprint()", 0, NULL, &r) != 0)
		return cli_backup_fail(ctx, NULL);
	made->fingerprint = dbc_strdup(ctx, cli_cell(&r, 0, 0) ? cli_cell(&r, 0, 0) : "");
	cli_rows_free(&r);
	return made->fingerprint ? DBC_OK : DBC_ERROR;
}

static int pgbr_copy(dbc_ctx *ctx, void *arg, const char *file, dbc_backup_made *made)
{
	pgbr_tool *t = arg;
	char *err = NULL;
	(void)file, (void)made;
	/* pgBackRest's timestamps are whole seconds: a backup started in this
	 * second or later is this one */
	t->since = (long long)time(NULL);
	const char *args[] = {t->type_arg, "backup", NULL};
	cli_note(&t->o->out, "pgbackrest --stanza=%s %s backup", t->b.stanza, t->type_arg);
	if (cli_pgbr_run(&t->b, args, "pgbackrest backup", -1, &err) == 0)
		return DBC_OK;
	return cli_backup_fail(ctx, err ? err : strdup("dbcare: pgbackrest backup failed"));
}

static char *arena_copy(dbc_ctx *ctx, const char *s)
{
	return s ? dbc_strdup(ctx, s) : NULL;
}

/* The newest backup of the stanza started since the copy began: what
 * the record names (label, WAL range, the repository bytes it added). */
static int pgbr_read_back(dbc_ctx *ctx, void *arg, const char *file, dbc_backup_made *made)
{
	pgbr_tool *t = arg;
	(void)file;
	json_t *info = cli_pgbr_info(&t->b);
	json_t *bk = info ? newest_since(info, t->since) : NULL;
	const char *label = bk ? str_at(bk, "label", NULL) : NULL;
	int rc = DBC_ERROR;
	if (!info)
		rc = cli_backup_fail(ctx, NULL);
	else if (!bk)
		rc = dbc_error(ctx, DBC_SQLSTATE_INTERNAL,
		               "pgbackrest backup succeeded but pgbackrest info shows no backup started "
		               "since; nothing was recorded");
	else if (!label)
		rc = dbc_error(ctx, DBC_SQLSTATE_INTERNAL,
		               "pgbackrest info shows the backup without a label");
	else {
		json_t *delta =
		    json_object_get(json_object_get(json_object_get(bk, "info"), "repository"), "delta");
		made->bytes = json_is_integer(delta) ? (int64_t)json_integer_value(delta) : -1;
		made->location = t->b.repo
		                     ? dbc_printf(ctx, "pgbackrest:%s/%s@%s", t->b.stanza, label, t->b.repo)
		                     : dbc_printf(ctx, "pgbackrest:%s/%s", t->b.stanza, label);
		made->label = arena_copy(ctx, label);
		made->wal_start = arena_copy(ctx, str_at(bk, "archive", "start"));
		made->wal_stop = arena_copy(ctx, str_at(bk, "archive", "stop"));
		t->type = str_at(bk, "type", NULL) ? strdup(str_at(bk, "type", NULL)) : NULL;
		rc = made->location ? DBC_OK : DBC_ERROR;
	}
	json_decref(info);
	return rc;
}

/* The answer of a pgBackRest backup, over dbbackup_entry's row ($1: its
 * id, $2: pgBackRest's type of it). */
static const char pgbr_answer_sql[] =
    "SELECT json_build_object('id', e->'id', 'kind', e->'kind', 'path', e->'path',"
    " 'label', e->'label', 'type', CAST($2 AS text), 'bytes', e->'bytes',"
    " 'wal_start', e->'wal_start', 'wal_stop', e->'wal_stop',"
    " 'duration_ms', e->'duration_ms')::text"
    " FROM (SELECT dbbackup_entry(CAST($1 AS bigint)) AS e) AS recorded";

/* pgBackRest's exit code when another of its processes holds the
 * stanza's lock. A server that archives into the bucket before the stanza
 * is there runs archive-push again and again (each fails: no archive.info),
 * each holding the archive lock for a moment: stanza-create is tried again
 * while it meets only that, 250 ms apart for at most 30 s. pgBackRest's
 * error of the lock is printed once, then one line saying dbcare waits
 * (and, on a terminal, the seconds waited); any other error as it came. */
#define PGBR_LOCK_HELD 50
#define STANZA_TRIES   120

/* What a try of the tool wrote, onto this command's stderr. */
static void replay_stderr(FILE *errs)
{
	char buf[4096];
	size_t n;
	rewind(errs);
	while ((n = fread(buf, 1, sizeof buf, errs)) > 0)
		fwrite(buf, 1, n, stderr);
}

/* The stanza made in a bucket or container dbcare names (pgbackrest
 * stanza-create: nothing when it is there and matches the cluster). 0, or
 * -1 after printing why. */
static int stanza_made(const cli_pgbr *b, cli_opts *o)
{
	char *err = NULL;
	const char *args[] = {"stanza-create", NULL};
	FILE *errs = tmpfile(); /* each try's output; NULL: straight to our stderr */
	int rc = -1;
	cli_note(&o->out, "pgbackrest --stanza=%s stanza-create in %s", b->stanza, b->repo);
	for (int tries = 1;; tries++) {
		if (errs && ftruncate(fileno(errs), 0) != 0) {
			fclose(errs);
			errs = NULL;
		}
		if (errs)
			rewind(errs); /* the offset the tool's stderr shares */
		int fd = errs ? fileno(errs) : -1;
		if (pgbr_run(b, args, "pgbackrest stanza-create", fd, fd > 0 ? fd : 0, &err) == 0) {
			rc = 0;
			if (errs)
				replay_stderr(errs); /* its warnings */
			break;
		}
		bool lock = !cli_tool_stop_signal() && cli_tool_exit_code() == PGBR_LOCK_HELD;
		if (errs && (!lock || tries == 1))
			replay_stderr(errs);
		if (!lock || tries >= STANZA_TRIES)
			break;
		if (tries == 1)
			cli_note(&o->out,
			         "pgBackRest's lock of stanza %s is held (the server's "
			         "archive-push, which fails until the stanza is there): "
			         "trying again for up to %d s",
			         b->stanza, STANZA_TRIES / 4);
		else
			cli_progress_text(&o->out, "waiting for pgBackRest's lock of stanza %s: %d s",
			                  b->stanza, tries / 4);
		free(err);
		err = NULL;
		nanosleep(&(struct timespec){.tv_nsec = 250 * 1000 * 1000}, NULL);
	}
	cli_progress_end(&o->out);
	if (errs)
		fclose(errs);
	if (rc != 0)
		fprintf(stderr, "%s; nothing was recorded\n",
		        err ? err : "dbcare: pgbackrest stanza-create failed");
	free(err);
	return rc;
}

int cli_pgbackrest_backup(cli_db *db, cli_opts *o, const char *stanza)
{
	if (o->nargs > 1 || (o->nargs == 1 && !cli_store_is_url(o->args[0]))) {
		cli_errorf("a pgBackRest backup goes to the stanza's repository: its configuration's, "
		           "or a bucket or container named as s3://BUCKET/PREFIX or "
		           "azure://CONTAINER/PREFIX; no PATH");
		return CLI_USAGE;
	}
	pgbr_tool t = {.db = db, .o = o};
	char type_arg[64];
	int rc = CLI_ERROR;
	snprintf(type_arg, sizeof type_arg, "--type=%s", o->backup_type ? o->backup_type : "incr");
	if (cli_pgbr_open(db, o, stanza, &t.b) == 0 &&
	    (o->nargs == 0 || (cli_pgbr_repo(&t.b, o->args[0]) == 0 && stanza_made(&t.b, o) == 0))) {
		t.type_arg = type_arg;
		dbc_backup_tool tool = {.kind = "pgbackrest",
		                        .writes_file = false,
		                        .arg = &t,
		                        .begin = pgbr_begin,
		                        .copy = pgbr_copy,
		                        .read_back = pgbr_read_back};
		rc = cli_backup_run(db, o, &tool, pgbr_answer_sql, &t.type, NULL, 0, false);
	}
	cli_pgbr_close(&t.b);
	free(t.type);
	return rc;
}

/* A TCP port nothing listens on now (the server listens on none: the
 * number names its socket file and lock). */
int cli_pgbr_free_port(void)
{
	for (int tries = 0; tries < 50; tries++) {
		int port = 20000 + (int)((unsigned)rand() % 30000);
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		int ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
		if (fd >= 0)
			close(fd);
		if (ok)
			return port;
	}
	return 5432 + (int)((unsigned)getpid() % 1000);
}

int cli_pgbr_write_file(const cli_pgbr *b, const char *path, const char *text, bool keep)
{
	int fd = open(path, O_WRONLY | O_CREAT | (keep ? 0 : O_TRUNC) | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	size_t n = strlen(text);
	int rc = write(fd, text, n) == (ssize_t)n ? 0 : -1;
	close(fd);
	return rc == 0 ? cli_pgbr_chown(b, path) : -1;
}
