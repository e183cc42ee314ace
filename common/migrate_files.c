/*
 * migrate_files.c — dbmigrate_load: reads a directory of migration files,
 * checks every name, pairing and script first, and registers all of them or,
 * when anything is wrong, none, with every bad file listed in one error.
 */
#include "migrate.h"
#include "migrate_checksum.h"
#include "migrate_files.h"
#include "migrate_script.h"
#include "migrate_store.h"
#include "migrate_text.h"
#include "migrate_version.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE_BYTES (64L * 1024 * 1024)

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static char *spaced(dbc_ctx *ctx, const char *s, size_t n)
{
	char *out = dbc_strndup(ctx, s, n);
	for (char *p = out; p && *p; p++)
		if (*p == '_')
			*p = ' ';
	return out;
}

bool dbc_mig_parse_filename(dbc_ctx *ctx, const char *file, dbc_mig_file *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	out->file = dbc_strdup(ctx, file);
	*why = "matches neither V<version>__<name>.sql, U<version>__<name>.sql, R__<name>.sql nor "
	       "<version>_<name>.up.sql / .down.sql";
	if (!ends_with(file, ".sql"))
		return false;
	size_t len = strlen(file) - 4;
	/* golang-migrate first: it starts with a digit */
	if (file[0] >= '0' && file[0] <= '9') {
		bool up = ends_with(file, ".up.sql"), down = ends_with(file, ".down.sql");
		if (!up && !down)
			return false;
		size_t stem = strlen(file) - (up ? 7 : 9);
		const char *us = memchr(file, '_', stem);
		if (!us || us + 1 >= file + stem)
			return false;
		out->version = dbc_strndup(ctx, file, (size_t)(us - file));
		if (!dbc_version_valid(out->version)) {
			*why = "the version before the first '_' is not a valid version";
			return false;
		}
		out->kind = up ? DBC_FILE_UP : DBC_FILE_DOWN;
		out->name = spaced(ctx, us + 1, (size_t)(file + stem - us - 1));
		return true;
	}
	if (file[0] == 'R' && strncmp(file, "R__", 3) == 0) {
		if (len <= 3)
			return false;
		out->kind = DBC_FILE_REPEATABLE;
		out->name = spaced(ctx, file + 3, len - 3);
		return true;
	}
	if (file[0] == 'V' || file[0] == 'U') {
		const char *sep = strstr(file + 1, "__");
		if (!sep || sep >= file + len)
			return false;
		out->version = dbc_strndup(ctx, file + 1, (size_t)(sep - file - 1));
		if (!dbc_version_valid(out->version)) {
			*why = "the version between the prefix and \"__\" is not a valid version";
			return false;
		}
		if (sep + 2 >= file + len) {
			*why = "the name after \"__\" is empty";
			return false;
		}
		out->kind = file[0] == 'V' ? DBC_FILE_UP : DBC_FILE_DOWN;
		out->name = spaced(ctx, sep + 2, (size_t)(file + len - sep - 2));
		return true;
	}
	return false;
}

static bool valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		size_t extra;
		if (c == 0)
			return false;
		if (c < 0x80)
			extra = 0;
		else if (c >= 0xC2 && c <= 0xDF)
			extra = 1;
		else if ((c & 0xF0) == 0xE0)
			extra = 2;
		else if (c >= 0xF0 && c <= 0xF4)
			extra = 3;
		else
			return false;
		if (extra > n - i - 1)
			return false;
		for (size_t k = 1; k <= extra; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
		i += extra + 1;
	}
	return true;
}

/* Reads a whole regular file into the arena; *why on failure. The open
 * never blocks and never follows a link: O_NONBLOCK makes opening a FIFO
 * (one that replaced the file after the listing) return at once instead of
 * waiting for a writer beyond every cancel, O_NOFOLLOW refuses a symbolic
 * link, and fstat of what was opened must say regular file. */
