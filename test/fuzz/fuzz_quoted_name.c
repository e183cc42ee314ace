/*
 * fuzz_quoted_name.c — identifier quoting through dbc_quoted_name (schema and
 * name, the input split at its first form feed) with the unit tests' host,
 * which quotes like both engines: the result must be one quoted token per
 * part that unquotes to exactly the input, so no name can end the identifier
 * early and inject SQL.
 */
#include "fuzz.h"
#include "schema/schema.h"

/* Reads one "..."-quoted identifier at *p; NULL if *p is not one. */
static char *unquote(dbc_ctx *ctx, const char **p)
{
	const char *s = *p;
	if (*s != '"')
		return NULL;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	for (s++;; s++) {
		if (*s == '\0')
			return NULL;
		if (*s == '"') {
			if (s[1] != '"')
				break;
			s++;
		}
		dbc_buf_appendc(&b, *s);
	}
	*p = s + 1;
	return dbc_buf_finish(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	char *text = fuzz_cstr(&ctx, data, size);
	char *split = strchr(text, '\f');
	const char *schema = NULL, *name = text;
	if (split) {
		*split = '\0';
		schema = text;
		name = split + 1;
	}
	char *q = dbc_quoted_name(&ctx, schema, name);
	FUZZ_ASSERT(q, "quoting succeeds");
	const char *p = q;
	if (schema) {
		char *s = unquote(&ctx, &p);
		FUZZ_ASSERT(s && strcmp(s, schema) == 0, "the schema part unquotes to the schema");
		FUZZ_ASSERT(*p == '.', "one dot between the parts");
		p++;
	}
	char *n = unquote(&ctx, &p);
	FUZZ_ASSERT(n && strcmp(n, name) == 0, "the name part unquotes to the name");
	FUZZ_ASSERT(*p == '\0', "nothing follows the quoted name");
	char *qual = dbc_qualified_name(&ctx, schema, name);
	FUZZ_ASSERT(qual && strlen(qual) == (schema ? strlen(schema) + 1 : 0) + strlen(name),
	            "the display name is schema.name");
	dbc_ctx_finish(&ctx);
	return 0;
}
