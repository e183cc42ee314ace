/*
 * backup_seal.c — the SQLite module's sealed backups (core/container):
 * sealing a verified copy with the key of the process's environment,
 * reading the sealed file back before it is published, and opening one
 * into a scratch file for the checks. The seal's header carries the same
 * proof of origin as a copy's stamp (the database's path and the path it
 * is published under), which retention reads without the key.
 */
#include "backup/backup.h"
#include "backup_glue.h"
#include "container/container.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool interrupted(void *arg)
{
	dbc_ctx *ctx = arg;
	return ctx->host->interrupted(ctx);
}

static int no_key(dbc_ctx *ctx, const char *why)
{
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "%s", why);
	dbc_error_hint(ctx, "%s", DBC_CONTAINER_KEY_HINT);
	return DBC_ERROR;
}

/* The environment's key; an error when there is none. */
static int env_key(dbc_ctx *ctx, dbc_container_key *key)
{
	dbc_container_err err = {{0}, false};
	if (dbc_container_key_env(key, &err) != 0)
		return no_key(ctx, err.msg);
	if (!key->set)
		return no_key(ctx, "no encryption key: neither " DBC_CONTAINER_KEY_FILE_ENV
		                   " nor " DBC_CONTAINER_KEY_ENV " is set");
	return DBC_OK;
}

/* The origin (core/container: dbc_container_origin_split): this
 * database's identity when it has one, its file, the published path. */
char *sqldbc_seal_origin(dbc_ctx *ctx, const char *path)
{
	char *identity = sqldbc_backup_identity(ctx, sqldbc_call_conn(ctx)->db);
	if (!identity)
		return NULL;
	char *id = sqldbc_book_database_id(ctx);
	if (ctx->failed)
		return NULL;
	return id ? dbc_printf(ctx, DBC_CONTAINER_ORIGIN_ID "%s %s\n%s", id, identity, path)
	          : dbc_printf(ctx, "%s\n%s", identity, path);
}

/* A failed seal's error, in the module's words (core/container decided
 * and said why in err). */
static int seal_failed(dbc_ctx *ctx, dbc_container_seal_step step, const char *path,
                       const dbc_container_err *err)
{
	const char *why = err->msg;
	switch (step) {
	case DBC_SEAL_CREATE:
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not create a file beside %s: %s", path,
		                 why);
	case DBC_SEAL_WRITE:
		if (ctx->host->interrupted(ctx))
			return dbc_error(ctx, DBC_SQLSTATE_CANCELED, "the backup was interrupted");
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not seal the backup copy: %s", why);
	case DBC_SEAL_READ_BACK:
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		                 "the sealed backup does not read back as the verified copy%s%s",
		                 why[0] ? ": " : "", why);
	case DBC_SEAL_NAME:
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not name the backup %s: %s", path,
		                 why);
	default: { /* worded as the plain copy's publish words it: the directory */
		const char *slash = strrchr(path, '/');
		int len = !slash ? 1 : slash == path ? 1 : (int)(slash - path);
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not sync directory %.*s: %s", len,
		                 slash ? path : ".", why);
	}
	}
}

int sqldbc_backup_seal(dbc_ctx *ctx, const char *plain_path, const char *plain_sha256,
                       const char *path, unsigned flags, char **sealed_sha256, int64_t *bytes)
{
	dbc_container_key key = {{0}, false};
	dbc_container_err err = {{0}, false};
	dbc_container_sums made;
	if ((flags & DBC_BACKUP_SEAL_ENCRYPT) && env_key(ctx, &key) != DBC_OK)
		return DBC_ERROR;
	dbc_container_seal_job job = {.plain = plain_path,
	                              .plain_sha256 = plain_sha256,
	                              .path = path,
	                              .flags =
	                                  (flags & DBC_BACKUP_SEAL_ZSTD ? DBC_CONTAINER_ZSTD : 0) |
	                                  (flags & DBC_BACKUP_SEAL_ENCRYPT ? DBC_CONTAINER_ENCRYPT : 0),
	                              .key = &key,
	                              .origin = sqldbc_seal_origin(ctx, path),
	                              .stop = interrupted,
	                              .stop_arg = ctx};
	if (!job.origin)
		return DBC_ERROR;
	dbc_container_seal_step step = dbc_container_seal_file(&job, &made, &err);
	if (step != DBC_SEAL_DONE)
		return seal_failed(ctx, step, path, &err);
	*sealed_sha256 = dbc_strdup(ctx, made.sealed_sha256);
	*bytes = made.sealed_bytes;
	return *sealed_sha256 ? DBC_OK : DBC_ERROR;
}