static char *read_file(dbc_ctx *ctx, const char *path, const char **why)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*why = errno == ELOOP    ? "a symbolic link; dbmigrate_load reads regular files only"
		       : errno == EACCES ? "permission denied"
		                         : "cannot be opened";
		return NULL;
	}
	char *buf = NULL;
	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		*why = "unreadable";
	} else if (!S_ISREG(sb.st_mode)) {
		*why = "not a regular file; dbmigrate_load reads regular files only";
	} else if (sb.st_size > MAX_FILE_BYTES) {
		*why = "too large (more than 64 MB)";
	} else if ((buf = dbc_alloc(ctx, (size_t)sb.st_size + 1)) != NULL) {
		size_t got = 0, want = (size_t)sb.st_size;
		while (got < want) {
			ssize_t r = read(fd, buf + got, want - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				if (r < 0) {
					*why = "read error";
					buf = NULL;
				}
				break;
			}
			got += (size_t)r;
		}
		if (buf) {
			buf[got] = '\0';
			if (!valid_utf8((const unsigned char *)buf, got)) {
				*why = "is not valid UTF-8 text";
				buf = NULL;
			}
		}
	}
	close(fd);
	return buf;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Up and down files of one version, or one repeatable. */
static int cmp_file(const void *a, const void *b)
{
	const dbc_mig_file *x = a, *y = b;
	bool rx = x->kind == DBC_FILE_REPEATABLE, ry = y->kind == DBC_FILE_REPEATABLE;
	if (rx != ry)
		return rx ? 1 : -1;
	int c = rx ? strcmp(x->name, y->name) : dbc_version_cmp(x->canon, y->canon);
	if (c)
		return c;
	if (x->kind != y->kind)
		return x->kind == DBC_FILE_UP ? -1 : 1;
	return strcmp(x->file, y->file);
}

typedef struct {
	char **versions; /* canonical, registered */
	char **texts;
	int n, cap;
	char **repeatables;
	int nr, capr;
} registered;

static int take_registered(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	registered *r = arg;
	if (ncol < 3)
		return DBC_OK;
	char *kind = dbc_mig_text(ctx, &c[0]);
	if (kind && strcmp(kind, "repeatable") == 0) {
		if (r->nr == r->capr) {
			int cap = r->capr ? r->capr * 2 : 32;
			char **nv = dbc_alloc(ctx, sizeof(char *) * (size_t)cap);
			if (!nv)
				return DBC_ERROR;
			if (r->nr)
				memcpy(nv, r->repeatables, sizeof(char *) * (size_t)r->nr);
			r->repeatables = nv;
			r->capr = cap;
		}
		r->repeatables[r->nr++] = dbc_mig_text(ctx, &c[2]);
	} else {
		if (r->n == r->cap) {
			int cap = r->cap ? r->cap * 2 : 32;
			char **nv = dbc_alloc(ctx, sizeof(char *) * (size_t)cap * 2);
			if (!nv)
				return DBC_ERROR;
			/* versions and their texts side by side: [2i] version, [2i+1] text */
			if (r->n)
				memcpy(nv, r->versions, sizeof(char *) * (size_t)r->n * 2);
			r->versions = nv;
			r->cap = cap;
		}
		r->versions[2 * r->n] = dbc_mig_text(ctx, &c[1]);
		r->versions[2 * r->n + 1] = dbc_mig_text(ctx, &c[3]);
		r->n++;
	}
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

static int cmp_pair(const void *a, const void *b)
{
	return dbc_version_cmp(((char *const *)a)[0], ((char *const *)b)[0]);
}

static const char *find_version_text(const registered *r, const char *canon)
{
	int lo = 0, hi = r->n - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		int c = dbc_version_cmp(canon, r->versions[2 * mid]);
		if (c == 0)
			return r->versions[2 * mid + 1] ? r->versions[2 * mid + 1] : r->versions[2 * mid];
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return NULL;
}

static bool has_repeatable(const registered *r, const char *name)
{
	int lo = 0, hi = r->nr - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		int c = strcmp(name, r->repeatables[mid]);
		if (c == 0)
			return true;
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return false;
}

int dbc_migrate_load(dbc_ctx *ctx, const char *path, int64_t *count)
{
	*count = 0;
	DIR *dir = opendir(path);
	if (!dir) {
		int e = errno;
		dbc_error(ctx,
		          e == EACCES   ? DBC_SQLSTATE_PRIVILEGE
		          : e == ENOENT ? "58P01"
		                        : "58030",
		          "could not open migration directory \"%s\": %s", path, strerror(e));
		return DBC_ERROR;
	}
	char **names = NULL;
	int nnames = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(dir)) != NULL) {
		/* only .sql files count; README, .gitkeep and hidden files are ignored */
		if (de->d_name[0] == '.' || !ends_with(de->d_name, ".sql"))
			continue;
		/* every .sql entry is a migration file: one that is no regular file (a
		 * symbolic link, a FIFO, a directory) fails the load in read_file
		 * rather than being skipped, so a deploy never silently misses a
		 * migration nor reads what a link points to */
		if (nnames == cap) {
			cap = cap ? cap * 2 : 64;
			char **nv = dbc_alloc(ctx, sizeof(char *) * (size_t)cap);
			if (!nv)
				break;
			if (nnames)
				memcpy(nv, names, sizeof(char *) * (size_t)nnames);
			names = nv;
		}
		names[nnames++] = dbc_strdup(ctx, de->d_name);
	}
	closedir(dir);
	if (ctx->failed)
		return DBC_ERROR;
	if (nnames > 1)
		qsort(names, (size_t)nnames, sizeof(char *), cmp_str);

	dbc_mig_file *files = dbc_zalloc(ctx, sizeof(dbc_mig_file) * (size_t)(nnames + 1));
	dbc_buf bad;
	int nbad = 0, nfiles = 0;
	dbc_buf_init(&bad, ctx);
	if (!files)
		return DBC_ERROR;
