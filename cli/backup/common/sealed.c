/*
 * sealed.c — the command's sealed backups (core/container): the key of
 * --encrypt-key-file, handed to the SQLite module in this process through
 * the environment variable it reads (DBCARE_BACKUP_KEY_FILE), never
 * through SQL text; and for PostgreSQL dumps, a dump sealed into its
 * final name and opened again into a scratch file for verification.
 *
 * A sealed file is made by core/container's one seal
 * (dbc_container_seal_file: sealed beside its target in a file without a
 * name, synced, read back and opened to the dump's bytes, then linked,
 * never over a file); this file supplies the key, the origin and the
 * words of its errors. The plain bytes (a dump before it is sealed,
 * a sealed file opened for its checks or a restore) live only in scratch
 * files without a name (core/container, "scratch files"), inherited by
 * the pg_dump and pg_restore this command runs: a kill -9 at any point
 * leaves none of them on disk.
 */
#include "sealed.h"
#include "cli/common/files.h"
#include "cli/backup/common/stop_cleanup.h"

#include "base/sha256.h"
#include "container/container.h"
#include "sqlite/pitr/pitr.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_allow_origin_option(const cli_opts *o)
{
	/* the option alone names it: never one left in the environment */
	int rc = o->old_origin ? setenv(DBC_CONTAINER_ALLOW_ORIGIN_ENV, o->old_origin, 1)
	                       : unsetenv(DBC_CONTAINER_ALLOW_ORIGIN_ENV);
	if (rc != 0)
		cli_errorf("out of memory");
	return rc;
}

int cli_key_option(cli_opts *o)
{
	if (!o->key_file)
		return 0;
	char abs[PATH_MAX];
	dbc_container_key key;
	dbc_container_err err = {{0}, false};
	if (!realpath(o->key_file, abs)) {
		cli_errorf("cannot read the key file %s: %s", o->key_file, strerror(errno));
		return -1;
	}
	if (dbc_container_key_file(abs, &key, &err) != 0) {
		cli_errorf("%s", err.msg);
		return -1;
	}
	/* the module in this process reads the key from there; a key given
	 * as DBCARE_BACKUP_KEY would be read after it: it goes */
	if (setenv(DBC_CONTAINER_KEY_FILE_ENV, abs, 1) != 0 || unsetenv(DBC_CONTAINER_KEY_ENV) != 0) {
		cli_errorf("out of memory");
		return -1;
	}
	return 0;
}

bool cli_is_sealed(const char *path)
{
	return dbc_container_sniff(path, NULL);
}

static int env_key(dbc_container_key *key, bool needed)
{
	dbc_container_err err = {{0}, false};
	if (dbc_container_key_env(key, &err) != 0) {
		cli_errorf("%s", err.msg);
		return -1;
	}
	if (needed && !key->set) {
		cli_errorf(
		    "no encryption key: give --encrypt-key-file FILE (or set " DBC_CONTAINER_KEY_FILE_ENV
		    " or " DBC_CONTAINER_KEY_ENV ")");
		return -1;
	}
	return 0;
}

/* A failed seal in the command's words (core/container decided and said
 * why in err). */
static void seal_failed(dbc_container_seal_step step, const char *path,
                        const dbc_container_err *err)
{
	const char *why = err->msg;
	switch (step) {
	case DBC_SEAL_CREATE:
	case DBC_SEAL_WRITE:
		cli_errorf("cannot seal %s: %s", path, why);
		break;
	case DBC_SEAL_READ_BACK:
		cli_errorf("the sealed %s does not read back as the dump%s%s", path, why[0] ? ": " : "",
		           why);
		break;
	case DBC_SEAL_NAME:
		cli_errorf("cannot name the sealed dump %s: %s", path, why);
		break;
	default:
		cli_errorf("cannot sync the directory of the sealed dump %s: %s", path, why);
	}
}

/* the sealed file named and made the stop cleanup's in one step */
static int tracked_link(const char *tmp, const char *path, void *arg)
{
	(void)arg;
	return cli_stop_link(CLI_STOP_BACKUP_FILE, dbc_scratch_link, tmp, path);
}

