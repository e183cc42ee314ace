/*
 * pin.c — the files a --db glob found, pinned at start (pin.h): their
 * device and inode, checked again at every open.
 */
#include "pin.h"
#include "cli/common/output.h"

#include "base/heap_grow.h"

#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static cli_pin *pins;
static size_t npins, pins_cap;

static int add_pin(const char *path, size_t from, dev_t dev, ino_t ino, bool nofollow)
{
	char *copy = strdup(path);
	if (!copy || !dbc_heap_reserve(&pins, npins + 1, &pins_cap, sizeof(cli_pin), 16)) {
		free(copy);
		return -1;
	}
	pins[npins++] =
	    (cli_pin){.path = copy, .from = from, .dev = dev, .ino = ino, .nofollow = nofollow};
	return 0;
}

/* Whether a folder of path that ends before `from` is a symlink (a
 * relative path's: the current folder is a physical path). */
static bool linked_before(const char *path, size_t from)
{
	char prefix[PATH_MAX];
	for (size_t end = 1; end < from && end < sizeof prefix; end++) {
		if (path[end] != '/')
			continue;
		struct stat st;
		memcpy(prefix, path, end);
		prefix[end] = '\0';
		if (lstat(prefix, &st) == 0 && S_ISLNK(st.st_mode))
			return true;
	}
	return false;
}

int cli_pin_file(const char *path, size_t from)
{
	struct stat st;
	if (lstat(path, &st) != 0) {
		cli_errorf("cannot read \"%s\": %s", path, strerror(errno));
		return -1;
	}
	return add_pin(path, from, st.st_dev, st.st_ino, !linked_before(path, from));
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const cli_pin *)a)->path, ((const cli_pin *)b)->path);
}

void cli_pins_sort(void)
{
	if (npins > 1)
		qsort(pins, npins, sizeof(cli_pin), by_path);
}

const cli_pin *cli_pin_find(const char *path)
{
	cli_pin key = {.path = (char *)path};
	return npins ? bsearch(&key, pins, npins, sizeof(cli_pin), by_path) : NULL;
}

static char *message(const char *f, const char *path, const char *link)
{
	char *s = NULL, *ep = cli_text_escaped(path), *el = link ? cli_text_escaped(link) : NULL;
	if (asprintf(&s, f, ep ? ep : "?", el ? el : "?") < 0)
		s = NULL;
	free(ep);
	free(el);
	return s;
}

int cli_pin_check(const cli_pin *p, char **err)
{
	/* each component the glob matched, the folders and then the file; a
	 * message that cannot be made (out of memory) still refuses */
	size_t n = strlen(p->path);
	char prefix[PATH_MAX];
	struct stat st = {0};
	*err = NULL;
	if (n >= sizeof prefix) {
		*err = message("dbcare: \"%s\": the path is too long", p->path, NULL);
		return -1;
	}
	for (size_t end = p->from; end <= n; end++) {
		if ((end < n && p->path[end] != '/') || end == 0)
			continue;
		memcpy(prefix, p->path, end);
		prefix[end] = '\0';
		int got = lstat(prefix, &st);
		if (got == 0 && S_ISLNK(st.st_mode)) {
			*err = message(
			    end == n ? "dbcare: \"%s\" is now a symlink, not the file the --db glob found at "
			               "start: not opened (--follow-symlinks follows symlinks)"
			             : "dbcare: \"%s\" is now reached through the symlink \"%s\", not the "
			               "file the --db glob found at start: not opened (--follow-symlinks "
			               "follows symlinks)",
			    p->path, prefix);
			return -1;
		}
		if (got != 0) {
			*err = message("dbcare: \"%s\", a file the --db glob found at start, is gone", p->path,
			               NULL);
			return -1;
		}
	}
	if (st.st_dev != p->dev || st.st_ino != p->ino) {
		*err = message("dbcare: \"%s\" is another file than the one the --db glob found at "
		               "start (replaced since): not opened",
		               p->path, NULL);
		return -1;
	}
	return 0;
}

char *cli_pin_to_env(const cli_pin *p)
{
	char *s = NULL;
	if (asprintf(&s, "%" PRIuMAX ":%" PRIuMAX ":%zu:%d", (uintmax_t)p->dev, (uintmax_t)p->ino,
	             p->from, p->nofollow) < 0)
		return NULL;
	return s;
}

int cli_pin_from_env(const char *path, const char *value)
{
	uintmax_t dev, ino;
	size_t from;
	int nofollow;
	char end;
	if (sscanf(value, "%" SCNuMAX ":%" SCNuMAX ":%zu:%d%c", &dev, &ino, &from, &nofollow, &end) !=
	        4 ||
	    from > strlen(path)) {
		cli_errorf("%s is not DEV:INO:FROM:NOFOLLOW of %s", CLI_PIN_ENV, path);
		return -1;
	}
	return add_pin(path, from, (dev_t)dev, (ino_t)ino, nofollow != 0);
}
