/*
 * origin.c — whether a backup file is the backup of a given database: the
 * one rule the SQLite module's verification and drill, the command's
 * verification of a sealed dump and its restore of a backup file all apply
 * (container.h, dbc_container_origin_matches), to a sealed file's header
 * and to the origin a plain SQLite copy carries in itself (its stamp and
 * its bookkeeping's identity). Engine-free: the callers read what the
 * database says (its identity, its file or name, the catalog row's path)
 * and what the file says, and print the answer their own way.
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

/* How a header that names a published path differs from the database
 * want describes, the first difference in this order. */
typedef enum origin_verdict {
	SAME,
	OTHER_PATH,     /* published under another path than the row's */
	OTHER_IDENTITY, /* of another database */
	OTHER_FILE,     /* of a copy or clone (the identity is kept) not named */
	NO_IDENTITY,    /* a target never backed up: nothing to compare */
} origin_verdict;

/* Whether the user named the header's database as the other origin. */
static bool allowed(const dbc_container_origin *got, const dbc_container_expect *want)
{
	return want->allowed && want->allowed[0] && strcmp(got->file, want->allowed) == 0;
}

/* A catalog row's file is held to the row's database whatever the user
 * says (another database's file copied over it is the attack); a restore
 * target takes another identity's backup when the user named its
 * database: the database was made again (an application that started
 * before the operator restored), and this is its former life's backup. */
static origin_verdict judge(const dbc_container_origin *got, const dbc_container_expect *want)
{
	if (want->published && strcmp(got->published, want->published) != 0)
		return OTHER_PATH;
	if (got->identity && want->identity && strcmp(got->identity, want->identity) != 0 &&
	    (want->published || !allowed(got, want)))
		return OTHER_IDENTITY;
	if (want->file && strcmp(got->file, want->file) != 0 && !allowed(got, want))
		return OTHER_FILE;
	if (!want->published && got->identity && !want->identity && !allowed(got, want))
		return NO_IDENTITY;
	return SAME;
}

/* The message of a verdict other than SAME (got as shown). */
static char *say(origin_verdict v, const dbc_container_origin *got,
                 const dbc_container_expect *want)
{
	const char *ours = named(want->file), *theirs = named(got->file);
	/* a plain copy is not sealed: "the backup of", not "the sealed backup of" */
	const char *sealed = want->plain ? "" : "sealed ";
	const char *kind = want->kind ? want->kind : "backup";
	const char *subject = want->subject ? want->subject : "it";
	const char *catalogues = want->published ? " that catalogues it" : "";
	switch (v) {
	case OTHER_PATH:
		return text("%s is the %s%s of database %s published as %s, not the one this "
		            "database %s catalogues as %s",
		            subject, sealed, kind, theirs, got->published, ours, want->published);
	case OTHER_IDENTITY:
		return text("%s is the %s%s of database %s (identity %s), not of this database %s "
		            "(identity %s)%s%s%s",
		            subject, sealed, kind, theirs, got->identity, ours, want->identity, catalogues,
		            /* a restore target: the user may say it is that database made again */
		            want->published ? ""
		                            : "; if this database was made again in its place, name "
		                              "that origin: --allow-origin ",
		            want->published ? "" : theirs);
	case OTHER_FILE:
		/* a dump is the command's alone: no SQL function reads one */
		return text("%s is the %s%s of database %s, not of this database %s%s%s; if this "
		            "database moved or was renamed from %s, name that origin: --allow-origin %s%s",
		            subject, sealed, kind, theirs, ours, catalogues,
		            got->identity && want->identity ? " (a copy keeps the identity)" : "", theirs,
		            theirs,
		            strcmp(kind, "dump") == 0 ? ""
		                                      : " (" DBC_CONTAINER_ALLOW_ORIGIN_ENV
		                                        " for the SQL functions)");
	case NO_IDENTITY:
		return text("%s is the %s%s of database %s (identity %s); this database %s has no "
		            "identity yet (it was never backed up) to compare it with; to replace it "
		            "anyway, name that origin: --allow-origin %s",
		            subject, sealed, kind, theirs, got->identity, ours, theirs);
	case SAME:
		break;
	}
	return NULL;
}

bool dbc_container_origin_matches(const char *origin, const dbc_container_expect *want, char **why)
{
	char *copy = strdup(origin ? origin : "");
	dbc_container_origin got;
	const char *subject = want->subject ? want->subject : "it";
	origin_verdict v = SAME;
	*why = NULL;
	if (!copy)
		return false; /* out of memory: refused, without a message */
	if (!dbc_container_origin_split(copy, &got)) {
		/* no published path: sealed before origins named one */
		if (!want->pathless_ok && want->published) {
			v = OTHER_PATH;
			*why = text("%s names no origin this module writes (this database %s catalogues "
			            "it as %s)",
			            strcmp(subject, "it") == 0 ? "its header" : subject, named(want->file),
			            want->published);
		}
	} else if ((v = judge(&got, want)) != SAME) {
		shown(&got); /* compared as read, quoted without control bytes */
		*why = say(v, &got, want);
	}
	free(copy);
	return v == SAME;
}

const char *dbc_container_allowed_origin(void)
{
	const char *allowed = getenv(DBC_CONTAINER_ALLOW_ORIGIN_ENV);
	return allowed && allowed[0] ? allowed : NULL;
}
