/*
 * version_tally.h — how many databases are at each schema version, as a
 * bounded list: the CLI_VERSION_GROUPS largest groups (a version, pending
 * or not) named, newest first, and the members of all the others counted
 * together as other versions. One rule for the fleet summary (fleet.c) and
 * serve's /metrics, so a fleet spread over many versions never gives one
 * entry (or one series) per member.
 */
#ifndef DBCARE_CLI_VERSION_TALLY_H
#define DBCARE_CLI_VERSION_TALLY_H

#include <stdbool.h>
#include <stddef.h>

#define CLI_VERSION_GROUPS 10

typedef struct cli_version_group {
	const char *version; /* "" when no migration is applied; not copied */
	bool pending;
	int count;
} cli_version_group;

typedef struct cli_version_tally {
	cli_version_group *g; /* after cli_version_tally_end: at most CLI_VERSION_GROUPS */
	int n;
	size_t cap;
	int other_versions, other_count; /* the groups left out, their members */
	int other_ok, other_pending;     /* of those members: not pending, pending */
	bool failed;                     /* out of memory: the tally is incomplete */
} cli_version_tally;

/* Counts one database at version (kept by the caller until the end). */
void cli_version_tally_add(cli_version_tally *t, const char *version, bool pending);
/* Keeps the largest groups, the rest counted as other; newest first. */
void cli_version_tally_end(cli_version_tally *t);
void cli_version_tally_free(cli_version_tally *t);

#endif
