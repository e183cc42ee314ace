/*
 * backup_chain_files.c — the image a backup file restores to when no
 * catalog names its chain (the database it was taken from is gone, or the
 * file was copied to another machine): the file itself says what it
 * builds on. An incremental's header names its base by the SHA-256 of the
 * base's plain file (a sealed base: the file its seal opens to); the base
 * is the file of the folder whose plain bytes have that SHA-256, and so
 * on back to a full backup. A sealed link is opened with the key into a
 * scratch file without a name.
 *
 * Nothing is trusted by name: a link is the file whose bytes hash to what
 * the next link names, and the chain is applied by the engine's
 * materialize, which checks every incremental against the file before it
 * again. The newest link's own record (an incremental's, from 0.3.9 on)
 * is what the image is then checked against, as a catalog row would be.
 * An error names the backup file of the link that failed, never a
 * scratch file.
 */
#define _XOPEN_SOURCE 700
#include "backup/backup_private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINKS 10000

/* A file of the folder that may be a link: its path and the SHA-256 of
 * its plain bytes (NULL until computed, "" when it is none). */
typedef struct candidate {
	char *path;
	char *plain_sha;
	dev_t dev;
	ino_t ino;
} candidate;

typedef struct chain_walk {
	dbc_ctx *ctx;
	const dbc_backup_hooks *env;
	candidate *c;
	int nc;
	char **plain;   /* each link's plain file, newest first */
	char **shown;   /* each link's backup file, as errors name it */
	char **scratch; /* the scratch files made, released at the end */
	int n, nscratch, cap, cap_scratch;
	bool key_error, key_skipped;
} chain_walk;

static bool starts_with(const char *path, const char *magic, size_t n)
{
	char buf[16];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	bool is = read(fd, buf, n) == (ssize_t)n && memcmp(buf, magic, n) == 0;
	close(fd);
	return is;
}

static int sha256_of(dbc_ctx *ctx, const char *path, char **out)
{
	char hex[DBC_SHA256_HEX_LEN + 1];
	if (dbc_path_sha256(ctx, path, O_NOFOLLOW, dbc_printf(ctx, "backup %s", path), NULL, NULL,
	                    hex) != DBC_OK)
		return DBC_ERROR;
	return (*out = dbc_strdup(ctx, hex)) ? DBC_OK : DBC_ERROR;
}

/* The regular files of dir (links are not followed), file itself and
 * temporary copies ("<name>.tmp-XXXXXX") left out. */
static int list_folder(chain_walk *w, const char *dir, const char *file)
{
	struct stat self;
	if (stat(file, &self) != 0)
		return dbc_error(w->ctx, DBC_SQLSTATE_BAD_ARGUMENT, "cannot read backup %s: %s", file,
		                 strerror(errno));
	DIR *d = opendir(dir);
	if (!d)
		return dbc_error(w->ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "cannot read the folder %s to find the chain of %s: %s", dir, file,
		                 strerror(errno));
	int cap = 0, rc = DBC_OK;
	for (struct dirent *e; rc == DBC_OK && (e = readdir(d));) {
		struct stat st;
		char *p = dbc_printf(w->ctx, "%s/%s", dir, e->d_name);
		if (!p) {
			rc = DBC_ERROR;
			break;
		}
		if (strstr(e->d_name, ".tmp-") || lstat(p, &st) != 0 || !S_ISREG(st.st_mode) ||
		    (st.st_dev == self.st_dev && st.st_ino == self.st_ino))
			continue;
		rc = dbc_grow(w->ctx, &w->c, w->nc, &cap, sizeof(candidate), 16);
		if (rc == DBC_OK)
			w->c[w->nc++] = (candidate){.path = p, .dev = st.st_dev, .ino = st.st_ino};
	}
	closedir(d);
	return rc;
}

/* The SHA-256 of c's plain bytes: a sealed file's end record says it (read
 * with the key: a file sealed with another key is no link, noted); a
 * database or page-set file is hashed; anything else is none (""). */
