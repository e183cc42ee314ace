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
 * they all go into it, made with mode 0600 from its first byte and put
 * in place whole by a rename (pgBackRest's include folder reads *.conf
 * only: FILE.tmp is never read half-written); a FILE replaced keeps its
 * owner, so the server's user still reads it when root writes it again.
 */
#include "pgbackrest.h"
#include "cli/common/files.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VAR_PREFIX "PGBACKREST_REPO1_"

/* The variables' names (after PGBACKREST_REPO1_) whose values are secrets. */
static bool is_secret(const char *name, size_t len)
{
	static const char *const secrets[] = {"S3_KEY", "S3_KEY_SECRET", "S3_TOKEN", "AZURE_KEY"};
	for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++)
		if (strlen(secrets[i]) == len && strncmp(secrets[i], name, len) == 0)
			return true;
	return false;
}

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
		if (is_secret(name, (size_t)(eq - name)) && !with_secrets) {
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

/* FILE replaced by the whole section, mode 0600, its owner kept. */
static int write_private(const cli_pgbr *b, const char *path)
{
	cli_replace r;
	FILE *f = cli_replace_open_mode(&r, path, 0600);
	if (!f)
		return -1;
	struct stat st;
	bool ok = true;
	if (stat(path, &st) == 0 && (st.st_uid != geteuid() || st.st_gid != getegid()) &&
	    fchown(fileno(f), st.st_uid, st.st_gid) != 0) {
		cli_errorf("cannot give the new %s its owner's uid %u: run as that user or as root", path,
		           (unsigned)st.st_uid);
		ok = false;
	}
	int left_out = 0;
	ok = ok && write_section(f, b, true, &left_out);
	return cli_replace_close(&r, ok);
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
		rc = write_private(&b, file) == 0 ? CLI_OK : CLI_ERROR;
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
