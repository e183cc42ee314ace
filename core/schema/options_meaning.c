/*
 * options_meaning.c — a relation's options by meaning: the one home of the
 * rule that a boolean option's value is written "true" or "false" however
 * it was spelled. PostgreSQL keeps each "name=value" of WITH (...) as
 * written, so security_invoker=on and =true mean the same but differ as
 * text. The model (the catalog reader) and a snapshot recorded before the
 * rule (read back for drift) both pass through here, so they compare by
 * meaning; a text holding no boolean option spelled otherwise is left
 * byte for byte as it was, and so is its fingerprint.
 */
#include "base/json.h"
#include "schema/schema.h"

#include <string.h>
#include <strings.h>

/* Whether the dialect names option (n bytes) as one taking a boolean. */
static bool boolean_option(const dbc_dialect *d, const char *option, size_t n)
{
	for (const char *const *b = d ? d->boolean_options : NULL; b && *b; b++)
		if (strlen(*b) == n && strncmp(*b, option, n) == 0)
			return true;
	return false;
}

/* The value as the engine's boolean parser reads it (PostgreSQL's
 * parse_bool: any unique prefix of true, false, yes, no; on, off, 1, 0, in
 * any case): "true", "false", or NULL when it is no boolean. */
static const char *boolean_value(const char *v, size_t n)
{
	static const struct {
		const char *word;
		size_t min; /* the shortest unique prefix */
		const char *means;
	} words[] = {{"true", 1, "true"},   {"yes", 1, "true"}, {"on", 2, "true"},   {"1", 1, "true"},
	             {"false", 1, "false"}, {"no", 1, "false"}, {"off", 2, "false"}, {"0", 1, "false"}};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (n >= words[i].min && n <= strlen(words[i].word) &&
		    strncasecmp(v, words[i].word, n) == 0)
			return words[i].means;
	return NULL;
}

/* Where the option list ending text begins (after its "with ("), the last
 * "with (" of any case whose list, free of parentheses, runs to text's
 * final ')'; NULL when text ends in no such list. A table's options end
 * with it, a view's definition (its query ends with ';') too. */
static const char *option_list(const char *text, size_t n)
{
	if (n < 7 || text[n - 1] != ')')
		return NULL;
	for (size_t i = n - 1; i-- > 0;) {
		if (text[i] == '(' || (text[i] == ')' && i != n - 1))
			return i >= 5 && strncasecmp(text + i - 5, "with (", 6) == 0 ? text + i + 1 : NULL;
	}
	return NULL;
}

char *dbc_options_by_meaning(dbc_ctx *ctx, const char *text)
{
	size_t n = text ? strlen(text) : 0;
	const char *list = option_list(text, n);
	dbc_buf b;
	bool changed = false;
	if (!list)
		return (char *)text;
	dbc_buf_init(&b, ctx);
	dbc_buf_appendn(&b, text, (size_t)(list - text));
	/* items "name=value" separated by ", " up to the final ')' */
	for (const char *p = list, *end = text + n - 1; p < end;) {
		const char *sep = strstr(p, ", ");
		const char *stop = sep && sep < end ? sep : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		const char *means = eq && boolean_option(ctx->host->dialect, p, (size_t)(eq - p))
		                        ? boolean_value(eq + 1, (size_t)(stop - eq - 1))
		                        : NULL;
		if (means && (strlen(means) != (size_t)(stop - eq - 1) ||
		              strncmp(means, eq + 1, (size_t)(stop - eq - 1)) != 0)) {
			dbc_buf_appendn(&b, p, (size_t)(eq + 1 - p));
			dbc_buf_append(&b, means);
			changed = true;
		} else {
			dbc_buf_appendn(&b, p, (size_t)(stop - p));
		}
		if (stop < end)
			dbc_buf_append(&b, ", ");
		p = stop < end ? stop + 2 : end;
	}
	dbc_buf_append(&b, ")");
	if (!changed)
		return (char *)text;
	return dbc_buf_finish(&b);
}

/* Rewrites member key of every object of section (when a string); the
 * number rewritten, -1 out of memory. */
static int rewrite_section(dbc_ctx *ctx, json_t *section, const char *key)
{
	const char *name;
	json_t *ob;
	int n = 0;
	json_object_foreach(section, name, ob)
	{
		const char *was = json_string_value(json_object_get(ob, key));
		const char *now = was ? dbc_options_by_meaning(ctx, was) : NULL;
		if (!now && was)
			return -1;
		if (now == was)
			continue;
		if (!dbc_json_set(ob, key, dbc_json_str(now)))
			return -1;
		n++;
	}
	return n;
}

/* Whether text names any of the dialect's boolean options (followed by
 * '='): a snapshot that does not is read by meaning as it is, unparsed. */
static bool names_boolean_option(const dbc_dialect *d, const char *text)
{
	for (const char *const *b = d->boolean_options; b && *b; b++)
		for (const char *p = strstr(text, *b); p; p = strstr(p + 1, *b))
			if (p[strlen(*b)] == '=')
				return true;
	return false;
}

int dbc_snapshot_tree_by_meaning(dbc_ctx *ctx, json_t *snap)
{
	/* where the reader applies the rule: tables' options, the definitions
	 * of views and materialized views (their options end them) */
	static const char *const parts[][2] = {
	    {"table", "options"}, {"view", "definition"}, {"materialized view", "definition"}};
	int changed = 0;
	if (!ctx->host->dialect->boolean_options)
		return 0;
	for (size_t i = 0; changed >= 0 && i < sizeof(parts) / sizeof(parts[0]); i++) {
		json_t *section = json_object_get(snap, parts[i][0]);
		int n = json_is_object(section) ? rewrite_section(ctx, section, parts[i][1]) : 0;
		changed = n < 0 ? -1 : changed + n;
	}
	if (changed < 0)
		dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return changed;
}

int dbc_snapshot_by_meaning(dbc_ctx *ctx, const char *json, char **out)
{
	json_t *snap;
	int changed;
	*out = (char *)json;
	if (!names_boolean_option(ctx->host->dialect, json))
		return DBC_OK;
	if (!(snap = dbc_json_parse(ctx, json, "the recorded schema snapshot")))
		return DBC_ERROR;
	changed = dbc_snapshot_tree_by_meaning(ctx, snap);
	if (changed > 0)
		*out = dbc_json_dump(ctx, snap, DBC_JSON_CANONICAL);
	json_decref(snap);
	if (changed < 0)
		return DBC_ERROR;
	if (!*out)
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return DBC_OK;
}
