/*
 * live_sql.c — a live statement (live_panels.h) made runnable: its
 * "@schema@" replaced by the schema its `locate` statement found, for the
 * page's panels and serve's query series alike.
 */
#include "live_panels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *cli_live_sql_in(const char *sql, const char *schema)
{
	const char *at = strstr(sql, "@schema@");
	char *out = NULL;
	if (!at)
		return strdup(sql);
	if (asprintf(&out, "%.*s%s%s", (int)(at - sql), sql, schema, at + strlen("@schema@")) < 0)
		return NULL;
	return out;
}
