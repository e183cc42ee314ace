/*
 * dotenv.c — a .env file in the current folder, read as dbmate reads it:
 * KEY=VALUE lines (an optional "export ", a value optionally in single or
 * double quotes, # comments and blank lines skipped). A variable already in
 * the environment wins over the file, so DATABASE_URL=... dbcare ... and a
 * CI's settings are never overridden by a developer's .env.
 */
#include "cli/cli.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

void cli_load_dotenv(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return; /* no .env: nothing to read */
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) >= 0) {
		char *s = trim(line);
		if (!*s || *s == '#')
			continue;
		if (strncmp(s, "export ", 7) == 0)
			s = trim(s + 7);
		char *eq = strchr(s, '=');
		if (!eq || eq == s)
			continue;
		*eq = '\0';
		char *key = trim(s), *val = trim(eq + 1);
		size_t n = strlen(val);
		if (n >= 2 && (val[0] == '"' || val[0] == '\'') && val[n - 1] == val[0]) {
			val[n - 1] = '\0';
			val++;
		} else {
			/* an unquoted value ends at a comment */
			char *hash = strstr(val, " #");
			if (hash)
				*hash = '\0';
			val = trim(val);
		}
		bool name_ok = isalpha((unsigned char)*key) || *key == '_';
		for (const char *k = key; *k && name_ok; k++)
			name_ok = isalnum((unsigned char)*k) || *k == '_';
		if (name_ok)
			setenv(key, val, 0);
	}
	free(line);
	fclose(f);
}
