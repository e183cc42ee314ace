/*
 * cmd_restore.c — restore FILE (SQLite): the file is verified first
 * (dbbackup_verify: opens, integrity check, counts), the current database
 * is backed up beside itself (dbbackup_create, verified), and only then
 * the driver copies the file in (sqlite_restore.c explains the choice of
 * the backup API over a rename) and the result is checked with
 * PRAGMA quick_check. A failure before the copy changes nothing.
 *
 * An incremental backup (a page-set file: it starts with "DBCPAGE1") or a
 * sealed one (compressed or encrypted: "DBCSEAL1") is restored through
 * the image its chain or its seal gives: dbbackup_verify(FILE, IMAGE)
 * writes that image into a scratch file without a name beside the
 * database (a kill leaves nothing of it), checks it like a full copy
 * against FILE's catalog row, and the image is copied in, then released.
 */
#include "pages.h"
#include "cli/backup/backup_methods.h"
#include "cli/cli.h"
#include "cli/backup/log/pitr.h"
#include "cli/backup/common/sealed.h"
#include "cli/backup/common/stop_cleanup.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Whether file is an incremental backup (sqlite/backup/backup_incr.c's format). */
static bool incremental_file(const char *file)
{
	char magic[8];
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool is = read(fd, magic, sizeof magic) == (ssize_t)sizeof magic &&
	          memcmp(magic, "DBCPAGE1", sizeof magic) == 0;
	close(fd);
	return is;
}

/* SQLite: the file of the backup dbbackup_mark took for label (its
 * chain restores to the mark); NULL after printing why. */
static char *mark_file(cli_db *db, cli_opts *o, const char *label)
{
	cli_rows r = {0};
	const char *p[1] = {label};
	char *file = NULL;
	if (cli_q(db, o, "SELECT backup_path FROM dbbackup_marks() WHERE label = $1", 1, p, &r) != 0)
		return NULL;
	if (r.nrows == 0 || !cli_cell(&r, 0, 0))
		cli_errorf("no restore point named \"%s\" with its backup (dbbackup_mark makes them; "
		           "dbbackup_marks() lists them)",
		           label);
	else
		file = strdup(cli_cell(&r, 0, 0));
	cli_rows_free(&r);
	return file;
}

/* restore --to-mark LABEL alone: the mark's backup (the database's
 * catalog names it); with a log DIR, the log to the mark's commit, or
 * --to-time TIME DIR to that time. */
int cli_module_restore_to(cli_db *db, cli_opts *o)
{
	if (o->to_mark && o->nargs == 0) {
		char *found = mark_file(db, o, o->to_mark);
		if (!found)
			return CLI_ERROR;
		cli_note(&o->out, "restore point %s: backup %s", o->to_mark, found);
		o->args[0] = found; /* the command's argument from here on */
		o->nargs = 1;
		return cli_restore_file(db, o, found, o->from_dir);
	}
	return cli_pitr_restore_at(db, o, o->args[0]);
}

int cli_module_restore(cli_db *db, cli_opts *o, const char *file)
{
	return cli_restore_file(db, o, file, o->from_dir);
}

/* Whether db's main database has no page yet (a file just created, or
 * empty): nothing in it to keep a safety copy of. */
static bool empty_database(cli_db *db, cli_opts *o)
{
	cli_rows r = {0};
	bool empty = cli_q(db, o, "PRAGMA main.page_count", 0, NULL, &r) == 0 && cli_cell(&r, 0, 0) &&
	             strcmp(cli_cell(&r, 0, 0), "0") == 0;
	cli_rows_free(&r);
	return empty;
}

/* A backup file names the database it was taken from (its identity,
 * which copies of the file keep, and its file): a sealed file in its
 * header, a plain copy in itself (its bookkeeping and stamp). Restored
 * over another database, or over a copy of its own elsewhere, it would
 * replace that database with someone else's; over a database with no
 * identity (never backed up) nothing says whose it is. Only a new or
 * empty target (the caller's) or the origin the user named
 * (--allow-origin) is exempt; a catalogued file was checked by the
 * module's verification already, as its row's. A file naming no identity
 * (made before identities) is restored as before. 0 when it may go on;
 * -1 after printing why not. */
static int target_check(cli_db *db, const char *file, const char *main_file)
{
	cli_rows r = {0};
	/* no bookkeeping, or one older than identities: the target has none */
	if (db->drv->query(db, "SELECT dbbackup_identity()", 0, NULL, &r) != 0)
		cli_error_clear(db);
	char *why = cli_target_mismatch(file, cli_cell(&r, 0, 0), main_file);
	cli_rows_free(&r);
	if (!why)
		return 0;
	cli_errorf("%s", why);
	free(why);
	return -1;
}

/* The current database backed up beside itself (milliseconds in the
 * name, as dbbackup_create's own: two restores within a second each get
 * one, one never replaces a file); its JSON in *b. */
