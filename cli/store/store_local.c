/*
 * store_local.c — a local folder as a store (another disk, a mounted
 * share): a key is a file in it. A file is published as the local
 * backups are: written to NAME.tmp-XXXXXX, synced, read back and compared
 * by SHA-256 with the source, then given its name by a hard link (which
 * never replaces a file) and the folder synced; the temporary file goes
 * on every path dbcare sees, and one a kill leaves is never listed.
 */
#include "store_private.h"
#include "cli/common/files.h"

#include "base/sha256.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static char *path_of(const cli_store *s, const char *key)
{
	char *p = NULL;
	return asprintf(&p, "%s/%s", s->bucket, key) < 0 ? NULL : p;
}

static int fail(char *err, size_t n, const char *what, const char *path)
{
	snprintf(err, n, "dbcare: cannot %s %s: %s", what, path, strerror(errno));
	return -1;
}

static int copy_fd(int in, int out)
{
	char buf[1 << 16];
	ssize_t got;
	while ((got = read(in, buf, sizeof buf)) > 0)
		for (ssize_t off = 0; off < got;) {
			ssize_t w = write(out, buf + off, (size_t)(got - off));
			if (w < 0)
				return -1;
			off += w;
		}
	return got < 0 ? -1 : 0;
}

static int write_copy(cli_store *s, const char *key, const char *file, char *err, size_t n)
{
	char *to = path_of(s, key);
	if (!to)
		return fail(err, n, "name", key);
	int in = open(file, O_RDONLY | O_CLOEXEC), rc = -1;
	int out = in < 0 ? -1 : open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (in < 0)
		fail(err, n, "read", file);
	else if (out < 0)
		fail(err, n, "create", to);
	else if (copy_fd(in, out) != 0 || fsync(out) != 0)
		fail(err, n, "write", to);
	else
		rc = 0;
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0 && rc == 0)
		rc = fail(err, n, "write", to);
	free(to);
	return rc;
}

static int local_get(cli_store *s, const char *key, int fd, char sha256[65], char *err, size_t n)
{
	char *from = path_of(s, key);
	if (!from)
		return fail(err, n, "name", key);
	int in = open(from, O_RDONLY | O_CLOEXEC), rc = -1;
	if (in < 0)
		fail(err, n, "read", from);
	else if (dbc_path_sha256_errno(cli_text_host(), from, 0, NULL, NULL, sha256) != 0)
		fail(err, n, "read", from);
	else if (fd >= 0 && copy_fd(in, fd) != 0)
		fail(err, n, "copy", from);
	else
		rc = 0;
	if (in >= 0)
		close(in);
	free(from);
	return rc;
}

static int local_copy(cli_store *s, const char *from, const char *to, char *err, size_t n)
{
	char *a = path_of(s, from), *b = path_of(s, to);
	int rc = a && b && link(a, b) == 0 ? 0 : fail(err, n, "publish", b ? b : to);
	if (rc == 0) { /* the new name lasts past a power cut */
		int dir = open(s->bucket, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dir >= 0)
			fsync(dir), close(dir);
	}
	free(a), free(b);
	return rc;
}

/* NAME.tmp-XXXXXX beside key (malloc'd), NULL with err */
static char *temporary_key(const char *key, char *err, size_t n)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char bytes[6];
	char suffix[7], *tmp = NULL;
	if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes) {
		fail(err, n, "draw a temporary name for", key);
		return NULL;
	}
	for (int i = 0; i < 6; i++)
		suffix[i] = set[bytes[i] % (sizeof set - 1)];
	suffix[6] = '\0';
	if (asprintf(&tmp, "%s" STORE_TMP_MARK "%s", key, suffix) < 0) {
		snprintf(err, n, "dbcare: out of memory");
		return NULL;
	}
	return tmp;
}

/* file written to tmp, read back and compared, then linked to key */
static int publish_via(cli_store *s, const char *tmp, const char *key, const char *file, char *err,
                       size_t n)
{
	char local[65], back[65];
	if (dbc_path_sha256_errno(cli_text_host(), file, 0, NULL, NULL, local) != 0)
		return fail(err, n, "read", file);
	if (write_copy(s, tmp, file, err, n) != 0 || local_get(s, tmp, -1, back, err, n) != 0)
		return -1;
	if (strcmp(local, back) != 0) {
		snprintf(err, n,
		         "dbcare: the copy of %s in %s reads back other bytes (SHA-256 %s, sent %s): "
		         "not published; check the disk",
		         file, s->label, back, local);
		return -1;
	}
	return local_copy(s, tmp, key, err, n);
}

static int local_publish(cli_store *s, const char *key, const char *file, char *err, size_t n)
{
	char *tmp = temporary_key(key, err, n), *path = tmp ? path_of(s, tmp) : NULL;
	int rc = tmp ? publish_via(s, tmp, key, file, err, n) : -1;
	if (path)
		unlink(path);
	free(tmp), free(path);
	return rc;
}

static int local_del(cli_store *s, const char *key, char *err, size_t n)
{
	char *p = path_of(s, key);
	int rc = p && (unlink(p) == 0 || errno == ENOENT) ? 0 : fail(err, n, "delete", p ? p : key);
	free(p);
	return rc;
}

static int local_list(cli_store *s, char ***names, size_t *count, size_t *cap, char *err, size_t n)
{
	DIR *d = opendir(s->bucket);
	if (!d)
		return fail(err, n, "list", s->bucket);
	struct dirent *e;
	int rc = 0;
	while (rc == 0 && (e = readdir(d)))
		if (e->d_name[0] != '.' &&
		    !store_names_add(names, count, cap, e->d_name, strlen(e->d_name)))
			rc = fail(err, n, "list", s->bucket);
	closedir(d);
	return rc;
}

const store_ops store_local_ops = {
    .publish = local_publish, .get = local_get, .del = local_del, .list = local_list};
