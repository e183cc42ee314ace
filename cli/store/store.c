/*
 * store.c — a destination opened from its text, and the operations every
 * caller uses over each kind's primitives (store_local.c, store_s3.c):
 * the upload (each kind publishes atomically: store_private.h), the
 * download into a new file, the listing without temporary names.
 */
#include "store_private.h"
#include "cli/common/files.h"
#include "settings/settings.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_MARK STORE_TMP_MARK

bool cli_store_is_url(const char *text)
{
	return dbc_setting_is_store_url(text);
}

/* "a/b" -> "a/b/", "" stays "" */
static char *as_prefix(const char *p, size_t len)
{
	while (len > 0 && p[0] == '/')
		p++, len--;
	while (len > 0 && p[len - 1] == '/')
		len--;
	char *out = malloc(len + 2);
	if (!out)
		return NULL;
	memcpy(out, p, len);
	if (len)
		out[len++] = '/';
	out[len] = '\0';
	return out;
}

/* Whether b (len bytes) is a bucket name by S3's rules: 3 to 63 of
 * [a-z0-9.-], starting and ending with a letter or digit, no "..". Only
 * such a name goes into a URL: any other byte ('#', '@', '/', ':') could
 * send the signed request to another host. */
static bool bucket_name_ok(const char *b, size_t len)
{
	if (len < 3 || len > 63 || b[0] == '.' || b[0] == '-' || b[len - 1] == '.' || b[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = b[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
			return false;
		if (c == '.' && i + 1 < len && b[i + 1] == '.')
			return false;
	}
	return true;
}

cli_store *cli_store_open(const char *dest, char *err, size_t n)
{
	cli_store *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, n, "dbcare: out of memory opening %s", dest);
		return NULL;
	}
	if (strncmp(dest, "azure://", 8) == 0) {
		/* azure://CONTAINER[/PREFIX]: the container checked and the
		 * account read by store_azure_open */
		const char *c = dest + 8, *slash = strchr(c, '/');
		s->ops = &store_azure_ops;
		s->bucket = strndup(c, slash ? (size_t)(slash - c) : strlen(c));
		s->prefix = as_prefix(slash ? slash : "", slash ? strlen(slash) : 0);
		if (!s->bucket || !s->prefix || store_azure_open(s, dest, err, n) != 0) {
			if (!s->bucket || !s->prefix)
				snprintf(err, n, "dbcare: out of memory opening %s", dest);
			cli_store_close(s);
			return NULL;
		}
	} else if (cli_store_is_url(dest)) {
		const char *b = dest + 5, *slash = strchr(b, '/');
		size_t blen = slash ? (size_t)(slash - b) : strlen(b);
		if (blen == 0) {
			snprintf(err, n, "dbcare: %s names no bucket: write s3://BUCKET/PREFIX", dest);
			free(s);
			return NULL;
		}
		if (!bucket_name_ok(b, blen)) {
			snprintf(err, n,
			         "dbcare: %.*s in %s is no S3 bucket name: write 3 to 63 of a-z, 0-9, '.' "
			         "and '-', starting and ending with a letter or digit, without \"..\"",
			         (int)(blen > 80 ? 80 : blen), b, dest);
			free(s);
			return NULL;
		}
		s->ops = &store_s3_ops;
		s->bucket = strndup(b, blen);
		s->prefix = as_prefix(slash ? slash : "", slash ? strlen(slash) : 0);
		if (store_aws_load(&s->aws, err, n) != 0) {
			cli_store_close(s);
			return NULL;
		}
	} else {
		struct stat st;
		if (stat(dest, &st) != 0 || !S_ISDIR(st.st_mode)) {
			snprintf(err, n, "dbcare: the destination %s is no folder: create it first", dest);
			free(s);
			return NULL;
		}
		s->ops = &store_local_ops;
		s->bucket = strdup(dest);
		s->prefix = strdup("");
	}
	s->label = strdup(dest);
	if (!s->bucket || !s->prefix || !s->label) {
		snprintf(err, n, "dbcare: out of memory opening %s", dest);
		cli_store_close(s);
		return NULL;
	}
	return s;
}

