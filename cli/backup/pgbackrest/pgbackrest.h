/*
 * pgbackrest.h — dbcare driving pgBackRest (docs/backups.md): backups
 * recorded in dbcare's catalog with pgBackRest's label and WAL range, a
 * verification that restores into a scratch data directory, and a
 * point-in-time restore into a directory the user names. pgBackRest reads
 * its own configuration (pgbackrest.conf, PGBACKREST_* variables): its
 * repository cipher passphrase never passes through dbcare, SQL or the
 * catalog.
 */
#ifndef DBCARE_CLI_PGBACKREST_H
#define DBCARE_CLI_PGBACKREST_H

#include "cli/backup/backup_methods.h"
#include "cli/cli.h"

/* The stanza: --stanza, else the setting backup.pgbackrest.stanza; NULL
 * (malloc'd otherwise) when neither names one: pg_dump is used. -1 when
 * the setting could not be read. */
int cli_pgbackrest_stanza(cli_db *db, cli_opts *o, char **stanza);
/* dbcare backup with a stanza: pgbackrest backup --type, then recorded;
 * into the bucket or container o's PATH names when it is a store URL (the
 * stanza made there first when it is not). */
int cli_pgbackrest_backup(cli_db *db, cli_opts *o, const char *stanza);
/* dbcare verify of a pgbackrest row (path "pgbackrest:STANZA/LABEL", with
 * "@URL" after it when the repository is a bucket or container):
 * pgbackrest verify, then a restore of the backup into a scratch data
 * directory, started on a free port, every table read, stopped. 0 with
 * *why NULL (verified) or set (failed); -1 when it could not be checked. */
int cli_pgbackrest_verify(cli_db *db, cli_opts *o, const char *path, char **why, int *tables);
/* Its verify hook: cli_pgbackrest_verify of the row's path, the row marked
 * (pgbackrest_verify.c). */
int cli_pgbackrest_verify_row(cli_db *db, cli_opts *o, const cli_backup_ref *b, char **why,
                              char **doc);
/* dbcare restore --to-time TIME DIR [--from URL]: from a bucket or
 * container, the recovery is run to its end here (pgbackrest_recover.c). */
int cli_pgbackrest_restore(cli_db *db, cli_opts *o);
/* dbcare backup pgbackrest-conf URL [FILE]: the repository in the
 * bucket or container as pgBackRest's [global] options, for the
 * archive_command's pgBackRest: printed without the secrets, or all of
 * them into FILE, mode 0600 (pgbackrest_conf.c). */
int cli_pgbackrest_conf(cli_opts *o);

#endif

/* ---- shared by pgbackrest*.c */
#include <jansson.h>
#include <sys/types.h>

typedef struct cli_pgbr {
	char *stanza;
	/* the command runs as root: pgBackRest and the scratch cluster run as
	 * the owner of the running cluster's data directory */
	bool as_user;
	uid_t uid;
	gid_t gid;
	char *data_directory; /* the running cluster's; NULL when this role cannot read it */
	/* the repository in a bucket or container (NULL: the configuration's):
	 * its URL, and pgBackRest's PGBACKREST_REPO1_* variables for it,
	 * secrets included, given to every child run (pgbackrest_repo.c) */
	char *repo;
	char **env;
} cli_pgbr;

int cli_pgbr_open(cli_db *db, cli_opts *o, const char *stanza, cli_pgbr *b);
void cli_pgbr_close(cli_pgbr *b);
/* b's repository is the bucket or container url names (s3://BUCKET/PREFIX,
 * azure://CONTAINER/PREFIX), with the user's credentials for it. 0, or -1
 * after printing why. */
int cli_pgbr_repo(cli_pgbr *b, const char *url);
/* Whether the variable PGBACKREST_REPO1_<name> (len bytes) that
 * cli_pgbr_repo sets holds a credential. */
bool cli_pgbr_secret_var(const char *name, size_t len);
void cli_pgbr_repo_free(cli_pgbr *b);
/* The copy restored into dir from b's bucket or container recovered to
 * its target and promoted, then stopped (pgbackrest_recover.c). 0, or -1
 * after printing why. */
int cli_pgbr_recover(const cli_pgbr *b, cli_opts *o, const char *dir);
/* pgbackrest --stanza=S ARGS... (args NULL-ended); its stdout to out_fd
 * when >= 0, else to stderr (stdout is the command's answer). */
int cli_pgbr_run(const cli_pgbr *b, const char *const *args, const char *what, int out_fd,
                 char **err);
/* pgbackrest info --output=json of the stanza: its object (the caller
 * json_decref's it); NULL after printing why. */
json_t *cli_pgbr_info(const cli_pgbr *b);
/* Runs argv as b's user (pg_ctl); its stdout to log_fd when >= 0, else to stderr. */
int cli_pgbr_run_as(const cli_pgbr *b, const char *const *argv, const char *what, int log_fd,
                    char **err);
/* Hands path to b's user (when the command runs as root). */
int cli_pgbr_chown(const cli_pgbr *b, const char *path);
/* A loopback TCP port nothing listens on now (a private server listens on
 * none: the number names its socket file and lock). */
int cli_pgbr_free_port(void);
/* text written to path (mode 0600; appended to when keep), handed to b's
 * user. 0, or -1 with errno. */
int cli_pgbr_write_file(const cli_pgbr *b, const char *path, const char *text, bool keep);
