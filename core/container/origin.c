/*
 * origin.c — whether a sealed file is the backup of a given database: the
 * one rule the SQLite module's verification, the command's verification of
 * a sealed dump and its restore of a sealed file all apply (container.h,
 * dbc_container_origin_mismatch). Engine-free: the callers read what the
 * database says (its identity, its file or name, the catalog row's path)
 * and print the answer their own way.
 *
 * why (raw heap): engine-free and context-free like container.c (the
 * command links it without a dbc_ctx): the message is malloc'd, its caller
 * frees it.
 */
#include "container/container.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A message in fresh memory; NULL when out of memory. */
__attribute__((format(printf, 1, 2))) static char *text(const char *fmt, ...)
{
	va_list ap, again;
	va_start(ap, fmt);
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (s)
		vsnprintf(s, (size_t)n + 1, fmt, again);
	va_end(again);
	va_end(ap);
	return s;
}

static const char *named(const char *s)
{
	return s && s[0] ? s : "(none)";
}

/* A header's text as a message shows it: a control byte (a terminal's
 * escape) becomes '?'. Only an encrypted file's header is authenticated by
 * its key; another's can be written by anyone who can write the file. */
static void shown(dbc_container_origin *o)
{
	char *fields[3] = {o->identity, o->file, o->published};
	for (int i = 0; i < 3; i++)
		for (char *c = fields[i]; c && *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
}

bool dbc_container_origin_matches(const char *origin, const dbc_container_expect *want, char **why)
{
	char *copy = strdup(origin ? origin : "");
	dbc_container_origin got;
	const char *ours = named(want->file), *kind = want->kind ? want->kind : "backup";
	const char *subject = want->subject ? want->subject : "it";
	bool matches = true;
	*why = NULL;
	if (!copy)
		return false; /* out of memory: refused, without a message */
	if (!dbc_container_origin_split(copy, &got)) {
		/* no published path: sealed before origins named one */
		if (!want->pathless_ok && want->published) {
			matches = false;
			*why = text("%s names no origin this module writes (this database %s catalogues "
			            "it as %s)",
			            strcmp(subject, "it") == 0 ? "its header" : subject, ours, want->published);
		}
	} else if (want->published && strcmp(got.published, want->published) != 0) {
		matches = false;
		shown(&got);
		*why = text("%s is the sealed %s of database %s published as %s, not the one this "
		            "database %s catalogues as %s",
		            subject, kind, named(got.file), got.published, ours, want->published);
	} else if (got.identity && want->identity && strcmp(got.identity, want->identity) != 0) {
		matches = false;
		shown(&got);
		*why = text("%s is the sealed %s of database %s (identity %s), not of this database %s "
		            "(identity %s)%s",
		            subject, kind, named(got.file), got.identity, ours, want->identity,
		            want->published ? " that catalogues it" : "");
	}
	free(copy);
	return matches;
}
