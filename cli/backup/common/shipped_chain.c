/*
 * shipped_chain.c — an incremental backup's chain found in a store by
 * its links' SHA-256 alone (shipped_chain.h). A page set names its base
 * by the base file's SHA-256 (its header: sqlite/backup/backup_incr.c);
 * each incremental backup uploaded is indexed by an object
 * "sha256-<hex>.ref" holding its name, and so is its base when the store
 * has no index of it yet (found among the local files of the incremental's
 * folder the store holds by name, newest first, by its SHA-256), so a
 * restore fetches the chain's links and nothing else of the folder. A full
 * backup costs no index at its upload (no read of its bytes, no request). An index only points: the
 * link it names is checked by the restore as any link is (its SHA-256 against the page set's), so a
 * stale or forged index fails the restore, never restores another file.
 */
#include "shipped_chain.h"
#include "cli/common/files.h"

#include "base/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A page set's header: "DBCPAGE1", page size (u32), page count (u32),
 * records (u64), then its base's SHA-256 in 64 hex digits. */
#define PAGE_SET_BASE_AT 24

bool cli_page_set(const char *path)
{
	char magic[8];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool is = fd >= 0 && read(fd, magic, sizeof magic) == (ssize_t)sizeof magic &&
	          memcmp(magic, "DBCPAGE1", sizeof magic) == 0;
	if (fd >= 0)
		close(fd);
	return is;
}

static bool hex64(const char *h)
{
	for (int i = 0; i < 64; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return false;
	return h[64] == '\0';
}

/* The base's SHA-256 a page set names: 0, or -1 (no such header). */
static int base_sha(const char *path, char sha[65])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0 && pread(fd, sha, 64, PAGE_SET_BASE_AT) == 64;
	if (fd >= 0)
		close(fd);
	sha[64] = '\0';
	return ok && hex64(sha) ? 0 : -1;
}

static void ref_name(const char sha[65], char out[80])
{
	snprintf(out, 80, "sha256-%s.ref", sha);
}

