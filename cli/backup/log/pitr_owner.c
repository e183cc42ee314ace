/*
 * pitr_owner.c — every closed segment of a log belongs to the log's
 * database: its record (log-<seq>.json) names the database it was captured
 * from ("identity", "database": sqlite/pitr/pitr_segment.c), which must be the
 * one DIR/log.identity names (sqlite/pitr/pitr_identity.c). A segment copied in
 * from another database's log (or a log.identity copied over ours) is
 * refused, naming both databases, before any of its records is read: the
 * restore would otherwise return the other database's rows. A segment
 * recorded while its database had no identity yet ("-") belongs when its
 * path is the log's (the database has gained its identity since). A log
 * without log.identity takes the first segment that names a database as
 * its owner: its segments must still agree. A record without these fields
 * (an earlier build) cannot be told, and is read as before.
 */
#include "pitr.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* DIR/log.identity ("identity ID\npath PATH\n") into o: 1, 0 when there is
 * none, -1 after saying why (unreadable, not such a file). */
int pitr_owner_load(const char *dir, pitr_owner *o)
{
	memset(o, 0, sizeof *o);
	char path[PATH_MAX], text[8193];
	snprintf(path, sizeof path, "%s/log.identity", dir);
	int fd = pitr_file_open(path, NULL);
	if (fd < 0 && errno == ENOENT)
		return 0;
	ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
	int err = errno;
	if (fd >= 0)
		close(fd);
	if (n < 0) {
		cli_errorf("cannot read %s: %s", path, pitr_file_strerror(err));
		return -1;
	}
	text[n] = '\0';
	char *nl = strchr(text, '\n'), *p = nl ? nl + 1 : NULL, *end = p ? strchr(p, '\n') : NULL;
	if (strncmp(text, "identity ", 9) != 0 || !p || strncmp(p, "path ", 5) != 0 || !end) {
		cli_errorf("%s is not a dbcare log identity (\"identity ID\" and \"path PATH\" lines)",
		           path);
		return -1;
	}
	*nl = *end = '\0';
	o->identity = strdup(text + 9);
	o->database = strdup(p + 5);
	o->from_file = true;
	return o->identity && o->database ? 1 : -1;
}

void pitr_owner_free(pitr_owner *o)
{
	free(o->identity);
	free(o->database);
	memset(o, 0, sizeof *o);
}

/* Whether (identity, database) is o's database: the same identity and
 * path, or no identity yet at o's path. */
static bool owned(const pitr_owner *o, const char *identity, const char *database)
{
	if (strcmp(database, o->database) != 0)
		return false;
	return strcmp(identity, o->identity) == 0 || strcmp(identity, "-") == 0 ||
	       strcmp(o->identity, "-") == 0;
}

int pitr_owner_check(pitr_owner *o, const char *dir, const char *seg, json_t *doc)
{
	const char *identity = json_string_value(json_object_get(doc, "identity")),
	           *database = json_string_value(json_object_get(doc, "database"));
	if (!identity || !database)
		return 0; /* written by an earlier build: cannot be told */
	if (!o->database) {
		o->identity = strdup(identity);
		o->database = strdup(database);
		return o->identity && o->database ? 0 : -1;
	}
	if (owned(o, identity, database))
		return 0;
	cli_errorf("the log segment %s is of another database: its record names database %s "
	           "(identity %s), but the log in %s is of database %s (identity %s%s): a file "
	           "copied in from another database's log; nothing of it is read (move it back "
	           "to its own log directory)",
	           seg, database, identity, dir, o->database, o->identity,
	           o->from_file ? ", log.identity" : ", its first segment");
	return -1;
}
