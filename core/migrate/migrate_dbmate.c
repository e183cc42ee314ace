/*
 * migrate_dbmate.c — splits a dbmate migration file into its up and down
 * blocks (the format is in migrate_dbmate.h). As dbmate reads it: a
 * directive is a line starting with "--", optional blanks and
 * "migrate:up" / "migrate:down", then nothing or blank-separated options;
 * before "-- migrate:up" only blank and comment lines may stand.
 */
#include "migrate/migrate_dbmate.h"

#include <string.h>

typedef enum { LINE_OTHER, LINE_UP, LINE_DOWN } line_kind;

typedef struct {
	line_kind kind;
	bool no_transaction; /* transaction:false */
	bool bad_option;
} directive;

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Reads the options after a directive word: [blank option]... to the end of
 * the line at end. */
static void read_options(const char *p, const char *end, directive *d)
{
	while (p < end) {
		while (p < end && blank(*p))
			p++;
		const char *w = p;
		while (p < end && !blank(*p))
			p++;
		size_t n = (size_t)(p - w);
		if (n == 0)
			break;
		if (n == 17 && memcmp(w, "transaction:false", 17) == 0)
			d->no_transaction = true;
		else if (!(n == 16 && memcmp(w, "transaction:true", 16) == 0))
			d->bad_option = true;
	}
}

static directive read_directive(const char *line, const char *end)
{
	directive d = {LINE_OTHER, false, false};
	const char *p = line;
	if (end - p < 2 || p[0] != '-' || p[1] != '-')
		return d;
	p += 2;
	while (p < end && blank(*p))
		p++;
	static const char up[] = "migrate:up", down[] = "migrate:down";
	size_t n;
	if ((size_t)(end - p) >= sizeof up - 1 && memcmp(p, up, sizeof up - 1) == 0)
		d.kind = LINE_UP, n = sizeof up - 1;
	else if ((size_t)(end - p) >= sizeof down - 1 && memcmp(p, down, sizeof down - 1) == 0)
		d.kind = LINE_DOWN, n = sizeof down - 1;
	else
		return d;
	p += n;
	if (p < end && !blank(*p)) /* "-- migrate:upgrade" is a comment */
		return (directive){LINE_OTHER, false, false};
	read_options(p, end, &d);
	return d;
}

/* True when line..end is blank or a "--" comment. */
static bool ignorable(const char *line, const char *end)
{
	while (line < end && (blank(*line) || *line == '\f' || *line == '\v'))
		line++;
	return line == end || (end - line >= 2 && line[0] == '-' && line[1] == '-');
}

static char *block(dbc_ctx *ctx, const char *start, const char *end, bool no_transaction)
{
	return dbc_printf(ctx, "%s%.*s", no_transaction ? "-- dbcare:no-transaction\n" : "",
	                  (int)(end - start), start);
}

bool dbc_migrate_dbmate_marked(const char *text)
{
	if (strncmp(text, "\xEF\xBB\xBF", 3) == 0) /* a BOM */
		text += 3;
	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		const char *end = nl ? nl : line + strlen(line);
		if (read_directive(line, end).kind == LINE_UP)
			return true;
		line = nl ? nl + 1 : end;
	}
	return false;
}

int dbc_migrate_dbmate_split(dbc_ctx *ctx, const char *text, char **up, char **down,
                             const char **why)
{
	const char *up_at = NULL, *down_at = NULL; /* first line of each block */
	const char *up_end = NULL;
	directive up_d = {0}, down_d = {0};
	bool stray = false; /* a line neither blank nor a comment before any directive */
	*up = *down = NULL;
	*why = NULL;
	if (strncmp(text, "\xEF\xBB\xBF", 3) == 0) /* a BOM (an editor's, on Windows) */
		text += 3;
	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		const char *end = nl ? nl : line + strlen(line);
		const char *next = nl ? nl + 1 : end;
		directive d = read_directive(line, end);
		if (d.bad_option) {
			*why = "a dbmate directive has an option other than transaction:false or "
			       "transaction:true";
			return DBC_OK;
		}
		if (d.kind == LINE_UP) {
			if (up_at) {
				*why = "two \"-- migrate:up\" lines";
				return DBC_OK;
			}
			if (down_at) {
				*why = "\"-- migrate:down\" comes before \"-- migrate:up\"";
				return DBC_OK;
			}
			if (stray) {
				*why = "a statement before the \"-- migrate:up\" line (dbmate runs only what "
				       "follows it)";
				return DBC_OK;
			}
			up_d = d;
			up_at = next;
		} else if (d.kind == LINE_DOWN) {
			if (down_at) {
				*why = "two \"-- migrate:down\" lines";
				return DBC_OK;
			}
			if (!up_at) {
				*why = "\"-- migrate:down\" comes before \"-- migrate:up\"";
				return DBC_OK;
			}
			down_d = d;
			up_end = line;
			down_at = next;
		} else if (!up_at && !ignorable(line, end)) {
			stray = true; /* refused below: with no up block, for that */
		}
		line = next;
	}
	if (!up_at) {
		*why = "a dbmate file (<version>_<name>.sql) without a \"-- migrate:up\" line";
		return DBC_OK;
	}
	*up = block(ctx, up_at, up_end ? up_end : up_at + strlen(up_at), up_d.no_transaction);
	if (down_at)
		*down = block(ctx, down_at, down_at + strlen(down_at), down_d.no_transaction);
	return ctx->failed || !*up || (down_at && !*down) ? DBC_ERROR : DBC_OK;
}
