/*
 * rows.c — the result rows and errors both drivers fill.
 */
#include "cli/driver/driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *cli_cell(const cli_rows *r, int row, int col)
{
	if (!r || row < 0 || row >= r->nrows || col < 0 || col >= r->ncols)
		return NULL;
	return r->cells[(size_t)row * (size_t)r->ncols + (size_t)col];
}

int cli_col(const cli_rows *r, const char *name)
{
	for (int c = 0; r && c < r->ncols; c++)
		if (strcmp(r->names[c], name) == 0)
			return c;
	return -1;
}

void cli_bool_column(cli_rows *r, const char *name)
{
	int c = cli_col(r, name);
	if (c < 0)
		return;
	r->types[c] = CLI_T_BOOL;
	for (int i = 0; i < r->nrows; i++) {
		char **cell = &r->cells[(size_t)i * (size_t)r->ncols + (size_t)c];
		if (*cell && (strcmp(*cell, "0") == 0 || strcmp(*cell, "1") == 0)) {
			char *v = strdup(**cell == '1' ? "true" : "false");
			if (v) {
				free(*cell);
				*cell = v;
			}
		}
	}
}

void cli_rows_free(cli_rows *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->cells && i < (size_t)r->nrows * (size_t)r->ncols; i++)
		free(r->cells[i]);
	for (int c = 0; r->names && c < r->ncols; c++)
		free(r->names[c]);
	free(r->cells);
	free(r->names);
	free(r->types);
	memset(r, 0, sizeof(*r));
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

void cli_error_clear(cli_db *db)
{
	free(db->error.message);
	free(db->error.detail);
	free(db->error.hint);
	memset(&db->error, 0, sizeof(db->error));
}

void cli_error_set(cli_db *db, const char *sqlstate, const char *message, const char *detail,
                   const char *hint)
{
	cli_error_clear(db);
	db->error.message = strdup(message && *message ? message : "unknown error");
	db->error.detail = dup_or_null(detail);
	db->error.hint = dup_or_null(hint);
	if (sqlstate)
		strncpy(db->error.sqlstate, sqlstate, sizeof(db->error.sqlstate) - 1);
	/* engine messages end with a line break (libpq's): output adds its own */
	size_t n = strlen(db->error.message);
	while (n && (db->error.message[n - 1] == '\n' || db->error.message[n - 1] == ' '))
		db->error.message[--n] = '\0';
}

int cli_exec(cli_db *db, const char *sql)
{
	return db->drv->query(db, sql, 0, NULL, NULL);
}

char *cli_time_rfc3339(const char *v)
{
	/* PostgreSQL's ISO DateStyle: 2026-01-02 03:04:05[.ffffff]+01[:30[:15]] */
	int y, mo, d, h, mi, sec, n = 0;
	if (sscanf(v, "%4d-%2d-%2d %2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
		return NULL;
	const char *p = v + n;
	int ms = 0;
	if (*p == '.') {
		int digits = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 3)
				ms = ms * 10 + (*p - '0');
		for (; digits < 3; digits++)
			ms *= 10;
	}
	int sign = *p == '+' ? 1 : *p == '-' ? -1 : 0, oh = 0, om = 0, os = 0;
	if (!sign || sscanf(p + 1, "%2d", &oh) != 1)
		return NULL;
	p += 3;
	if (*p == ':' && sscanf(p + 1, "%2d", &om) == 1)
		p += 3;
	if (*p == ':' && sscanf(p + 1, "%2d", &os) == 1)
		p += 3;
	if (*p) /* " BC", or anything else: left as it is */
		return NULL;
	struct tm tm = {.tm_year = y - 1900,
	                .tm_mon = mo - 1,
	                .tm_mday = d,
	                .tm_hour = h,
	                .tm_min = mi,
	                .tm_sec = sec};
	time_t t = timegm(&tm) - sign * (oh * 3600 + om * 60 + os);
	struct tm u;
	if (!gmtime_r(&t, &u))
		return NULL;
	char *out = malloc(32);
	if (out && snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", u.tm_year + 1900,
	                    u.tm_mon + 1, u.tm_mday, u.tm_hour, u.tm_min, u.tm_sec, ms) >= 32) {
		free(out);
		return NULL;
	}
	return out;
}
