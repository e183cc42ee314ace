/*
 * migrate_text.c — control characters in registered names (see
 * migrate_text.h for why they are refused).
 */
#include "migrate/migrate_text.h"

bool dbc_migrate_text_has_control(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	for (; p && *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return true;
		/* C1 controls U+0080..U+009F are C2 80..C2 9F in UTF-8 */
		if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
			return true;
		/* U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR: E2 80 A8/A9 */
		if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9))
			return true;
	}
	return false;
}

char *dbc_migrate_text_printable(dbc_ctx *ctx, const char *s)
{
	char *out = dbc_strdup(ctx, s);
	for (unsigned char *p = (unsigned char *)out; p && *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
		else if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
			p[0] = p[1] = '?';
		else if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9))
			p[0] = p[1] = p[2] = '?';
	}
	return out;
}

int dbc_migrate_check_name(dbc_ctx *ctx, const char *name, const char *what)
{
	if (!dbc_migrate_text_has_control(name))
		return DBC_OK;
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
	          "%s contains a control character (a line break, "
	          "tab or other non-printing character)",
	          what);
	dbc_error_detail(ctx, "dbmigrate_script() writes names into psql and sqlite3 scripts, where "
	                      "a line break would start a line the shell runs as a command.");
	dbc_error_hint(ctx, "Use a name of printable characters only.");
	return DBC_ERROR;
}
