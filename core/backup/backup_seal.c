/*
 * backup_seal.c — compressed and encrypted backups: the method text, the
 * publication of a verified copy as a sealed file, and the opening of a
 * sealed file (or of a chain's sealed links) into scratch files that the
 * usual checks then read. The seal itself (sealed beside the name, read
 * back and opened to the verified copy's bytes, then published) is
 * core/container's one seal, dbc_container_seal_file, which the engine's
 * hook calls with its key and origin (the PostgreSQL module links no
 * core/container); what is decided here: only a verified copy is sealed,
 * the catalog keeps the SHA-256 of what is on disk, and a key never comes
 * from SQL text.
 */
#include "backup/backup_private.h"

#include <ctype.h>
#include <string.h>

/* A word of a method that could be key material: a key=..., or a long run
 * of hex digits or base64. */
static bool looks_like_key(const char *w, size_t n)
{
	if (n >= 3 && strncmp(w, "key", 3) == 0)
		return true;
	size_t run = 0;
	for (size_t i = 0; i < n; i++)
		run = isalnum((unsigned char)w[i]) || w[i] == '/' || w[i] == '=' ? run + 1 : 0;
	return run >= 32;
}

/* The words of text: a kind (full, incremental) where kind is not NULL,
 * and the seal's words (zstd, encrypt); anything else is *bad. */
static int parse_words(dbc_ctx *ctx, const char *text, bool *kind, bool *incremental,
                       unsigned *seal, bool *bad)
{
	*bad = false;
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "+, ");
		if (looks_like_key(p, n)) {
			dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			          "an encryption key is never taken from SQL text: ask for \"+encrypt\" and "
			          "give the key in the environment of the process (DBCARE_BACKUP_KEY_FILE, "
			          "a key file's path, or DBCARE_BACKUP_KEY)");
			dbc_error_hint(ctx, "See docs/backups.md, \"Compressed and encrypted backups\".");
			return DBC_ERROR;
		}
		if (kind && n == 4 && strncmp(p, "full", 4) == 0 && !*kind)
			*kind = true;
		else if (kind && n == 11 && strncmp(p, "incremental", 11) == 0 && !*kind)
			*kind = *incremental = true;
		else if (n == 4 && strncmp(p, "zstd", 4) == 0)
			*seal |= DBC_BACKUP_SEAL_ZSTD;
		else if (n == 7 && strncmp(p, "encrypt", 7) == 0)
			*seal |= DBC_BACKUP_SEAL_ENCRYPT;
		else if (n > 0)
			*bad = true;
		p += n;
		p += strspn(p, "+, ");
	}
	return DBC_OK;
}

int dbc_backup_parse_method(dbc_ctx *ctx, const char *method, bool *incremental, unsigned *seal)
{
	*incremental = false;
	*seal = 0;
	bool kind = false, bad;
	if (parse_words(ctx, method, &kind, incremental, seal, &bad) != DBC_OK)
		return DBC_ERROR;
	if (bad)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "backup method must be full or incremental, optionally with +zstd "
		                 "and +encrypt, not \"%s\"",
		                 method);
	if (!kind)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "backup method must be full or incremental, not \"%s\"", method);
	return DBC_OK;
}

int dbc_backup_parse_seal(dbc_ctx *ctx, const char *text, unsigned *seal)
{
	bool bad;
	*seal = 0;
	if (parse_words(ctx, text, NULL, NULL, seal, &bad) != DBC_OK)
		return DBC_ERROR;
	if (bad || !*seal)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "a seal is zstd, encrypt or both (\"zstd+encrypt\"), not \"%s\"", text);
	return DBC_OK;
}

const char *dbc_backup_method_text(bool incremental, unsigned seal)
{
	static const char *const text[2][4] = {
	    {"full", "full+zstd", "full+encrypt", "full+zstd+encrypt"},
	    {"incremental", "incremental+zstd", "incremental+encrypt", "incremental+zstd+encrypt"}};
	return text[incremental ? 1 : 0][seal & 3];
}

int dbc_backup_publish(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *tmp, const char *path,
                       unsigned seal, dbc_backup_image *copy)
{
	if (!seal)
		return env->publish(ctx, tmp, path);
	if (!env->seal)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "this engine makes no sealed backups");
	if (!copy->file_sha256)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "the copy to seal has no file SHA-256");
	char *sealed_sha = NULL;
	int64_t bytes = 0;
	/* sealed, read back and published, or nothing at path */
	if (env->seal(ctx, tmp, copy->file_sha256, path, seal, &sealed_sha, &bytes) != DBC_OK)
		return DBC_ERROR;
	/* the plain copy (verified, sealed and read back) is released by
	 * the backup flow (backup_tool.c) once the sealed file has its name */
	copy->file_sha256 = sealed_sha;
	copy->bytes = bytes;
	copy->seal = seal;
	return DBC_OK;
}

int dbc_backup_unseal(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path, const char *want,
                      const char *out, bool *key_error)
{
	char *plain = NULL;
	*key_error = false;
	if (!env->unseal)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "this engine reads no sealed backups");
	return env->unseal(ctx, path, want, out, &plain, key_error);
}

int dbc_backup_unseal_chain(dbc_ctx *ctx, const dbc_backup_hooks *env, dbc_backup_chain_t *chain,
                            char ***scratch, int *nscratch, bool *key_error)
{
	*scratch = NULL;
	*nscratch = 0;
	*key_error = false;
	int cap = 0;
	for (int i = 0; i < chain->n; i++) {
		/* every link is the one its row names, sealed or plain */
		if (dbc_backup_check_origin_as(ctx, env, chain->path[i],
		                               chain->published ? chain->published[i] : NULL) != DBC_OK)
			return DBC_ERROR;
		if (!env->is_sealed || !env->is_sealed(ctx, chain->path[i]))
			continue;
		char *tmp = NULL, *plain = NULL;
		if (dbc_grow(ctx, scratch, *nscratch, &cap, sizeof(char *), 8) != DBC_OK ||
		    dbc_backup_make_scratch(ctx, env, chain->path[i], &tmp) != DBC_OK)
			return DBC_ERROR;
		(*scratch)[(*nscratch)++] = tmp;
		if (!env->unseal ||
		    env->unseal(ctx, chain->path[i], chain->sha256[i], tmp, &plain, key_error) != DBC_OK)
			return env->unseal ? DBC_ERROR
			                   : dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
			                               "this engine reads no sealed backups");
		chain->path[i] = tmp;
		chain->sha256[i] = plain;
	}
	return DBC_OK;
}

int dbc_backup_check_origin(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path)
{
	return dbc_backup_check_origin_as(ctx, env, path, NULL);
}

int dbc_backup_check_origin_as(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path,
                               const char *published)
{
	char *why = env->origin_mismatch ? env->origin_mismatch(ctx, path, published) : NULL;
	if (ctx->failed)
		return DBC_ERROR;
	return why ? dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "backup %s: %s", path, why) : DBC_OK;
}

int dbc_backup_make_scratch(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path,
                            char **scratch_path)
{
	return env->make_scratch ? env->make_scratch(ctx, path, scratch_path)
	                         : env->make_temp(ctx, path, scratch_path);
}

void dbc_backup_scratch_remove(dbc_ctx *ctx, const dbc_backup_hooks *env, char **scratch, int n)
{
	bool existed, failed = ctx->failed; /* an error already set wins */
	for (int i = 0; i < n; i++)
		if (env->remove(ctx, scratch[i], &existed) != DBC_OK && !failed)
			dbc_error_clear(ctx);
}
