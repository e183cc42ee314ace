/*
 * backup_chain.c — incremental backups in the catalog: the base a new
 * incremental builds on, and the chain a catalogued backup restores from
 * (its row, its base's, ... back to a full backup), each link with the
 * file SHA-256 its row records.
 */
#include "backup/backup_private.h"

#include <string.h>

static int take_base(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	dbc_backup_base *b = arg;
	if (ncol < 3 || c[0].type != DBC_INT || c[1].type != DBC_TEXT || c[2].type != DBC_TEXT)
		return DBC_OK;
	b->id = c[0].i;
	b->path = dbc_strdup(ctx, c[1].s);
	b->file_sha256 = dbc_strdup(ctx, c[2].s);
	b->fingerprint = ncol > 3 && c[3].type == DBC_TEXT ? dbc_strdup(ctx, c[3].s) : NULL;
	/* its content record (a row edited by hand reads as none) */
	if (ncol > 4 && c[4].type == DBC_TEXT)
		b->table = dbc_backup_content_parse(ctx, c[4].s, &b->tables, &b->content_version);
	return b->path && b->file_sha256 ? DBC_OK : DBC_ERROR;
}

int dbc_backup_find_base(dbc_ctx *ctx, const dbc_backup_hooks *env, dbc_backup_base *base)
{
	bool exists;
	memset(base, 0, sizeof *base);
	if (dbc_backup_catalog_present(ctx, env, &exists) != DBC_OK)
		return DBC_ERROR;
	char *sql =
	    exists ? dbc_printf(ctx,
	                        "SELECT id, path, sha256, fingerprint%s FROM %sbackups WHERE kind = "
	                        "'" DBC_BACKUP_KIND_FILE "' AND status = 'verified'"
	                        " AND page_hashes IS NOT NULL AND sha256 IS NOT NULL"
	                        " ORDER BY id DESC LIMIT 1",
	                        env->records_content && env->records_content(ctx) ? ", content" : "",
	                        ctx->host->book_prefix)
	           : NULL;
	if (exists && (!sql || ctx->host->query(ctx, sql, 0, NULL, take_base, base) != DBC_OK))
		return DBC_ERROR;
	if (base->id == 0 || (env->exists && !env->exists(ctx, base->path))) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "no verified backup to build an incremental one on");
		dbc_error_hint(ctx, "Take a full backup first: SELECT dbbackup_create();");
		return DBC_ERROR;
	}
	/* a sealed base: the new backup names the plain file it opens to (its
	 * end record's SHA-256, read with the key), what a restore applies
	 * its pages over */
	if (env->is_sealed && env->is_sealed(ctx, base->path))
		return env->sealed_plain_sha256(ctx, base->path, &base->file_sha256);
	return DBC_OK;
}

typedef struct link_row {
	int64_t id, base_id;
	char *path, *sha256;
	bool found;
} link_row;

static int take_link(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	link_row *l = arg;
	if (ncol != 3)
		return DBC_OK;
	l->found = true;
	l->path = dbc_strdup(ctx, c[0].s);
	l->sha256 = c[1].type == DBC_TEXT ? dbc_strdup(ctx, c[1].s) : NULL;
	l->base_id = c[2].type == DBC_INT ? c[2].i : 0;
	return l->path ? DBC_OK : DBC_ERROR;
}

#define MAX_CHAIN 10000

int dbc_backup_chain(dbc_ctx *ctx, int64_t id, dbc_backup_chain_t *chain)
{
	memset(chain, 0, sizeof *chain);
	char *sql = dbc_printf(ctx, "SELECT path, sha256, base_id FROM %sbackups WHERE id = $1",
	                       ctx->host->book_prefix);
	if (!sql)
		return DBC_ERROR;
	int cap = 0, cap_sha = 0;
	/* newest first while walking; reversed below */
	for (int64_t next = id; next != 0;) {
		if (chain->n >= MAX_CHAIN)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
			                 "the chain of backup %lld is longer than %d backups (a loop?)",
			                 (long long)id, MAX_CHAIN);
		link_row l = {.id = next};
		dbc_value p = dbc_int(next);
		if (ctx->host->query(ctx, sql, 1, &p, take_link, &l) != DBC_OK)
			return DBC_ERROR;
		if (!l.found)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
			                 "backup %lld builds on backup %lld, which the catalog no longer has",
			                 (long long)id, (long long)next);
		if (dbc_grow(ctx, &chain->path, chain->n, &cap, sizeof(char *), 8) != DBC_OK ||
		    dbc_grow(ctx, &chain->sha256, chain->n, &cap_sha, sizeof(char *), 8) != DBC_OK)
			return DBC_ERROR;
		chain->path[chain->n] = l.path;
		chain->sha256[chain->n] = l.sha256;
		chain->n++;
		next = l.base_id;
	}
	for (int i = 0, k = chain->n - 1; i < k; i++, k--) {
		char *t = chain->path[i];
		chain->path[i] = chain->path[k];
		chain->path[k] = t;
		t = chain->sha256[i];
		chain->sha256[i] = chain->sha256[k];
		chain->sha256[k] = t;
	}
	return DBC_OK;
}