static const char *plain_sha_of(chain_walk *w, candidate *c)
{
	if (c->plain_sha)
		return c->plain_sha;
	const dbc_backup_hooks *env = w->env;
	char *sha = NULL;
	if (env->is_sealed && env->is_sealed(w->ctx, c->path)) {
		if (!env->sealed_plain_sha256 ||
		    env->sealed_plain_sha256(w->ctx, c->path, &sha) != DBC_OK) {
			dbc_error_clear(w->ctx);
			w->key_skipped = true;
			sha = NULL;
		}
	} else if (starts_with(c->path, "SQLite format 3", 16) ||
	           (env->pageset_base && env->pageset_base(w->ctx, c->path, NULL))) {
		if (sha256_of(w->ctx, c->path, &sha) != DBC_OK)
			return NULL;
	}
	c->plain_sha = sha ? sha : "";
	return c->plain_sha;
}

/* Adds a link: file (a backup file of the folder) as plain bytes. */
static int add_link(chain_walk *w, const char *file)
{
	char *plain = (char *)file;
	if (w->env->is_sealed && w->env->is_sealed(w->ctx, file)) {
		char *tmp = NULL, *sha = NULL;
		if (dbc_grow(w->ctx, &w->scratch, w->nscratch, &w->cap_scratch, sizeof(char *), 8) !=
		        DBC_OK ||
		    dbc_backup_make_scratch(w->ctx, w->env, file, &tmp) != DBC_OK)
			return DBC_ERROR;
		w->scratch[w->nscratch++] = tmp;
		if (!w->env->unseal ||
		    w->env->unseal(w->ctx, file, NULL, tmp, &sha, &w->key_error) != DBC_OK)
			return w->env->unseal ? DBC_ERROR
			                      : dbc_error(w->ctx, DBC_SQLSTATE_BAD_STATE,
			                                  "this engine reads no sealed backups");
		plain = tmp;
	}
	int cap = w->cap;
	if (dbc_grow(w->ctx, &w->plain, w->n, &cap, sizeof(char *), 8) != DBC_OK ||
	    dbc_grow(w->ctx, &w->shown, w->n, &w->cap, sizeof(char *), 8) != DBC_OK)
		return DBC_ERROR;
	w->plain[w->n] = plain;
	w->shown[w->n] = (char *)file;
	w->n++;
	return DBC_OK;
}

/* The file of the folder whose plain bytes hash to sha (NULL: none, no
 * error; an error set: a file could not be read). */
static const char *find_base(chain_walk *w, const char *sha)
{
	for (int i = 0; i < w->nc; i++) {
		const char *s = plain_sha_of(w, &w->c[i]);
		if (!s)
			return NULL;
		if (strcmp(s, sha) == 0)
			return w->c[i].path;
	}
	return NULL;
}

/* The backups of the folder a missing link may be, changed since: plain
 * files that are backups, no link of this chain, and that no backup of the
 * folder builds on (a chain's newest file, not its base). ", "-separated;
 * "" when none. Called after find_base looked at every file. */
static const char *unclaimed_backups(chain_walk *w)
{
	dbc_buf b;
	dbc_buf_init(&b, w->ctx);
	int shown = 0;
	for (int i = 0; i < w->nc && shown < 5; i++) {
		const char *sha = w->c[i].plain_sha;
		if (!sha || !*sha)
			continue; /* no backup, or a link of this chain */
		bool claimed = false;
		for (int j = 0; j < w->nc && !claimed; j++) {
			char *base = NULL;
			claimed = j != i && w->env->pageset_base(w->ctx, w->c[j].path, &base) && base &&
			          strcmp(base, sha) == 0;
		}
		if (claimed)
			continue;
		if (shown++)
			dbc_buf_append(&b, ", ");
		dbc_buf_append(&b, w->c[i].path);
	}
	const char *list = dbc_buf_finish(&b);
	return list ? list : "";
}

void dbc_backup_error_names(dbc_ctx *ctx, const char *scratch, const char *file)
{
	const char *at;
	if (!ctx->message || scratch == file || !(at = strstr(ctx->message, scratch)))
		return;
	char *m = dbc_printf(ctx, "%.*s%s%s", (int)(at - ctx->message), ctx->message, file,
	                     at + strlen(scratch));
	if (m)
		ctx->message = m;
}

