/*
 * options.c — reading one option by its row (options.h): whether a command
 * takes it, reading and checking its value by its type. Below the table
 * (options_list.h, options_table.c), which it never names: the rows' own
 * readers, finding a row and the table's check are beside the table.
 */
#include "options.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("dbcare: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\nrun dbcare --help for the commands and options\n", stderr);
	va_end(ap);
	return CLI_USAGE;
}

/* Whether the space-separated list names word. */
static bool names(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, " ");
		if (len == n && strncmp(p, word, n) == 0)
			return true;
		p += len + strspn(p + len, " ");
	}
	return false;
}

bool cli_option_takes_value(const cli_option *opt)
{
	return opt->type != CLI_OPT_FLAG && opt->type != CLI_OPT_SWITCH;
}

bool cli_option_listed_for(const cli_option *opt, const char *command)
{
	return opt->commands && names(opt->commands, command);
}

bool cli_option_taken_by(const cli_option *opt, const char *command)
{
	return !opt->commands || opt->everywhere || names(opt->commands, command);
}

/* 60, 60s, 2m or 2min (minutes), 500ms, 1h, 7d, 2w -> seconds; -1 when
 * unreadable. strtod also
 * reads "nan" and "inf", which no deadline can be computed from (a wait
 * that never ends): refused, as is anything beyond a year. */
static double parse_duration(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || !isfinite(v) || v < 0 || v > 366 * 86400.0)
		return -1;
	if (*end == '\0' || strcmp(end, "s") == 0)
		return v;
	if (strcmp(end, "ms") == 0)
		return v / 1000;
	if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		return v * 60 <= 366 * 86400.0 ? v * 60 : -1;
	if (strcmp(end, "w") == 0)
		return v * 604800 <= 366 * 86400.0 ? v * 604800 : -1;
	if (strcmp(end, "h") == 0)
		return v * 3600 <= 366 * 86400.0 ? v * 3600 : -1;
	if (strcmp(end, "d") == 0)
		return v * 86400 <= 366 * 86400.0 ? v * 86400 : -1;
	return -1;
}

static bool positive_int(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end || v < 1 || v > 1000000)
		return false;
	*out = (int)v;
	return true;
}

/* "a|b|c" said as "a, b or c". */
static int choice_error(const cli_option *opt, const char *val)
{
	char said[128];
	size_t n = 0;
	for (const char *p = opt->choices; *p && n + 16 < sizeof said;) {
		size_t len = strcspn(p, "|");
		const char *sep = !p[len] ? "" : strchr(p + len + 1, '|') ? ", " : " or ";
		n += (size_t)snprintf(said + n, sizeof said - n, "%.*s%s", (int)len, p, sep);
		p += len + (p[len] ? 1 : 0);
	}
	return cli_usage_error("--%s is %s, not \"%s\"", opt->name, said, val);
}

static bool is_choice(const char *choices, const char *val)
{
	size_t n = strlen(val);
	for (const char *p = choices; *p;) {
		size_t len = strcspn(p, "|");
		if (len == n && strncmp(p, val, n) == 0)
			return true;
		p += len + (p[len] ? 1 : 0);
	}
	return false;
}

int cli_option_read(const cli_option *opt, const char *val, cli_opts *o, cli_line *line)
{
	char *field = (char *)o + opt->field;
	double secs;
	switch (opt->type) {
	case CLI_OPT_FLAG:
		*(bool *)field = true;
		return CLI_OK;
	case CLI_OPT_TEXT:
		*(const char **)field = val;
		return CLI_OK;
	case CLI_OPT_CHOICE:
		if (!is_choice(opt->choices, val))
			return choice_error(opt, val);
		*(const char **)field = val;
		return CLI_OK;
	case CLI_OPT_COUNT:
		if (!positive_int(val, (int *)field))
			return cli_usage_error("--%s needs a positive number, not \"%s\"", opt->name, val);
		return CLI_OK;
	case CLI_OPT_AGE:
		if (*val && strchr("0123456789.", val[strlen(val) - 1]))
			return cli_usage_error("--%s needs a unit: s, min (or m), h, d or w, such as %s, not "
			                       "\"%s\"",
			                       opt->name, opt->choices, val);
		/* FALLTHROUGH */
	case CLI_OPT_DURATION:
	case CLI_OPT_SPAN:
		secs = parse_duration(val);
		if (secs < 0 || (opt->type != CLI_OPT_DURATION && secs == 0))
			return cli_usage_error("--%s needs a duration%s such as %s, not \"%s\"", opt->name,
			                       opt->type != CLI_OPT_DURATION ? " above 0" : "", opt->choices,
			                       val);
		*(double *)field = secs;
		return CLI_OK;
	case CLI_OPT_CUSTOM:
	case CLI_OPT_SWITCH:
		return opt->read(opt, val, o, line);
	}
	return CLI_USAGE;
}
