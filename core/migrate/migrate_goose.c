/*
 * migrate_goose.c — splits a goose migration file into its up and down
 * blocks (the format is in migrate_goose.h). As goose reads it: an
 * annotation is a line "--", optional blanks, "+goose", blanks and a word
 * in any letter case; before "-- +goose Up" only blank lines, comments and
 * "-- +goose NO TRANSACTION" may stand.
 */
#include "migrate/migrate_goose.h"

#include <string.h>
#include <strings.h>

typedef enum {
	NOTE_NONE, /* no annotation: SQL or a comment */
	NOTE_UP,
	NOTE_DOWN,
	NOTE_GROUP, /* StatementBegin, StatementEnd */
	NOTE_NO_TX,
	NOTE_ENVSUB,
	NOTE_UNKNOWN
} note;

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool word_is(const char *p, const char *end, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(end - p) < n || strncasecmp(p, word, n) != 0)
		return false;
	for (p += n; p < end; p++)
		if (!blank(*p))
			return false;
	return true;
}

static note read_note(const char *line, const char *end)
{
	const char *p = line;
	if (end - p < 2 || p[0] != '-' || p[1] != '-')
		return NOTE_NONE;
	for (p += 2; p < end && blank(*p); p++)
		;
	if (end - p < 6 || memcmp(p, "+goose", 6) != 0)
		return NOTE_NONE;
	for (p += 6; p < end && blank(*p); p++)
		;
	if (word_is(p, end, "up"))
		return NOTE_UP;
	if (word_is(p, end, "down"))
		return NOTE_DOWN;
	if (word_is(p, end, "statementbegin") || word_is(p, end, "statementend"))
		return NOTE_GROUP;
	if (word_is(p, end, "no transaction"))
		return NOTE_NO_TX;
	if (end - p >= 6 && strncasecmp(p, "envsub", 6) == 0)
		return NOTE_ENVSUB;
	return NOTE_UNKNOWN;
}

/* True when line..end is blank or a "--" comment. */
static bool ignorable(const char *line, const char *end)
{
	while (line < end && (blank(*line) || *line == '\f' || *line == '\v'))
		line++;
	return line == end || (end - line >= 2 && line[0] == '-' && line[1] == '-');
}

bool dbc_migrate_goose_marked(const char *text)
{
	if (strncmp(text, "\xEF\xBB\xBF", 3) == 0) /* a BOM */
		text += 3;
	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		const char *end = nl ? nl : line + strlen(line);
		if (read_note(line, end) != NOTE_NONE)
			return true;
		line = nl ? nl + 1 : end;
	}
	return false;
}

static char *block(dbc_ctx *ctx, const char *start, const char *end, bool no_transaction)
{
	return dbc_printf(ctx, "%s%.*s", no_transaction ? "-- dbcare:no-transaction\n" : "",
	                  (int)(end - start), start);
}

/* Why a line stops the split, or NULL. */
static const char *refusal(note n, const char *up_at, const char *down_at, bool stray)
{
	switch (n) {
	case NOTE_ENVSUB:
		return "goose's ENVSUB annotation substitutes environment variables, which dbcare "
		       "does not: write the values into the file";
	case NOTE_UNKNOWN:
		return "an unknown \"-- +goose\" annotation (goose knows Up, Down, StatementBegin, "
		       "StatementEnd, NO TRANSACTION)";
	case NOTE_UP:
		return up_at     ? "two \"-- +goose Up\" lines"
		       : down_at ? "\"-- +goose Down\" comes before \"-- +goose Up\""
		       : stray   ? "a statement before the \"-- +goose Up\" line (goose runs only what "
		                   "follows it)"
		                 : NULL;
	case NOTE_DOWN:
		return down_at  ? "two \"-- +goose Down\" lines"
		       : !up_at ? "\"-- +goose Down\" comes before \"-- +goose Up\""
		                : NULL;
	default:
		return NULL;
	}
}

int dbc_migrate_goose_split(dbc_ctx *ctx, const char *text, char **up, char **down,
                            const char **why)
{
	const char *up_at = NULL, *down_at = NULL, *up_end = NULL;
	bool stray = false, no_tx = false;
	*up = *down = NULL;
	*why = NULL;
	if (strncmp(text, "\xEF\xBB\xBF", 3) == 0)
		text += 3;
	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		const char *end = nl ? nl : line + strlen(line);
		const char *next = nl ? nl + 1 : end;
		note n = read_note(line, end);
		if ((*why = refusal(n, up_at, down_at, stray)) != NULL)
			return DBC_OK;
		if (n == NOTE_UP)
			up_at = next;
		else if (n == NOTE_DOWN) {
			up_end = line;
			down_at = next;
		} else if (n == NOTE_NO_TX)
			no_tx = true;
		else if (n == NOTE_NONE && !up_at && !ignorable(line, end))
			stray = true;
		line = next;
	}
	if (!up_at) {
		*why = "a goose file without a \"-- +goose Up\" line";
		return DBC_OK;
	}
	*up = block(ctx, up_at, up_end ? up_end : up_at + strlen(up_at), no_tx);
	if (down_at)
		*down = block(ctx, down_at, down_at + strlen(down_at), no_tx);
	return ctx->failed || !*up || (down_at && !*down) ? DBC_ERROR : DBC_OK;
}