static int walk(chain_walk *w, const char *path, const char *dir)
{
	const dbc_backup_hooks *env = w->env;
	if (add_link(w, path) != DBC_OK)
		return DBC_ERROR;
	bool listed = false;
	for (char *base = NULL; env->pageset_base(w->ctx, w->plain[w->n - 1], &base);) {
		if (w->n >= MAX_LINKS)
			return dbc_error(w->ctx, DBC_SQLSTATE_BAD_STATE,
			                 "the chain of %s is longer than %d backups (a loop?)", path,
			                 MAX_LINKS);
		if (!base)
			return dbc_error(w->ctx, DBC_SQLSTATE_BAD_STATE,
			                 "backup %s: its header is damaged (it names no base)",
			                 w->shown[w->n - 1]);
		if (!listed && list_folder(w, dir, path) != DBC_OK)
			return DBC_ERROR;
		listed = true;
		const char *found = find_base(w, base);
		if (!found && !w->ctx->failed) {
			const char *maybe = unclaimed_backups(w);
			dbc_error(w->ctx, DBC_SQLSTATE_BAD_STATE,
			          "backup %s builds on a file whose SHA-256 is %s, and no file in %s is "
			          "that file%s%s%s%s",
			          w->shown[w->n - 1], base, dir,
			          w->key_skipped ? " (some sealed files there do not open with this key)" : "",
			          *maybe ? ": missing, or changed since (backups there that nothing builds "
			                   "on: "
			                 : "",
			          maybe, *maybe ? ")" : "");
			dbc_error_hint(w->ctx, "Put the chain's files (the full backup and every "
			                       "incremental after it) in one folder, or name it with --from; "
			                       "a changed file is damaged: restore from an older chain.");
		}
		if (!found)
			return DBC_ERROR;
		/* a link is used once: no loop */
		for (int i = 0; i < w->nc; i++)
			if (w->c[i].path == found)
				w->c[i].plain_sha = "";
		if (add_link(w, found) != DBC_OK)
			return DBC_ERROR;
	}
	return w->ctx->failed ? DBC_ERROR : DBC_OK;
}

int dbc_backup_open_files(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path,
                          const char *dir, const char *out, bool *key_error, int *links,
                          char **record)
{
	chain_walk w = {.ctx = ctx, .env = env};
	*key_error = false;
	*links = 0;
	*record = NULL;
	if (!env->materialize || !env->pageset_base)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "this engine reads no incremental backups");
	char *folder = (char *)dir;
	if (!folder) {
		const char *slash = strrchr(path, '/');
		folder = !slash          ? "."
		         : slash == path ? "/"
		                         : dbc_printf(ctx, "%.*s", (int)(slash - path), path);
		if (!folder)
			return DBC_ERROR;
	}
	int rc = walk(&w, path, folder);
	/* what the newest link says of the image its chain gives */
	if (rc == DBC_OK && env->pageset_record && !env->pageset_record(ctx, w.plain[0], record))
		*record = NULL;
	if (rc == DBC_OK) {
		/* oldest first, as materialize applies them */
		for (int i = 0, k = w.n - 1; i < k; i++, k--) {
			char *t = w.plain[i];
			w.plain[i] = w.plain[k], w.plain[k] = t;
			t = w.shown[i];
			w.shown[i] = w.shown[k], w.shown[k] = t;
		}
		const char **none = dbc_zalloc(ctx, sizeof(char *) * (size_t)w.n);
		rc = none ? env->materialize(ctx, (const char *const *)w.plain, none, w.n, out) : DBC_ERROR;
	}
	/* an error names the link, never a descriptor */
	for (int i = 0; rc != DBC_OK && i < w.n; i++)
		dbc_backup_error_names(ctx, w.plain[i], w.shown[i]);
	*key_error = w.key_error;
	*links = w.n;
	dbc_backup_scratch_remove(ctx, env, w.scratch, w.nscratch);
	return rc;
}
