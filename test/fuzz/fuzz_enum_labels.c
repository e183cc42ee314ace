/*
 * fuzz_enum_labels.c — the generator's reading of enum definitions
 * (core/migrate/generate_enum.c): the input, split at its first form feed,
 * is a live and a desired "ENUM (...)" definition. Whether the desired one
 * only adds labels must be asymmetric and never hold for a definition and
 * itself; where it holds, the plan step is one ALTER TYPE ... ADD VALUE per
 * added label and a reverse that makes the live type again.
 */
#include "fuzz.h"
#include "migrate/generate.h"

#include <string.h>

static int count(const char *s, const char *what)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what))
		n++;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	char *text = fuzz_cstr(&ctx, data, size);
	char *split = strchr(text, '\f');
	if (split)
		*split = '\0';
	dbc_object live = {.type = "type", .schema = "s", .name = "t", .definition = text};
	dbc_object want = {
	    .type = "type", .schema = "s", .name = "t", .definition = split ? split + 1 : text};
	bool up = dbc_gen_enum_extends(&ctx, &live, &want);
	bool down = dbc_gen_enum_extends(&ctx, &want, &live);
	FUZZ_ASSERT(!(up && down), "adding labels is one way only");
	FUZZ_ASSERT(!dbc_gen_enum_extends(&ctx, &live, &live), "a definition does not extend itself");
	if (up) {
		dbc_schema none;
		dbc_schema_init(&none, &ctx);
		dbc_gen_plan plan = {0};
		dbc_gen_input in = {.live = &none, .want = &none};
		FUZZ_ASSERT(dbc_gen_enum_add(&ctx, &in, &live, &want, &plan) == DBC_OK && plan.n == 1,
		            "one step");
		const dbc_gen_step *s = &plan.items[0];
		FUZZ_ASSERT(s->statement && strncmp(s->statement, "ALTER TYPE ", 11) == 0, "ALTER TYPE");
		FUZZ_ASSERT(count(s->statement, "ADD VALUE ") >= 1, "a label added");
		FUZZ_ASSERT(s->reverse && strstr(s->reverse, "CREATE TYPE ") && strstr(s->reverse, text),
		            "the reverse makes the live type again");
	}
	dbc_ctx_finish(&ctx);
	return 0;
}