cli_store *cli_store_open_object(const char *url, char **name, char *err, size_t n)
{
	const char *slash = strrchr(url, '/');
	*name = NULL;
	if (!slash || slash[1] == '\0' || (cli_store_is_url(url) && slash < strstr(url, "://") + 3) ||
	    strstr(slash, TMP_MARK)) {
		snprintf(err, n, "dbcare: %s names no backup object: write %s", url,
		         strncmp(url, "azure://", 8) == 0 ? "azure://CONTAINER/PREFIX/NAME"
		                                          : "s3://BUCKET/PREFIX/NAME");
		return NULL;
	}
	char *dest = strndup(url, (size_t)(slash - url));
	if (!dest || !(*name = strdup(slash + 1))) {
		free(dest);
		snprintf(err, n, "dbcare: out of memory");
		return NULL;
	}
	/* s3://bucket/NAME: the bucket's top */
	cli_store *s = cli_store_open(
	    strcmp(dest, "s3:/") == 0 || strcmp(dest, "azure:/") == 0 ? url : dest, err, n);
	free(dest);
	if (!s) {
		free(*name);
		*name = NULL;
	}
	return s;
}

void cli_store_close(cli_store *s)
{
	if (!s)
		return;
	store_aws_free(&s->aws);
	store_azure_free(s->azure);
	free(s->label), free(s->bucket), free(s->prefix);
	free(s);
}

const char *cli_store_label(const cli_store *s)
{
	return s->label;
}

const char *cli_store_checked_how(const cli_store *s)
{
	if (s->ops == &store_azure_ops)
		return "its MD5 checked by the store, the blob's read back";
	return s->ops == &store_s3_ops ? "each part's MD5 checked by the store"
	                               : "read back, SHA-256 checked";
}

bool cli_store_name_ok(const char *name)
{
	size_t len = strlen(name);
	return len > 0 && len <= 255 && name[0] != '.' && !strchr(name, '/') && !strstr(name, TMP_MARK);
}

static char *key_of(const cli_store *s, const char *name)
{
	char *key = NULL;
	return asprintf(&key, "%s%s", s->prefix, name) < 0 ? NULL : key;
}

int cli_store_put_file(cli_store *s, const char *name, const char *file, char *err, size_t n)
{
	if (strchr(name, '/') || strstr(name, TMP_MARK) || !*name) {
		snprintf(err, n, "dbcare: %s is no name for a backup object", name);
		return -1;
	}
	char *key = key_of(s, name);
	if (!key) {
		snprintf(err, n, "dbcare: out of memory");
		return -1;
	}
	int rc = s->ops->publish(s, key, file, err, n);
	free(key);
	return rc;
}

int cli_store_get_file(cli_store *s, const char *name, const char *path, char *err, size_t n)
{
	char *key = key_of(s, name), sha[65];
	if (!key) {
		snprintf(err, n, "dbcare: out of memory");
		return -1;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, n, "dbcare: cannot create %s to download %s/%s: %s", path, s->label, name,
		         strerror(errno));
		free(key);
		return -1;
	}
	int rc = s->ops->get(s, key, fd, sha, err, n);
	if (rc == 0 && fsync(fd) != 0) {
		snprintf(err, n, "dbcare: cannot sync %s: %s", path, strerror(errno));
		rc = -1;
	}
	if (close(fd) != 0 && rc == 0) {
		snprintf(err, n, "dbcare: cannot write %s: %s", path, strerror(errno));
		rc = -1;
	}
	if (rc != 0)
		unlink(path);
	free(key);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cli_store_list(cli_store *s, char ***names, size_t *count, char *err, size_t n)
{
	size_t cap = 0;
	*names = NULL, *count = 0;
	if (s->ops->list(s, names, count, &cap, err, n) != 0) {
		cli_store_names_free(*names, *count);
		*names = NULL, *count = 0;
		return -1;
	}
	/* the keys under the prefix become names; temporary keys and deeper
	 * folders are left out */
	size_t plen = strlen(s->prefix), kept = 0;
	for (size_t i = 0; i < *count; i++) {
		char *k = (*names)[i];
		const char *rest = strncmp(k, s->prefix, plen) == 0 ? k + plen : NULL;
		if (rest && *rest && !strchr(rest, '/') && !strstr(rest, TMP_MARK)) {
			memmove(k, rest, strlen(rest) + 1);
			(*names)[kept++] = k;
		} else {
			free(k);
		}
	}
	*count = kept;
	cli_store_names_sort(*names, *count);
	return 0;
}

void cli_store_names_sort(char **names, size_t count)
{
	if (count > 1)
		qsort(names, count, sizeof *names, by_name);
}

bool cli_store_names_has(char *const *names, size_t count, const char *name)
{
	return count > 0 && bsearch(&name, names, count, sizeof *names, by_name) != NULL;
}

void cli_store_names_free(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

int cli_store_delete(cli_store *s, const char *name, char *err, size_t n)
{
	char *key = key_of(s, name);
	if (!key) {
		snprintf(err, n, "dbcare: out of memory");
		return -1;
	}
	int rc = s->ops->del(s, key, err, n);
	free(key);
	return rc;
}