#define BAD(...)                                                                                   \
	do {                                                                                           \
		dbc_buf_append(&bad, nbad++ ? "; " : "");                                                  \
		dbc_buf_appendf(&bad, __VA_ARGS__);                                                        \
	} while (0)
	for (int i = 0; i < nnames; i++) {
		dbc_mig_file *f = &files[nfiles];
		const char *why;
		/* the name comes from the file name: a line break in it would reach
		 * dbmigrate_script()'s output, and to this error, so it is shown masked */
		if (dbc_mig_text_has_control(names[i])) {
			BAD("%s: the file name contains a control character (a line break, tab or "
			    "other non-printing character, shown as ?)",
			    dbc_mig_text_printable(ctx, names[i]));
			continue;
		}
		if (!dbc_mig_parse_filename(ctx, names[i], f, &why)) {
			BAD("%s: %s", names[i], why);
			continue;
		}
		if (f->version && dbc_version_canonical(ctx, f->version, "version", &f->canon) != DBC_OK)
			return DBC_ERROR;
		char *full = dbc_printf(ctx, "%s/%s", path, names[i]);
		char *text = full ? read_file(ctx, full, &why) : NULL;
		if (ctx->failed)
			return DBC_ERROR;
		if (!text) {
			BAD("%s: %s", names[i], why);
			continue;
		}
		f->script = dbc_script_normalise(ctx, text);
		if (!f->script)
			return DBC_ERROR;
		bool blank = true;
		for (const char *p = f->script; *p && blank; p++)
			blank = strchr(" \t\n\f\v", *p) != NULL;
		if (blank) {
			BAD("%s: the script is empty", names[i]);
			continue;
		}
		dbc_script_info info;
		if (dbc_script_analyse(ctx, ctx->host->engine, f->script, &info) != DBC_OK)
			return DBC_ERROR;
		if (dbc_script_check_shell(ctx, &info, ctx->host->engine, names[i]) != DBC_OK ||
		    dbc_script_check(ctx, &info, names[i], DBC_SQLSTATE_BAD_ARGUMENT) != DBC_OK) {
			BAD("%s", ctx->message);
			dbc_error_clear(ctx);
			continue;
		}
		f->no_transaction = info.no_transaction;
		if (dbc_script_checksum(ctx, f->script, &f->checksum) != DBC_OK)
			return DBC_ERROR;
		nfiles++;
	}
	/* pairing: one up per version, at most one down, no down alone */
	if (nfiles > 1)
		qsort(files, (size_t)nfiles, sizeof(dbc_mig_file), cmp_file);
	for (int i = 0; i < nfiles; i++) {
		dbc_mig_file *f = &files[i], *prev = i > 0 ? &files[i - 1] : NULL;
		bool same = prev &&
		            (f->kind == DBC_FILE_REPEATABLE) == (prev->kind == DBC_FILE_REPEATABLE) &&
		            (f->kind == DBC_FILE_REPEATABLE ? strcmp(f->name, prev->name) == 0
		                                            : dbc_version_cmp(f->canon, prev->canon) == 0);
		if (same && f->kind == prev->kind)
			BAD("%s and %s: two %s for %s %s", prev->file, f->file,
			    f->kind == DBC_FILE_DOWN ? "down scripts" : "scripts",
			    f->kind == DBC_FILE_REPEATABLE ? "repeatable" : "version",
			    f->kind == DBC_FILE_REPEATABLE ? f->name : f->canon);
		else if (f->kind == DBC_FILE_DOWN && !(same && prev->kind == DBC_FILE_UP))
			BAD("%s: a down script without an up script for version %s", f->file, f->canon);
	}

	/* against the registry: "1" registered, "1.0" in a file is one version twice */
	registered reg = {0};
	int rc = ctx->host->book_ensure(ctx);
	if (rc == DBC_OK)
		rc = dbc_mig_query(ctx, "SELECT kind, version, name, version_text FROM @migrations", 0,
		                   NULL, take_registered, &reg);
	if (rc != DBC_OK)
		return DBC_ERROR;
	if (reg.n > 1)
		qsort(reg.versions, (size_t)reg.n, sizeof(char *) * 2, cmp_pair);
	if (reg.nr > 1)
		qsort(reg.repeatables, (size_t)reg.nr, sizeof(char *), cmp_str);
	for (int i = 0; i < nfiles; i++) {
		const char *vt =
		    files[i].kind == DBC_FILE_UP ? find_version_text(&reg, files[i].canon) : NULL;
		if (vt && strcmp(vt, files[i].version) != 0)
			BAD("%s: version %s is already registered as %s (1.0 and 1 are one version)",
			    files[i].file, files[i].version, vt);
	}