/* plain sealed as path by core/container's one seal, with the
 * environment's key (--encrypt-key-file put it there) and origin; tracked:
 * its name the stop cleanup's from the link on (cli_seal_dump). */
static int seal(const char *plain, const char *path, const char *origin, bool zstd, bool encrypt,
                bool tracked, char sha[65], long long *bytes)
{
	dbc_container_key key = {{0}, false};
	dbc_container_err err = {{0}, false};
	dbc_container_sums made;
	char plain_sha[65];
	if (env_key(&key, encrypt) != 0)
		return -1;
	if (dbc_path_sha256_errno(cli_text_host(), plain, 0, NULL, NULL, plain_sha) != 0) {
		cli_errorf("cannot seal %s: %s", path, strerror(errno));
		return -1;
	}
	dbc_container_seal_job job = {.plain = plain,
	                              .plain_sha256 = plain_sha,
	                              .path = path,
	                              .flags = (zstd ? DBC_CONTAINER_ZSTD : 0) |
	                                       (encrypt ? DBC_CONTAINER_ENCRYPT : 0),
	                              .key = &key,
	                              .origin = origin,
	                              .link = tracked ? tracked_link : NULL};
	dbc_container_seal_step step = dbc_container_seal_file(&job, &made, &err);
	if (step != DBC_SEAL_DONE) {
		seal_failed(step, path, &err);
		return -1;
	}
	memcpy(sha, made.sealed_sha256, 65);
	*bytes = made.sealed_bytes;
	return 0;
}

int cli_seal_file(const char *plain, const char *path, bool zstd, bool encrypt, char sha[65],
                  long long *bytes)
{
	return seal(plain, path, path, zstd, encrypt, false, sha, bytes);
}

int cli_seal_dump(const char *plain, const char *path, const char *database, const char *identity,
                  bool zstd, bool encrypt, char sha[65], long long *bytes)
{
	char *target = cli_resolved_path(path), *origin = NULL;
	int made = !target    ? -1
	           : identity ? asprintf(&origin, DBC_CONTAINER_ORIGIN_ID "%s %s\n%s", identity,
	                                 database, target)
	                      : asprintf(&origin, "%s\n%s", database, target);
	if (made < 0 || strlen(origin) > DBC_CONTAINER_ORIGIN_MAX) {
		if (made >= 0)
			free(origin);
		origin = NULL; /* too long for the header: the path alone, as before */
	}
	int rc = seal(plain, path, origin ? origin : path, zstd, encrypt, true, sha, bytes);
	free(target);
	free(origin);
	return rc;
}

int cli_pg_database_identity(cli_db *db, cli_opts *o, char **identity)
{
	cli_rows r = {0};
	*identity = NULL;
	/* an extension older than 0.3.9 has none: its dumps name none */
	if (cli_q(db, o, "SELECT to_regprocedure('dbbackup_identity()')::text", 0, NULL, &r) != 0)
		return -1;
	bool has = cli_cell(&r, 0, 0) != NULL;
	cli_rows_free(&r);
	if (!has)
		return 0;
	if (cli_q(db, o, "SELECT dbbackup_identity()", 0, NULL, &r) != 0)
		return -1;
	if (r.nrows == 1 && cli_cell(&r, 0, 0) && !(*identity = strdup(cli_cell(&r, 0, 0)))) {
		cli_rows_free(&r);
		cli_errorf("out of memory");
		return -1;
	}
	cli_rows_free(&r);
	return 0;
}

/* The rule is core/container's (dbc_container_origin_mismatch); a
 * message it could not allocate is still a refusal. The header's tag is
 * checked first (with the key of --encrypt-key-file or the environment):
 * the origin of a header that does not authenticate is neither compared
 * nor printed; the opening that follows refuses the file, saying why
 * without it. */
static char *mismatch(const char *path, const dbc_container_expect *want)
{
	dbc_container_key key = {{0}, false};
	dbc_container_err err = {{0}, false};
	dbc_container_header h;
	if (dbc_container_key_env(&key, &err) != 0 ||
	    dbc_container_header_read(path, &key, &h, &err) != 0)
		return NULL;
	char *why = NULL;
	if (dbc_container_origin_matches(h.origin, want, &why))
		return NULL;
	return why ? why : strdup("out of memory");
}