bool sqldbc_backup_sealed_origin(dbc_ctx *ctx, const char *path, char **origin)
{
	dbc_container_header h;
	if (!dbc_container_sniff(path, &h))
		return false;
	*origin = dbc_strdup(ctx, h.origin);
	return *origin != NULL;
}

/* Whether a catalogued file is this database's, by the rule of
 * core/container (dbc_container_origin_matches): published under its
 * row's path, taken from a database of this one's identity and from this
 * file (a copy of the database, cp app.db r.db, keeps the identity: its
 * backups name app.db, which r.db verifies only when the environment
 * names that origin, DBC_CONTAINER_ALLOW_ORIGIN_ENV). A sealed file's
 * origin is its header's; a plain copy's its own (backup_origin.h), where
 * it names an identity; an incremental's page-set file names none (its
 * chain's full copy does). */
char *sqldbc_backup_origin_mismatch(dbc_ctx *ctx, const char *path, const char *published)
{
	dbc_container_key key = {{0}, false};
	dbc_container_err err = {{0}, false};
	dbc_container_header h;
	char *file = sqldbc_backup_identity(ctx, sqldbc_call_conn(ctx)->db);
	char *plain = NULL;
	const char *origin = NULL;
	if (!file)
		return NULL;
	if (dbc_container_sniff(path, NULL)) {
		/* the header's tag first: what a header that does not authenticate
		 * says (a forged origin) is neither compared nor shown; the opening
		 * that follows every check refuses the file, saying why without it */
		if (dbc_container_key_env(&key, &err) != 0 ||
		    dbc_container_header_read(path, &key, &h, &err) != 0)
			return NULL;
		origin = h.origin;
	} else if (sqldbc_pageset_is(path) || !(origin = plain = sqldbc_plain_origin(path)))
		return NULL; /* a page-set file, or a copy naming no identity: as before */
	char *id = sqldbc_book_database_id(ctx);
	dbc_container_expect want = {.identity = id,
	                             .file = file,
	                             .published = published ? published : path,
	                             .allowed = dbc_container_allowed_origin(),
	                             .plain = plain != NULL};
	char *why = NULL, *out = NULL;
	if (!ctx->failed && !dbc_container_origin_matches(origin, &want, &why))
		out = dbc_strdup(ctx, why ? why : "out of memory");
	free(why);
	free(plain);
	return out;
}

bool sqldbc_backup_sealed_is_own(dbc_ctx *ctx, const char *path, bool *is)
{
	char *origin = NULL, *want = NULL;
	dbc_container_origin got, ours;
	*is = false;
	if (!sqldbc_backup_sealed_origin(ctx, path, &origin))
		return false;
	if (!(want = sqldbc_seal_origin(ctx, path)) || !dbc_container_origin_split(origin, &got) ||
	    !dbc_container_origin_split(want, &ours))
		return true;
	/* the same file and published path; the same identity when the
	 * header names one (a header sealed before identities names none) */
	*is = ours.file[0] && strcmp(got.file, ours.file) == 0 &&
	      strcmp(got.published, ours.published) == 0 &&
	      (!got.identity || (ours.identity && strcmp(got.identity, ours.identity) == 0));
	return true;
}