#undef BAD
	if (nbad) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "%d migration file(s) in \"%s\" cannot be registered; nothing was registered",
		          nbad, path);
		dbc_error_detail(ctx, "%s", dbc_buf_finish(&bad));
		dbc_error_hint(ctx, "Versioned: V<version>__<name>.sql with an optional "
		                    "U<version>__<name>.sql down script, or <version>_<name>.up.sql and "
		                    ".down.sql; repeatable: R__<name>.sql.");
		return DBC_ERROR;
	}

	dbc_mig_frame fr;
	rc = dbc_mig_frame_begin(ctx, NULL, &fr, false);
	for (int i = 0; rc == DBC_OK && i < nfiles; i++) {
		dbc_mig_file *f = &files[i];
		if (f->kind == DBC_FILE_REPEATABLE) {
			rc = dbc_mig_register_repeatable(ctx, f->name, f->script, f->checksum,
			                                 f->no_transaction, has_repeatable(&reg, f->name));
		} else if (f->kind == DBC_FILE_UP) {
			dbc_mig_file *down =
			    i + 1 < nfiles && files[i + 1].kind == DBC_FILE_DOWN ? &files[i + 1] : NULL;
			rc = dbc_mig_register_versioned(
			    ctx, f->canon, f->version, f->name, f->script, down ? down->script : NULL,
			    f->checksum, down ? down->checksum : NULL, f->no_transaction,
			    find_version_text(&reg, f->canon) != NULL);
		}
	}
	rc = dbc_mig_frame_end(ctx, &fr, rc);
	if (rc == DBC_OK)
		*count = nfiles;
	return rc;
}