/* The index of the object name (its file's SHA-256 sha) put in s. */
static int put_ref(cli_store *s, const char *name, const char sha[65], char *err, size_t n)
{
	char ref[80], *tmp = NULL;
	const char *dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	ref_name(sha, ref);
	int fd = asprintf(&tmp, "%s/dbcare-ref-XXXXXX", dir) < 0 ? -1 : mkstemp(tmp);
	size_t len = strlen(name);
	bool written = fd >= 0 && write(fd, name, len) == (ssize_t)len && write(fd, "\n", 1) == 1;
	if (fd >= 0)
		close(fd);
	int rc = written ? cli_store_put_file(s, ref, tmp, err, n) : -1;
	if (!written)
		snprintf(err, n, "dbcare: cannot write the index of %s in %s: %s", name, dir,
		         strerror(errno));
	if (fd >= 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* The name the index of sha holds, fetched into stage as a scratch file:
 * 0 (*name malloc'd), 1 (no such index, or none a name), -1 with err. */
static int ref_target(cli_store *s, const char *stage, const char sha[65], char **names,
                      size_t count, char **name, char *err, size_t n)
{
	char ref[80], *path = NULL, buf[300];
	*name = NULL;
	ref_name(sha, ref);
	if (!cli_store_names_has(names, count, ref))
		return 1;
	if (asprintf(&path, "%s/.%s", stage, ref) < 0) {
		snprintf(err, n, "dbcare: out of memory");
		return -1;
	}
	int rc = cli_store_get_file(s, ref, path, err, n);
	FILE *f = rc == 0 ? fopen(path, "r") : NULL;
	bool got = f && fgets(buf, sizeof buf, f);
	if (f)
		fclose(f);
	unlink(path);
	free(path);
	if (rc != 0)
		return -1;
	buf[got ? strcspn(buf, "\n") : 0] = '\0';
	if (!got || !cli_store_name_ok(buf) || !cli_store_names_has(names, count, buf))
		return 1;
	*name = strdup(buf);
	return *name ? 0 : -1;
}

typedef struct candidate {
	const char *name;
	struct timespec mtime;
} candidate;

static int newest_first(const void *a, const void *b)
{
	const struct timespec *x = &((const candidate *)a)->mtime, *y = &((const candidate *)b)->mtime;
	return x->tv_sec != y->tv_sec ? (x->tv_sec < y->tv_sec) - (x->tv_sec > y->tv_sec)
	                              : (x->tv_nsec < y->tv_nsec) - (x->tv_nsec > y->tv_nsec);
}

/* The local file of the folder of file (not file) that the store holds
 * under its own name and whose SHA-256 is sha, the newest first (a chain's
 * base is most often the backup made just before it): its name
 * (malloc'd), or NULL. */
static char *local_base(const char *file, const char sha[65], char **names, size_t count)
{
	const char *slash = strrchr(file, '/');
	char *dir = slash ? strndup(file, (size_t)(slash - file)) : strdup(".");
	candidate *c = calloc(count ? count : 1, sizeof *c);
	char *found = NULL, now[65], *path = NULL;
	size_t nc = 0;
	struct stat st;
	for (size_t i = 0; dir && c && i < count; i++) {
		if (!cli_store_name_ok(names[i]) || asprintf(&path, "%s/%s", dir, names[i]) < 0)
			continue;
		if (strcmp(path, file) != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
			c[nc++] = (candidate){names[i], st.st_mtim};
		free(path);
	}
	qsort(c, nc, sizeof *c, newest_first);
	for (size_t i = 0; i < nc && !found; i++) {
		if (asprintf(&path, "%s/%s", dir, c[i].name) < 0)
			break;
		if (dbc_path_sha256_errno(cli_text_host(), path, O_NOFOLLOW, NULL, NULL, now) == 0 &&
		    strcmp(now, sha) == 0)
			found = strdup(c[i].name);
		free(path);
	}
	free(c);
	free(dir);
	return found;
}

int cli_backup_ship_refs(cli_store *s, const char *name, const char *file, char *err, size_t n)
{
	char base[65], own[65], ref[80], **names = NULL;
	size_t count = 0;
	if (!cli_page_set(file) || base_sha(file, base) != 0)
		return 0; /* a full backup: indexed once an incremental names it */
	if (dbc_path_sha256_errno(cli_text_host(), file, O_NOFOLLOW, NULL, NULL, own) != 0) {
		snprintf(err, n, "dbcare: cannot read %s to index it: %s", file, strerror(errno));
		return -1;
	}
	int rc = cli_store_list(s, &names, &count, err, n);
	ref_name(base, ref);
	char *base_name = rc == 0 && !cli_store_names_has(names, count, ref)
	                      ? local_base(file, base, names, count)
	                      : NULL;
	if (rc == 0 && base_name)
		rc = put_ref(s, base_name, base, err, n);
	if (rc == 0)
		rc = put_ref(s, name, own, err, n);
	free(base_name);
	cli_store_names_free(names, count);
	return rc;
}

int cli_backup_fetch_chain(cli_store *s, const char *stage, const char *file, char **names,
                           size_t count, char *err, size_t n)
{
	char sha[65], *link = NULL, *name = NULL;
	const char *at = file;
	int rc = 0;
	/* a chain is at most as long as the folder: a loop of indexes ends */
	for (size_t step = 0; rc == 0 && cli_page_set(at); step++) {
		rc = step >= count || base_sha(at, sha) != 0
		         ? 1
		         : ref_target(s, stage, sha, names, count, &name, err, n);
		free(link);
		link = NULL;
		if (rc == 0 && asprintf(&link, "%s/%s", stage, name) < 0)
			rc = -1;
		/* a link fetched already (an index naming its own page set) */
		if (rc == 0 && access(link, F_OK) == 0)
			rc = 1;
		if (rc == 0)
			rc = cli_store_get_file(s, name, link, err, n);
		free(name);
		name = NULL;
		at = link;
	}
	free(link);
	return rc;
}