bool sqldbc_backup_is_sealed(dbc_ctx *ctx, const char *path)
{
	(void)ctx;
	return dbc_container_sniff(path, NULL);
}

/* A sealed file's whole-file SHA-256 (a wrong key on a changed file is
 * the change, not the key). */
static bool changed_since(dbc_ctx *ctx, const char *path, const char *want)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	char hex[DBC_SHA256_HEX_LEN + 1];
	bool ok = dbc_file_sha256(ctx, fd, path, NULL, NULL, hex) == DBC_OK;
	close(fd);
	if (!ok) {
		dbc_error_clear(ctx);
		return false;
	}
	return strcmp(hex, want) != 0;
}

int sqldbc_backup_unseal(dbc_ctx *ctx, const char *path, const char *want_sha256,
                         const char *out_path, char **plain_sha256, bool *key_error)
{
	dbc_container_key key = {{0}, false};
	dbc_container_err err = {{0}, false};
	dbc_container_sums sums;
	*key_error = false;
	if (dbc_container_key_env(&key, &err) != 0) {
		*key_error = true;
		return no_key(ctx, err.msg);
	}
	int in = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "cannot read backup %s: %s", path,
		                 strerror(errno));
	int out = open(out_path,
	               dbc_scratch_open_flags(out_path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW));
	int rc = out >= 0 ? dbc_container_decode(in, out, &key, interrupted, ctx, &sums, &err) : -1;
	if (out < 0)
		snprintf(err.msg, sizeof err.msg, "cannot write %s: %s", out_path, strerror(errno));
	if (rc == 0 && fsync(out) != 0)
		rc = -1, snprintf(err.msg, sizeof err.msg, "could not sync %s", out_path);
	close(in);
	if (out >= 0)
		close(out);
	if (rc != 0 && ctx->host->interrupted(ctx))
		return dbc_error(ctx, DBC_SQLSTATE_CANCELED, "the verification was interrupted");
	if (rc != 0 && err.key && !(want_sha256 && changed_since(ctx, path, want_sha256))) {
		*key_error = true;
		if (!key.set)
			return no_key(ctx, "it is encrypted and no key is set");
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "%s", err.msg);
	}
	if (rc == 0 && want_sha256 && strcmp(sums.sealed_sha256, want_sha256) != 0)
		rc = -1, snprintf(err.msg, sizeof err.msg,
		                  "its content differs from the copy that was verified (the file's "
		                  "SHA-256)");
	else if (rc != 0 && err.key)
		snprintf(err.msg, sizeof err.msg,
		         "its content differs from the copy that was verified (the file's SHA-256)");
	if (rc != 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "backup %s: %s", path, err.msg);
	*plain_sha256 = dbc_strdup(ctx, sums.plain_sha256);
	return *plain_sha256 ? DBC_OK : DBC_ERROR;
}

int sqldbc_backup_sealed_plain_sha256(dbc_ctx *ctx, const char *path, char **plain_sha256)
{
	dbc_container_key key = {{0}, false};
	dbc_container_err err = {{0}, false};
	dbc_container_sums sums;
	if (dbc_container_key_env(&key, &err) != 0)
		return no_key(ctx, err.msg);
	int in = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "cannot read backup %s: %s", path,
		                 strerror(errno));
	int rc = dbc_container_peek(in, &key, &sums, &err);
	close(in);
	if (rc != 0 && err.key) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "the incremental backup builds on %s: %s", path,
		          err.msg);
		dbc_error_hint(ctx, "%s", DBC_CONTAINER_BASE_KEY_HINT);
		return DBC_ERROR;
	}
	if (rc != 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		                 "the incremental backup cannot build on %s: %s", path, err.msg);
	*plain_sha256 = dbc_strdup(ctx, sums.plain_sha256);
	return *plain_sha256 ? DBC_OK : DBC_ERROR;
}