/* What a dump of the catalog row row_path of this database (its identity,
 * NULL: none; its name) must name. */
static dbc_container_expect dump_expect(const char *row_path, const char *identity,
                                        const char *database)
{
	/* a dump sealed by 0.3.8 names no published path: nothing to compare */
	return (dbc_container_expect){.identity = identity,
	                              .file = database,
	                              .published = row_path,
	                              .allowed = dbc_container_allowed_origin(),
	                              .kind = "dump",
	                              .pathless_ok = true};
}

char *cli_sealed_origin_mismatch(const char *path, const char *row_path, const char *identity,
                                 const char *database)
{
	dbc_container_expect want = dump_expect(row_path, identity, database);
	return mismatch(path, &want);
}

char *cli_plain_dump_mismatch(const char *origin, const char *row_path, const char *identity,
                              const char *database)
{
	dbc_container_expect want = dump_expect(row_path, identity, database);
	char *why = NULL;
	want.plain = true;
	if (dbc_container_origin_matches(origin, &want, &why))
		return NULL;
	return why ? why : strdup("out of memory");
}

char *cli_target_mismatch(const char *path, const char *target_id, const char *target_file)
{
	/* the file as an origin names it: its canonical path */
	char *real = target_file ? realpath(target_file, NULL) : NULL;
	dbc_container_expect want = {.identity = target_id,
	                             .file = real ? real : target_file,
	                             .allowed = dbc_container_allowed_origin(),
	                             .subject = path,
	                             .pathless_ok = true};
	char *why = NULL, *out = NULL;
	if (cli_is_sealed(path))
		why = mismatch(path, &want);
	else {
		/* a plain copy's own origin, where it names an identity (a
		 * page-set file, an incremental, names none: its chain's full
		 * copy is checked by the module's verification) */
		char *origin = sqldbc_plain_origin(path);
		want.plain = true;
		if (origin && !dbc_container_origin_matches(origin, &want, &why) && !why)
			why = strdup("out of memory");
		free(origin);
	}
	free(real);
	if (!why || asprintf(&out, "%s: nothing restored; restore it into a new file (--db sqlite:NEW)",
	                     why) < 0)
		return why; /* without the advice: still a refusal */
	free(why);
	return out;
}

char *cli_scratch_beside(const char *near)
{
	char buf[DBC_SCRATCH_PATH_MAX];
	if (dbc_scratch_create(near, true, buf) != 0) {
		cli_errorf("cannot make a scratch file beside %s: %s", near, strerror(errno));
		return NULL;
	}
	char *out = strdup(buf);
	if (!out) {
		dbc_scratch_close(buf);
		cli_errorf("out of memory");
	}
	return out;
}

void cli_scratch_release(char *path)
{
	if (path && dbc_scratch_close(path) != 0)
		unlink(path); /* not a scratch file: a named one of the caller's */
	free(path);
}

char *cli_unseal_to_temp(const char *path, char **why)
{
	dbc_container_key key = {{0}, false};
	dbc_container_err err = {{0}, false};
	dbc_container_sums sums;
	*why = NULL;
	if (env_key(&key, false) != 0)
		return NULL;
	const char *tmpdir = getenv("TMPDIR");
	char *near = NULL;
	if (asprintf(&near, "%s/dbcare-opened", tmpdir && tmpdir[0] ? tmpdir : "/tmp") < 0)
		return NULL;
	char *tmp = cli_scratch_beside(near);
	free(near);
	if (!tmp)
		return NULL;
	int out = open(tmp, O_WRONLY | O_CLOEXEC), in = open(path, O_RDONLY | O_CLOEXEC);
	int rc = out >= 0 && in >= 0 ? dbc_container_decode(in, out, &key, NULL, NULL, &sums, &err)
	                             : (snprintf(err.msg, sizeof err.msg, "%s", strerror(errno)), -1);
	if (out >= 0)
		close(out);
	if (in >= 0)
		close(in);
	if (rc != 0) {
		cli_scratch_release(tmp);
		if (err.key) /* a missing or wrong key says nothing about the file */
			cli_errorf("%s: %s (give the key with --encrypt-key-file FILE)", path, err.msg);
		else
			*why = strdup(err.msg);
		return NULL;
	}
	return tmp;
}
