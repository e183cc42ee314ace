/*
 * health_sequence_cap.c — sequence_exhaustion: whether a sequence ends at a
 * MAXVALUE (or, descending, a MINVALUE) of its own, set inside what its type
 * and the column it feeds could hold. Widening columns cannot help such a
 * sequence: nextval fails at its own bound whatever the column's type, and
 * only raising that bound does (core/maintain writes the statement).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "health/health.h"

/* A whole decimal number, or false. */
static bool parse_bound(const char *text, long long *out)
{
	char *end = NULL;
	if (!text || !*text)
		return false;
	errno = 0;
	*out = strtoll(text, &end, 10);
	return errno == 0 && end && *end == '\0';
}

/* The end of a PostgreSQL sequence type that way (0: unknown type). */
static long long type_end(const char *type, bool descending)
{
	if (!type)
		return 0;
	if (strcmp(type, "smallint") == 0)
		return descending ? -32768LL : 32767LL;
	if (strcmp(type, "integer") == 0)
		return descending ? -2147483648LL : 2147483647LL;
	if (strcmp(type, "bigint") == 0)
		return descending ? (-9223372036854775807LL - 1) : 9223372036854775807LL;
	return 0;
}

bool dbc_health_sequence_capped(const dbc_health_object *o, long long *room, bool *type_bound,
                                bool *descending)
{
	long long own, allowed, step;
	if (!parse_bound(o->own_bound, &own) || !parse_bound(o->room_bound, &allowed) ||
	    !parse_bound(o->increment, &step) || step == 0)
		return false;
	*descending = step < 0;
	*room = allowed;
	long long end = type_end(o->type, *descending);
	*type_bound = end != 0 && end == allowed;
	/* the own bound is the limit only when it stops short of the room */
	return *descending ? own > allowed : own < allowed;
}
