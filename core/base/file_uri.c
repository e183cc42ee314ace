/*
 * core/base/file_uri.c — a path as a SQLite file: URI (file_uri.h).
 */
#include "base/file_uri.h"

#include <stdlib.h>
#include <string.h>

char *dbc_file_uri(const char *path, const char *query)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(path), q = strlen(query);
	/* why: no arena here: the command frees the URI with free() after its
	 * open, and so does the module's sweep. "file:", up to three bytes a
	 * path byte, "?", the query, the NUL */
	char *uri = malloc(5 + n * 3 + 1 + q + 1), *w = uri;
	if (!uri)
		return NULL;
	memcpy(w, "file:", 5);
	w += 5;
	for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		    strchr("/._-~", *c)) {
			*w++ = (char)*c;
		} else {
			*w++ = '%';
			*w++ = hex[*c >> 4];
			*w++ = hex[*c & 15];
		}
	}
	*w++ = '?';
	memcpy(w, query, q + 1);
	return uri;
}
