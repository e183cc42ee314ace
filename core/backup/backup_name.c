/*
 * backup_name.c — the name a backup made without a path gets
 * (backup_name.h). Invariant: no allocation and no context, so the module
 * and the command share it as it is.
 */
#include "backup/backup_name.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

const char *dbc_backup_file_stem(const char *file, size_t *len)
{
	if (!file || !file[0]) {
		*len = strlen("memory");
		return "memory";
	}
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	const char *dot = strrchr(base, '.');
	*len = dot && dot > base ? (size_t)(dot - base) : strlen(base);
	return base;
}

int dbc_backup_default_name(char *buf, size_t n, const char *dir, const char *name, size_t name_len,
                            const char *ext)
{
	struct timespec ts;
	struct tm tm;
	char stamp[40];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
	size_t d = strlen(dir);
	int w = snprintf(buf, n, "%s%s%.*s-%s%03ldZ%s", dir, d && dir[d - 1] != '/' ? "/" : "",
	                 (int)name_len, name, stamp, ts.tv_nsec / 1000000, ext);
	return w >= 0 && (size_t)w < n ? 0 : -1;
}
