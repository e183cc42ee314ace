/*
 * pgbackrest_conf.c — dbcare backup pgbackrest-conf URL [FILE]: the
 * repository in a bucket or container as pgBackRest's configuration, for
 * the pgBackRest dbcare does not run: the server's archive_command
 * (archive-push) and a restore's archive-get. The options are the ones
 * each pgBackRest child of dbcare gets as variables (pgbackrest_repo.c:
 * one home for the mapping of a URL and the user's credentials), written
 * as the lines of a [global] section.
 *
 * Printed, the lines hold no secret (repo1-s3-key, repo1-s3-key-secret,
 * repo1-s3-token, repo1-azure-key are left out, and said so). With FILE
 * they all go into it, made with mode 0600 from its first byte, synced
 * and put in place whole by a rename (pgBackRest's include folder reads
 * *.conf only: FILE.tmp is never read half-written). FILE is dbcare's own:
 * its first line (WRITTEN_BY) says so, and a file without it (the user's
 * pgbackrest.conf, say) or a symbolic link is never replaced. A FILE
 * replaced keeps its owner, its group and its mode's owner and group
 * bits (never others'), so the server's user still reads it when root
 * writes it again.
 */
#include "pgbackrest.h"
#include "cli/common/files.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VAR_PREFIX "PGBACKREST_REPO1_"
#define WRITTEN_BY "# written by dbcare backup pgbackrest-conf (replaced whole when run again)"

/* The [global] section of b's variables into f, the secrets with
 * with_secrets only; false when a value would break out of its line. */
static bool write_section(FILE *f, const cli_pgbr *b, bool with_secrets, int *left_out)
{
	for (char **e = b->env; *e; e++)
		if (strpbrk(strchr(*e, '=') + 1, "\r\n")) {
			cli_errorf("the value of %.*s holds a line break, which pgBackRest's "
			           "configuration cannot hold: fix the credential or the endpoint",
			           (int)(strchr(*e, '=') - *e), *e);
			return false;
		}
	fputs("[global]\n", f);
	for (char **e = b->env; *e; e++) {
		const char *name = *e + strlen(VAR_PREFIX), *eq = strchr(name, '=');
		if (cli_pgbr_secret_var(name, (size_t)(eq - name)) && !with_secrets) {
			++*left_out;
			continue;
		}
		fputs("repo1-", f);
		for (const char *c = name; c < eq; c++)
			fputc(*c == '_' ? '-' : tolower((unsigned char)*c), f);
		fprintf(f, "=%s\n", eq + 1);
	}
	return true;
}

/* Whether path, when it exists, may be replaced: a regular file that is
 * empty or begins with WRITTEN_BY (st: its status). 0, 1 when it does not
 * exist, -1 after saying why not. */
static int ours_to_replace(const char *path, struct stat *st)
{
	if (lstat(path, st) != 0)
		return errno == ENOENT ? 1 : (cli_errorf("cannot read %s: %s", path, strerror(errno)), -1);
	if (!S_ISREG(st->st_mode)) {
		cli_errorf("%s is not a regular file (a symbolic link?): name the file itself, one of "
		           "dbcare's own in pgBackRest's include folder (conf.d/NAME.conf)",
		           path);
		return -1;
	}
	char first[sizeof WRITTEN_BY] = "";
	FILE *f = fopen(path, "r");
	size_t got = f ? fread(first, 1, sizeof first - 1, f) : 0;
	if (f)
		fclose(f);
	if (st->st_size > 0 && (got != sizeof first - 1 || strcmp(first, WRITTEN_BY) != 0)) {
		cli_errorf("%s was not written by dbcare backup pgbackrest-conf, which replaces its file "
		           "whole: name a file of dbcare's own (conf.d/NAME.conf in pgBackRest's "
		           "include folder), not pgBackRest's own configuration",
		           path);
		return -1;
	}
	return 0;
}

/* FILE replaced by the whole section (mode 0600 when new; a replaced one
 * keeps its owner, group and owner/group mode bits). */
static int write_private(cli_opts *o, const cli_pgbr *b, const char *path)
{
	struct stat st;
	int had = ours_to_replace(path, &st);
	if (had < 0)
		return -1;
	cli_replace r;
	FILE *f = cli_replace_open_mode(&r, path, 0600);
	if (!f)
		return -1;
	bool ok = true;
	if (had == 0 && (st.st_uid != geteuid() || st.st_gid != getegid()) &&
	    fchown(fileno(f), st.st_uid, st.st_gid) != 0) {
		cli_errorf("cannot give the new %s its owner and group (uid %u, gid %u): run as that "
		           "user or as root",
		           path, (unsigned)st.st_uid, (unsigned)st.st_gid);
		ok = false;
	}
	if (ok && had == 0 && fchmod(fileno(f), st.st_mode & 0640) != 0) {
		cli_errorf("cannot give the new %s the mode of the old: %s", path, strerror(errno));
		ok = false;
	}
	int left_out = 0;
	ok = ok && fprintf(f, "%s\n", WRITTEN_BY) > 0 && write_section(f, b, true, &left_out);
	if (cli_replace_close(&r, ok) != 0)
		return -1;
	if (had == 1 && geteuid() == 0)
		cli_note(&o->out,
		         "%s is root's, mode 0600: give it to the server's user (chown postgres: %s) "
		         "so that its archive_command reads it",
		         path, path);
	for (char **e = b->env; *e; e++)
		if (strncmp(*e, VAR_PREFIX "S3_TOKEN=", strlen(VAR_PREFIX "S3_TOKEN=")) == 0)
			cli_note(&o->out,
			         "warning: %s holds a session token (AWS_SESSION_TOKEN or a profile's), "
			         "which expires: the archiver then fails; give it a key pair of its own",
			         path);
	return 0;
}

int cli_pgbackrest_conf(cli_opts *o)
{
	if (o->nargs < 2 || o->nargs > 3) {
		cli_errorf("usage: dbcare backup pgbackrest-conf s3://BUCKET/PREFIX | "
		           "azure://CONTAINER/PREFIX [FILE]");
		return CLI_USAGE;
	}
	cli_pgbr b = {0};
	if (cli_pgbr_repo(&b, o->args[1]) != 0) {
		cli_pgbr_repo_free(&b);
		return CLI_ERROR;
	}
	int rc = CLI_OK, left_out = 0;
	const char *file = o->nargs == 3 ? o->args[2] : NULL;
	if (file) {
		rc = write_private(o, &b, file) == 0 ? CLI_OK : CLI_ERROR;
		if (rc == CLI_OK)
			cli_note(&o->out,
			         "wrote %s (mode 0600): pgBackRest's repository %s, credentials "
			         "included",
			         file, o->args[1]);
	} else if (!write_section(stdout, &b, false, &left_out)) {
		rc = CLI_ERROR;
	} else if (left_out) {
		cli_note(&o->out, "the credentials are left out: name a FILE after the URL to write "
		                  "them too, into a file of mode 0600");
	}
	cli_pgbr_repo_free(&b);
	return rc;
}