static int safety_backup(cli_db *db, cli_opts *o, const char *main_file, cli_rows *b)
{
	char stamp[32], *safety = NULL;
	struct timespec now;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
	if (asprintf(&safety, "%s.before-restore-%s%03ldZ.db", main_file, stamp,
	             now.tv_nsec / 1000000) < 0)
		return -1;
	const char *sp[1] = {safety};
	cli_note(&o->out, "backing up the current database to %s", safety);
	int brc = cli_q(db, o, "SELECT dbbackup_create($1)", 1, sp, b);
	free(safety);
	if (brc != 0)
		cli_errorf("the current database could not be backed up: nothing restored");
	return brc;
}

/* Whether a stop signal came while the restore over a database held them
 * before its copy (said: the database is unchanged). */
static bool stopped_before_copy(void)
{
	if (!cli_stop_pending())
		return false;
	cli_errorf("the restore was interrupted before its copy: the database is unchanged (the copy "
	           "taken of it just before is kept)");
	return true;
}

int cli_restore_file(cli_db *db, cli_opts *o, const char *file, const char *from_dir)
{
	cli_rows v = {0}, b = {0}, r = {0};
	sigset_t held;
	bool holding = false;
	char *image = NULL; /* an incremental or sealed backup's image, released at the end */
	if (cli_q(db, o, "SELECT file FROM pragma_database_list WHERE name = 'main'", 0, NULL, &r) != 0)
		return CLI_ERROR;
	if (cli_restore_target_check(cli_cell(&r, 0, 0), NULL) != 0) {
		cli_rows_free(&r);
		return CLI_ERROR;
	}
	bool fresh = empty_database(db, o);
	int guard = cli_restore_guard(o, cli_cell(&r, 0, 0));
	/* a sealed file (compressed, encrypted) is opened into the image the
	 * same way, checked against its row's SHA-256 */
	if (incremental_file(file) || cli_is_sealed(file)) {
		/* without a name: a kill leaves no plain image behind */
		if (!(image = cli_scratch_beside(cli_cell(&r, 0, 0))))
			goto failed;
		cli_note(&o->out, "building the image of %s from its chain", file);
	}
	const char *p[3] = {file, image, from_dir};
	if (cli_q(db, o, image ? "SELECT dbbackup_verify($1, $2, $3)" : "SELECT dbbackup_verify($1)",
	          image ? 3 : 1, p, &v) != 0) {
		cli_errorf("%s was not restored: it did not verify; the database is unchanged", file);
		goto failed;
	}
	if (!fresh && target_check(db, file, cli_cell(&r, 0, 0)) != 0)
		goto failed;
	/* over a database: the stop signals held from the safety copy to the
	 * end, whose copy is one step (all or nothing in the database's
	 * transaction). A stop before the copy is answered with the database
	 * unchanged, saying so; one after it is dropped, the restore done: it
	 * ends restored and said, never half-told (stop_cleanup.h) */
	if (!fresh) {
		cli_stop_hold(&held);
		holding = true;
	}
	if (!fresh && (safety_backup(db, o, cli_cell(&r, 0, 0), &b) != 0 || stopped_before_copy()))
		goto failed;
	cli_rows_free(&r);
	char *err = NULL;
	if (db->drv->restore_from(db, image ? image : file, &err) != 0) {
		fprintf(stderr, "%s\n", err ? err : "dbcare: the restore failed");
		free(err);
		goto failed;
	}
	if (cli_q(db, o, "PRAGMA quick_check", 0, NULL, &r) != 0 || !cli_cell(&r, 0, 0) ||
	    strcmp(cli_cell(&r, 0, 0), "ok") != 0) {
		cli_errorf("the restored database fails PRAGMA quick_check; the copy taken before is "
		           "in the safety backup above");
		goto failed;
	}
	const char *safety_json = fresh ? "null" : cli_cell(&b, 0, 0);
	if (o->out.format == CLI_FMT_JSON) {
		cli_json_envelope(stdout, db);
		fprintf(stdout, ",\"restored\":");
		cli_json_string(stdout, file);
		fprintf(stdout, ",\"verified\":%s,\"safety_backup\":%s}\n", cli_cell(&v, 0, 0),
		        safety_json);
	} else if (!o->out.quiet) {
		if (fresh)
			printf("restored %s into the new database %s\n", file, db->label);
		else
			printf("restored %s (the database before it: %s)\n", file, safety_json);
	}
	cli_restored_log_dir_clear(db, o);
	cli_rows_free(&v);
	cli_rows_free(&b);
	cli_rows_free(&r);
	cli_scratch_release(image);
	cli_restore_unguard(guard);
	if (holding)
		cli_stop_release(&held, true);
	return CLI_OK;
failed:
	cli_rows_free(&v);
	cli_rows_free(&b);
	cli_rows_free(&r);
	cli_scratch_release(image);
	cli_restore_unguard(guard);
	if (holding)
		cli_stop_release(&held, false);
	return CLI_ERROR;
}
