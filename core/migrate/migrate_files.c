/*
 * migrate_files.c — dbmigrate_load: reads a directory of migration files
 * (the layouts are in migrate_files.h), checks every name, pairing and
 * script first, and registers all of them or, when anything is wrong, none,
 * with the bad files counted by kind and listed in one error. Returns the
 * number of migrations newly registered or changed.
 */
#include "migrate/migrate.h"
#include "migrate/migrate_checksum.h"
#include "migrate/migrate_dbmate.h"
#include "migrate/migrate_files.h"
#include "migrate/migrate_goose.h"
#include "migrate/migrate_script.h"
#include "migrate/migrate_store.h"
#include "migrate/migrate_text.h"
#include "migrate/migrate_version.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE_BYTES (64L * 1024 * 1024)

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
 * link, and fstat of what was opened must say regular file. path is
 * relative to dirfd (AT_FDCWD for a whole path). */
static const char missing_file[] = "does not exist";

static char *read_file(dbc_ctx *ctx, int dirfd, const char *path, const char **why)
{
	int fd = openat(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*why = errno == ELOOP    ? "a symbolic link; dbmigrate_load reads regular files only"
		       : errno == EACCES ? "permission denied"
		       : errno == ENOENT ? missing_file
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

/* Up and down files of one version, or one repeatable. */
static int cmp_file(const void *a, const void *b)
{
	const dbc_migrate_file *x = a, *y = b;
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

/* ------------------------------------------------------------ bad files */

/* Why a file cannot be registered, counted by kind so that an error about
 * hundreds of files says what is wrong before it lists the first ones. */
typedef enum { BAD_NAME, BAD_FILE, BAD_SCRIPT, BAD_PAIR, BAD_REGISTERED, BAD_KINDS } bad_kind;

static const char *const bad_kind_text[BAD_KINDS] = {
    "name in no accepted layout", "unreadable or not a regular file", "script refused",
    "unpaired or doubled script", "version already registered differently"};

/* The list stops growing at LIST_MAX bytes, well inside an error's 16 KB. */
#define LIST_MAX 8000

typedef struct dbc_migrate_bad {
	dbc_buf list;
	int n, listed;
	int by_kind[BAD_KINDS];
} bad_files;

__attribute__((format(printf, 3, 4))) static void bad_add(bad_files *b, bad_kind k, const char *fmt,
                                                          ...)
{
	b->n++;
	b->by_kind[k]++;
	if (b->list.len >= LIST_MAX)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *text = dbc_vprintf(b->list.ctx, fmt, ap);
	va_end(ap);
	dbc_buf_append(&b->list, b->listed++ ? "; " : "");
	dbc_buf_append(&b->list, text ? text : "?");
}

static int bad_error(dbc_ctx *ctx, bad_files *b, const char *path)
{
	dbc_buf kinds;
	dbc_buf_init(&kinds, ctx);
	for (int k = 0, first = 1; k < BAD_KINDS; k++)
		if (b->by_kind[k]) {
			dbc_buf_appendf(&kinds, "%s%s: %d", first ? "" : ", ", bad_kind_text[k], b->by_kind[k]);
			first = 0;
		}
	if (b->listed < b->n)
		dbc_buf_appendf(&b->list, "; and %d more (the first %d are listed)", b->n - b->listed,
		                b->listed);
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
	          "%d migration file(s) in \"%s\" cannot be registered (%s); nothing was registered",
	          b->n, path, dbc_buf_finish(&kinds));
	dbc_error_detail(ctx, "%s", dbc_buf_finish(&b->list));
	dbc_error_hint(ctx, "The accepted layouts: %s.", dbc_migrate_layouts);
	return DBC_ERROR;
}

/* ------------------------------------------------------------ registry */

/* A registered migration, to tell new and changed files from unchanged ones. */
typedef struct {
	bool repeatable;
	char *key; /* canonical version, or the repeatable's name */
	char *version_text, *name, *checksum, *down;
	bool no_tx;
} reg_row;

typedef struct {
	reg_row *rows;
	int n, cap;
} registry;

static int take_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	registry *r = arg;
	if (ncol < 7)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected registry row");
	if (dbc_grow(ctx, &r->rows, r->n, &r->cap, sizeof(reg_row), 64) != DBC_OK)
		return DBC_ERROR;
	reg_row *row = &r->rows[r->n++];
	char *kind = dbc_migrate_text(ctx, &c[0]);
	row->repeatable = kind && strcmp(kind, "repeatable") == 0;
	row->name = dbc_migrate_text(ctx, &c[2]);
	row->key = row->repeatable ? row->name : dbc_migrate_text(ctx, &c[1]);
	row->version_text = dbc_migrate_text(ctx, &c[3]);
	row->checksum = dbc_migrate_text(ctx, &c[4]);
	row->down = dbc_migrate_text(ctx, &c[5]);
	row->no_tx = dbc_migrate_bool(&c[6]);
	if (!row->key)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "registered migration without a key");
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

static int cmp_key(bool rx, const char *kx, bool ry, const char *ky)
{
	if (rx != ry)
		return rx ? 1 : -1;
	return rx ? strcmp(kx, ky) : dbc_version_cmp(kx, ky);
}

static int cmp_row(const void *a, const void *b)
{
	const reg_row *x = a, *y = b;
	return cmp_key(x->repeatable, x->key, y->repeatable, y->key);
}

static const reg_row *find_row(const registry *r, bool repeatable, const char *key)
{
	int lo = 0, hi = r->n - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		int c = cmp_key(repeatable, key, r->rows[mid].repeatable, r->rows[mid].key);
		if (c == 0)
			return &r->rows[mid];
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return NULL;
}

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* ------------------------------------------------------------ files */

typedef struct {
	char *name;
	bool dir; /* a migration directory, diesel's or Prisma's (or a link in its place) */
	bool go;  /* a goose Go migration, <version>_<name>.go: refused */
} entry;

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

typedef struct {
	dbc_migrate_file *files;
	int n, cap;
} file_list;

static dbc_migrate_file *file_new(dbc_ctx *ctx, file_list *l)
{
	if (dbc_grow(ctx, &l->files, l->n, &l->cap, sizeof(dbc_migrate_file), 64) != DBC_OK)
		return NULL;
	return &l->files[l->n];
}

/* Normalises and checks one file's text (NULL: could not be read, why says
 * why). A refused file stays in the list, marked, so that its partner is not
 * reported as unpaired. Returns DBC_ERROR only for errors that end the load. */
static int take_script(dbc_ctx *ctx, const dbc_dialect *dialect, dbc_migrate_file *f,
                       const char *text, const char *why, bad_files *bad, bool checksum)
{
	if (!text) {
		f->refused = true;
		bad_add(bad, BAD_FILE, "%s: %s", f->file, why);
		return DBC_OK;
	}
	/* popx runs an .autocommit. file outside a transaction: dbcare's way
	 * to say so is the marker line, put in the text itself so that every
	 * reader of the file (dbmigrate_load, the command) registers the same
	 * script, checksum and no-transaction flag */
	if (f->autocommit && !dbc_script_is_no_transaction(text)) {
		text = dbc_printf(ctx, "-- dbcare:no-transaction\n%s", text);
		if (!text)
			return DBC_ERROR;
	}
	/* an empty or comment-only file is a no-op migration, as golang-migrate,
	 * popx and diesel load it */
	f->script = dbc_script_normalise(ctx, text);
	if (!f->script)
		return DBC_ERROR;
	dbc_script_info info;
	if (dbc_script_analyse(ctx, dialect, f->script, &info) != DBC_OK)
		return DBC_ERROR;
	if (dbc_script_check_shell(ctx, &info, dialect, f->file) != DBC_OK ||
	    dbc_script_check(ctx, &info, f->file, DBC_SQLSTATE_BAD_ARGUMENT) != DBC_OK) {
		f->refused = true;
		bad_add(bad, BAD_SCRIPT, "%s", ctx->message);
		dbc_error_clear(ctx);
		return DBC_OK;
	}
	f->no_transaction = info.no_transaction;
	return checksum ? dbc_script_checksum(ctx, f->script, &f->checksum) : DBC_OK;
}

/* A dbmate or goose file: its up block is f's script; its down block, when
 * the file has one, becomes a down file of its own in downs (paired with f
 * once the list is sorted again), named "<file> (migrate:down)" or
 * "<file> (+goose Down)". */
static int take_two_way(dbc_ctx *ctx, const dbc_dialect *dialect, dbc_migrate_file *f,
                        const char *text, const char *why, bad_files *bad, bool checksum,
                        file_list *downs)
{
	char *up, *down;
	bool goose = f->layout == DBC_LAYOUT_GOOSE;
	if (!text)
		return take_script(ctx, dialect, f, text, why, bad, checksum);
	if ((goose ? dbc_migrate_goose_split(ctx, text, &up, &down, &why)
	           : dbc_migrate_dbmate_split(ctx, text, &up, &down, &why)) != DBC_OK)
		return DBC_ERROR;
	if (why) {
		f->refused = true;
		bad_add(bad, BAD_SCRIPT, "%s: %s", f->file, why);
		return DBC_OK;
	}
	if (take_script(ctx, dialect, f, up, NULL, bad, checksum) != DBC_OK)
		return DBC_ERROR;
	if (!down)
		return DBC_OK;
	dbc_migrate_file *d = file_new(ctx, downs);
	if (!d)
		return DBC_ERROR;
	*d = *f;
	d->kind = DBC_FILE_DOWN;
	d->script = d->checksum = NULL;
	d->file = dbc_printf(ctx, "%s (%s)", f->file, goose ? "+goose Down" : "migrate:down");
	if (!d->file)
		return DBC_ERROR;
	downs->n++;
	return take_script(ctx, dialect, d, down, NULL, bad, checksum);
}

/* Which tool's folder dfd is: diesel's (up.sql), Prisma's (migration.sql),
 * or neither (*why says why, for the folder's line in the error). */
static bool folder_layout(int dfd, dbc_file_layout *layout, const char **why)
{
	struct stat sb;
	bool up = fstatat(dfd, "up.sql", &sb, AT_SYMLINK_NOFOLLOW) == 0;
	bool prisma = fstatat(dfd, "migration.sql", &sb, AT_SYMLINK_NOFOLLOW) == 0;
	*why = up && prisma ? "a migration directory with both up.sql (diesel) and migration.sql "
	                      "(Prisma): keep the one its tool reads"
	       : !up && !prisma
	           ? "a migration directory with neither up.sql (diesel) nor migration.sql (Prisma)"
	           : NULL;
	*layout = prisma ? DBC_LAYOUT_PRISMA : DBC_LAYOUT_DIESEL;
	return *why == NULL;
}

/* A migration directory: diesel's up.sql (required) and down.sql, or
 * Prisma's migration.sql (required) and down.sql, read through the
 * directory opened without following a link, so neither the directory nor
 * its files can be links to elsewhere. A directory whose name starts with
 * a digit is one, read or refused: never skipped. */
static int take_folder(dbc_ctx *ctx, const dbc_dialect *dialect, const char *path, const char *dir,
                       file_list *l, bad_files *bad, bool checksum)
{
	char *full = dbc_printf(ctx, "%s/%s", path, dir);
	if (!full)
		return DBC_ERROR;
	if (!strchr(dir, '_')) {
		bad_add(bad, BAD_NAME, "%s: a directory that is not <version>_<name> (diesel, Prisma)",
		        dir);
		return DBC_OK;
	}
	int dfd = open(full, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (dfd < 0) {
		bad_add(bad, BAD_FILE, "%s: %s", dir,
		        errno == ELOOP || errno == ENOTDIR
		            ? "a symbolic link; dbmigrate_load reads regular files and directories only"
		            : "the directory cannot be opened");
		return DBC_OK;
	}
	dbc_file_layout layout;
	const char *why = NULL;
	if (!folder_layout(dfd, &layout, &why)) {
		bad_add(bad, BAD_PAIR, "%s: %s", dir, why);
		close(dfd);
		return DBC_OK;
	}
	int rc = DBC_OK;
	bool prisma = layout == DBC_LAYOUT_PRISMA;
	const char *const scripts[] = {prisma ? "migration.sql" : "up.sql", "down.sql"};
	for (int s = 0; s < 2 && rc == DBC_OK; s++) {
		dbc_migrate_file *f = file_new(ctx, l);
		if (!f) {
			rc = DBC_ERROR;
			break;
		}
		if (!(prisma ? dbc_migrate_parse_prisma(ctx, dir, scripts[s], f, &why)
		             : dbc_migrate_parse_diesel(ctx, dir, scripts[s], f, &why))) {
			if (!ctx->failed)
				bad_add(bad, BAD_NAME, "%s: %s", dir, why);
			rc = ctx->failed ? DBC_ERROR : DBC_OK;
			break;
		}
		if (dbc_version_canonical(ctx, f->version, "version", &f->canon) != DBC_OK) {
			rc = DBC_ERROR;
			break;
		}
		char *text = read_file(ctx, dfd, scripts[s], &why);
		if (ctx->failed) {
			rc = DBC_ERROR;
			break;
		}
		if (!text && why == missing_file) {
			if (s == 0) /* gone since folder_layout saw it */
				bad_add(bad, BAD_FILE, "%s/%s: %s", dir, scripts[s], why);
			break; /* down.sql is optional */
		}
		rc = take_script(ctx, dialect, f, text, why, bad, checksum);
		l->n++;
	}
	close(dfd);
	return rc;
}

/* Lists the directory: every .sql entry (any letter case) is a migration
 * file, and every directory or link whose name starts with a digit is a
 * migration directory (a link then fails the load rather than being
 * followed; a name in no layout is refused). A .sql entry that is no
 * regular file fails the load in read_file rather than being skipped, so a
 * deploy never silently misses a migration; a goose Go migration
 * (<digit>..._<name>.go) is refused, as dbcare runs SQL only; README,
 * .gitkeep, hidden files and other entries are ignored. */
static int list_directory(dbc_ctx *ctx, const char *path, entry **out, int *count)
{
	*out = NULL;
	*count = 0;
	DIR *dir = opendir(path);
	if (!dir) {
		int e = errno;
		return dbc_error(ctx,
		                 e == EACCES   ? DBC_SQLSTATE_PRIVILEGE
		                 : e == ENOENT ? "58P01"
		                               : "58030",
		                 "could not open migration directory \"%s\": %s", path, strerror(e));
	}
	entry *names = NULL;
	int n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(dir)) != NULL) {
		size_t len = strlen(de->d_name);
		bool sql = len >= 4 && strcasecmp(de->d_name + len - 4, ".sql") == 0;
		bool go = len > 3 && strcmp(de->d_name + len - 3, ".go") == 0 &&
		          dbc_migrate_dirname_candidate(de->d_name) && strchr(de->d_name, '_') &&
		          !strstr(de->d_name, "_test.go");
		bool dir_entry = false;
		if (de->d_name[0] == '.')
			continue;
		if (!sql && !go) {
			struct stat sb;
			if (!dbc_migrate_dirname_candidate(de->d_name) ||
			    fstatat(dirfd(dir), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
			    !(S_ISDIR(sb.st_mode) || S_ISLNK(sb.st_mode)))
				continue;
			dir_entry = true;
		}
		if (dbc_grow(ctx, &names, n, &cap, sizeof(entry), 64) != DBC_OK)
			break;
		names[n++] = (entry){dbc_strdup(ctx, de->d_name), dir_entry, go};
	}
	closedir(dir);
	if (ctx->failed)
		return DBC_ERROR;
	if (n > 1)
		qsort(names, (size_t)n, sizeof(entry), cmp_entry);
	*out = names;
	*count = n;
	return DBC_OK;
}

/* Bare <version>_<name>.sql files (parsed as dbmate's) are dbmate's when
 * a file of the folder has a "-- migrate:up" line, goose's when one has a
 * "-- +goose" annotation, sqlx's (the whole file the up script) when none
 * has either. In a folder with markers a file without one keeps its
 * tool's split, which refuses it by name: a file of a marked folder is
 * never run whole. sqlx's "-- no-transaction" first line becomes dbcare's
 * marker. */
static void bare_layouts(file_list *l, char **texts)
{
	bool dbmate = false, goose = false;
	for (int i = 0; i < l->n; i++)
		if (l->files[i].layout == DBC_LAYOUT_DBMATE && texts[i]) {
			dbmate |= dbc_migrate_dbmate_marked(texts[i]);
			goose |= dbc_migrate_goose_marked(texts[i]);
		}
	for (int i = 0; i < l->n; i++) {
		dbc_migrate_file *f = &l->files[i];
		if (f->layout != DBC_LAYOUT_DBMATE)
			continue;
		if (!dbmate && !goose)
			f->layout = DBC_LAYOUT_SQLX;
		else if (texts[i] && dbc_migrate_goose_marked(texts[i]))
			f->layout = DBC_LAYOUT_GOOSE;
		else if (!dbmate)
			f->layout = DBC_LAYOUT_GOOSE; /* refused by goose's split, as goose refuses it */
		if (f->layout == DBC_LAYOUT_SQLX && texts[i] &&
		    strncmp(texts[i], "-- no-transaction", 17) == 0 && strchr("\r\n", texts[i][17]) != NULL)
			f->autocommit = true; /* marked in take_script */
	}
}

/* popx: a version's file with this engine's infix replaces the plain file of
 * the same version and direction. The files are sorted (cmp_file), so one
 * version's files of one direction are adjacent; drops in place. */
static void choose_engine_files(file_list *l)
{
	int kept = 0;
	for (int i = 0; i < l->n;) {
		int j = i + 1;
		bool specific = l->files[i].engine_specific;
		while (j < l->n && l->files[j].kind != DBC_FILE_REPEATABLE &&
		       l->files[j].kind == l->files[i].kind &&
		       dbc_version_cmp(l->files[j].canon, l->files[i].canon) == 0)
			specific |= l->files[j++].engine_specific;
		for (int k = i; k < j; k++)
			if (!specific || l->files[k].engine_specific ||
			    l->files[k].layout != DBC_LAYOUT_GOLANG || l->files[k].kind == DBC_FILE_REPEATABLE)
				l->files[kept++] = l->files[k];
		i = j;
	}
	l->n = kept;
}

/* Registers one migration (an up with its down, a lone down as a no-op up
 * with its down, or a repeatable) and counts it when new or changed. */
static int register_one(dbc_ctx *ctx, const registry *reg, const dbc_migrate_file *f,
                        const dbc_migrate_file *down, int64_t *changed)
{
	if (f->kind == DBC_FILE_REPEATABLE) {
		const reg_row *r = find_row(reg, true, f->name);
		if (!r || !same_text(r->checksum, f->checksum) || r->no_tx != f->no_transaction)
			(*changed)++;
		return dbc_migrate_register_repeatable(ctx, f->name, f->script, f->checksum,
		                                       f->no_transaction, r != NULL);
	}
	const char *up = f->script;
	char *checksum = f->checksum;
	bool no_tx = f->no_transaction;
	if (f->lone_down) { /* golang-migrate: the version exists, its up does nothing */
		down = f;
		up = "";
		no_tx = false;
		if (dbc_script_checksum(ctx, up, &checksum) != DBC_OK)
			return DBC_ERROR;
	}
	const reg_row *r = find_row(reg, false, f->canon);
	if (!r || !same_text(r->name, f->name) || !same_text(r->checksum, checksum) ||
	    !same_text(r->down, down ? down->script : NULL) || r->no_tx != no_tx)
		(*changed)++;
	return dbc_migrate_register_versioned(ctx, f->canon, f->version, f->name, up,
	                                      down ? down->script : NULL, checksum,
	                                      down ? down->checksum : NULL, no_tx, r != NULL);
}

/* Same group: one version, or one repeatable. */
static bool same_migration(const dbc_migrate_file *a, const dbc_migrate_file *b)
{
	bool ra = a->kind == DBC_FILE_REPEATABLE, rb = b->kind == DBC_FILE_REPEATABLE;
	return ra == rb &&
	       (ra ? strcmp(a->name, b->name) == 0 : dbc_version_cmp(a->canon, b->canon) == 0);
}

/* Pairing: one up per version, at most one down; a golang-migrate down
 * alone is a version whose up does nothing, as golang-migrate runs it. l is
 * sorted (cmp_file). */
static void check_pairs(file_list *l, bad_files *bad)
{
	for (int i = 0; i < l->n; i++) {
		dbc_migrate_file *f = &l->files[i], *prev = i > 0 ? &l->files[i - 1] : NULL;
		bool same = prev && same_migration(f, prev);
		if (same && f->kind == prev->kind)
			bad_add(bad, BAD_PAIR, "%s and %s: two %s for %s %s", prev->file, f->file,
			        f->kind == DBC_FILE_DOWN ? "down scripts" : "scripts",
			        f->kind == DBC_FILE_REPEATABLE ? "repeatable" : "version",
			        f->kind == DBC_FILE_REPEATABLE ? f->name : f->canon);
		else if (f->kind == DBC_FILE_DOWN && !(same && prev->kind == DBC_FILE_UP)) {
			if (f->layout == DBC_LAYOUT_GOLANG)
				f->lone_down = true;
			else
				bad_add(bad, BAD_PAIR, "%s: a down script without an up script for version %s",
				        f->file, f->canon);
		}
	}
}

/* The text dbmate (a file's name) or diesel (a version) orders by. */
static const char *text_key(const dbc_migrate_file *f)
{
	return f->layout == DBC_LAYOUT_DIESEL ? f->version : f->file;
}

/* dbmate runs its files in file name order and diesel its folders in
 * version text order, where dbcare runs versions by number: the two differ
 * only for versions of different lengths (9_a.sql, 10_b.sql), and such a
 * folder is refused by name rather than run in an order its tool does not
 * run it in. l is sorted (cmp_file). */
static void check_text_order(const file_list *l, bad_files *bad)
{
	static const dbc_file_layout text_ordered[] = {DBC_LAYOUT_DBMATE, DBC_LAYOUT_DIESEL};
	for (size_t k = 0; k < sizeof text_ordered / sizeof *text_ordered; k++) {
		const dbc_migrate_file *prev = NULL;
		for (int i = 0; i < l->n; i++) {
			const dbc_migrate_file *f = &l->files[i];
			if (f->layout != text_ordered[k] || f->kind != DBC_FILE_UP)
				continue;
			if (prev && strcmp(text_key(prev), text_key(f)) > 0)
				bad_add(bad, BAD_NAME,
				        "%s and %s: %s runs them in the other order (it orders versions as "
				        "text, dbcare by number); write the versions with one number of digits",
				        prev->file, f->file, k ? "diesel" : "dbmate");
			prev = f;
		}
	}
}

/* Reads every file not in a migration directory, decides the bare files'
 * layout (bare_layouts) and takes each script; the dbmate and goose down
 * blocks go to downs; the layouts read are marked in *layouts. */
static int read_files(dbc_ctx *ctx, const dbc_dialect *dialect, const char *path, file_list *l,
                      bad_files *bad, bool checksum, file_list *downs, unsigned *layouts)
{
	char **texts = l->n ? dbc_zalloc(ctx, sizeof(char *) * (size_t)l->n) : NULL;
	const char **whys = l->n ? dbc_zalloc(ctx, sizeof(char *) * (size_t)l->n) : NULL;
	if (l->n && (!texts || !whys))
		return DBC_ERROR;
	for (int i = 0; i < l->n; i++) {
		dbc_migrate_file *f = &l->files[i];
		if (f->layout == DBC_LAYOUT_DIESEL || f->layout == DBC_LAYOUT_PRISMA)
			continue; /* read with its directory */
		char *full = dbc_printf(ctx, "%s/%s", path, f->file);
		texts[i] = full ? read_file(ctx, AT_FDCWD, full, &whys[i]) : NULL;
		if (ctx->failed)
			return DBC_ERROR;
	}
	bare_layouts(l, texts);
	for (int i = 0; i < l->n; i++) {
		dbc_migrate_file *f = &l->files[i];
		*layouts |= 1u << f->layout;
		if (f->layout == DBC_LAYOUT_DIESEL || f->layout == DBC_LAYOUT_PRISMA)
			continue;
		bool two_way = f->layout == DBC_LAYOUT_DBMATE || f->layout == DBC_LAYOUT_GOOSE;
		if ((two_way ? take_two_way(ctx, dialect, f, texts[i], whys[i], bad, checksum, downs)
		             : take_script(ctx, dialect, f, texts[i], whys[i], bad, checksum)) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

static int read_dir(dbc_ctx *ctx, const dbc_dialect *dialect, const char *path,
                    dbc_migrate_dir *out, bool checksum)
{
	*out = (dbc_migrate_dir){0};
	entry *names;
	int nnames;
	if (list_directory(ctx, path, &names, &nnames) != DBC_OK)
		return DBC_ERROR;

	file_list l = {0};
	bad_files *bad = dbc_zalloc(ctx, sizeof(bad_files));
	dbc_buf callbacks;
	int ncallbacks = 0;
	if (!bad)
		return DBC_ERROR;
	out->bad = bad;
	dbc_buf_init(&bad->list, ctx);
	dbc_buf_init(&callbacks, ctx);
	/* names first: diesel directories are read here, files after the choice
	 * between plain and engine-specific files */
	for (int i = 0; i < nnames; i++) {
		const char *name = names[i].name;
		/* the name comes from the file name: a line break in it would reach
		 * dbmigrate_script()'s output, and to this error, so it is shown masked */
		if (dbc_migrate_text_has_control(name)) {
			bad_add(bad, BAD_NAME,
			        "%s: the file name contains a control character (a line break, tab or "
			        "other non-printing character, shown as ?)",
			        dbc_migrate_text_printable(ctx, name));
			continue;
		}
		if (names[i].dir) {
			if (take_folder(ctx, dialect, path, name, &l, bad, checksum) != DBC_OK)
				return DBC_ERROR;
			continue;
		}
		if (names[i].go) {
			bad_add(bad, BAD_NAME,
			        "%s: a goose Go migration; dbcare runs SQL migrations only (write it as "
			        "<version>_<name>.sql)",
			        name);
			continue;
		}
		dbc_migrate_file *f = file_new(ctx, &l);
		const char *why;
		if (!f)
			return DBC_ERROR;
		dbc_name_kind k = dbc_migrate_parse_filename(ctx, dialect, name, f, &why);
		if (ctx->failed)
			return DBC_ERROR;
		if (k == DBC_NAME_CALLBACK) {
			dbc_buf_append(&callbacks, ncallbacks++ ? ", " : "");
			dbc_buf_append(&callbacks, name);
			continue;
		}
		if (k == DBC_NAME_OTHER_ENGINE)
			continue;
		if (k == DBC_NAME_BAD) {
			bad_add(bad, BAD_NAME, "%s: %s", name, why);
			continue;
		}
		if (f->version && dbc_version_canonical(ctx, f->version, "version", &f->canon) != DBC_OK)
			return DBC_ERROR;
		l.n++;
	}
	if (l.n > 1)
		qsort(l.files, (size_t)l.n, sizeof(dbc_migrate_file), cmp_file);
	choose_engine_files(&l);
	file_list downs = {0}; /* the down blocks of dbmate and goose files */
	if (read_files(ctx, dialect, path, &l, bad, checksum, &downs, &out->layouts) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < downs.n; i++) {
		dbc_migrate_file *f = file_new(ctx, &l);
		if (!f)
			return DBC_ERROR;
		*f = downs.files[i];
		l.n++;
	}
	if (downs.n)
		qsort(l.files, (size_t)l.n, sizeof(dbc_migrate_file), cmp_file);

	check_pairs(&l, bad);
	check_text_order(&l, bad);
	out->files = l.files;
	out->n = l.n;
	out->nbad = bad->n;
	if (ncallbacks)
		out->callbacks = dbc_buf_finish(&callbacks);
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

int dbc_migrate_read_dir(dbc_ctx *ctx, const dbc_dialect *dialect, const char *path,
                         dbc_migrate_dir *out)
{
	return read_dir(ctx, dialect, path, out, true);
}

int dbc_migrate_read_dir_unhashed(dbc_ctx *ctx, const dbc_dialect *dialect, const char *path,
                                  dbc_migrate_dir *out)
{
	return read_dir(ctx, dialect, path, out, false);
}

int dbc_migrate_dir_refuse(dbc_ctx *ctx, dbc_migrate_dir *dir, const char *path)
{
	return dir->bad->n ? bad_error(ctx, dir->bad, path) : DBC_OK;
}

const dbc_migrate_file *dbc_migrate_dir_down(const dbc_migrate_dir *dir, int i)
{
	const dbc_migrate_file *f = &dir->files[i];
	if (f->lone_down)
		return f;
	return f->kind == DBC_FILE_UP && i + 1 < dir->n && dir->files[i + 1].kind == DBC_FILE_DOWN &&
	               same_migration(f, &dir->files[i + 1])
	           ? &dir->files[i + 1]
	           : NULL;
}

int dbc_migrate_load(dbc_ctx *ctx, const char *path, int64_t *count, char **skipped)
{
	*count = 0;
	*skipped = NULL;
	dbc_migrate_dir dir;
	if (dbc_migrate_read_dir(ctx, ctx->host->dialect, path, &dir) != DBC_OK)
		return DBC_ERROR;
	file_list l = {dir.files, dir.n, dir.n};
	bad_files *bad = dir.bad;

	/* against the registry: "1" registered, "1.0" in a file is one version twice */
	registry reg = {0};
	int rc = ctx->host->book_ensure(ctx);
	if (rc == DBC_OK)
		rc = dbc_migrate_query(ctx,
		                       "SELECT kind, version, name, version_text, checksum, down_script, "
		                       "no_transaction FROM @migrations",
		                       0, NULL, take_row, &reg);
	if (rc != DBC_OK)
		return DBC_ERROR;
	if (reg.n > 1)
		qsort(reg.rows, (size_t)reg.n, sizeof(reg_row), cmp_row);
	for (int i = 0; i < l.n; i++) {
		const dbc_migrate_file *f = &l.files[i];
		const reg_row *r =
		    f->kind == DBC_FILE_UP || f->lone_down ? find_row(&reg, false, f->canon) : NULL;
		const char *vt = r ? (r->version_text ? r->version_text : r->key) : NULL;
		if (vt && strcmp(vt, f->version) != 0)
			bad_add(bad, BAD_REGISTERED,
			        "%s: version %s is already registered as %s (1.0 and 1 are one version)",
			        f->file, f->version, vt);
	}
	if (bad->n)
		return bad_error(ctx, bad, path);

	dbc_migrate_frame fr;
	int64_t changed = 0;
	rc = dbc_migrate_frame_begin(ctx, NULL, &fr, false);
	for (int i = 0; rc == DBC_OK && i < l.n; i++) {
		dbc_migrate_file *f = &l.files[i];
		if (f->kind == DBC_FILE_DOWN && !f->lone_down)
			continue; /* registered with its up */
		const dbc_migrate_file *down = f->lone_down ? NULL : dbc_migrate_dir_down(&dir, i);
		rc = register_one(ctx, &reg, f, down, &changed);
	}
	rc = dbc_migrate_frame_end(ctx, &fr, rc);
	if (rc != DBC_OK)
		return rc;
	*count = changed;
	*skipped = dir.callbacks;
	return DBC_OK;
}
