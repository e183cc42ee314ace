/*
 * settings.c — validation and storage of settings. The SQL is the same on both
 * engines (upsert with ON CONFLICT); only the table's prefix comes from the host.
 */
#include "settings.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

extern const dbc_settings_provider dbc_settings_providers[];

int dbc_settings_add(dbc_ctx *ctx, dbc_setting_list *l, const dbc_setting_def *def)
{
	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 32;
		dbc_setting_def *defs = dbc_alloc(ctx, sizeof(*defs) * (size_t)cap);
		if (!defs)
			return DBC_ERROR;
		if (l->n)
			memcpy(defs, l->defs, sizeof(*defs) * (size_t)l->n);
		l->defs = defs;
		l->cap = cap;
	}
	l->defs[l->n++] = *def;
	return DBC_OK;
}

static int cmp_def(const void *a, const void *b)
{
	return strcmp(((const dbc_setting_def *)a)->key, ((const dbc_setting_def *)b)->key);
}

int dbc_settings_catalog(dbc_ctx *ctx, dbc_setting_list *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; dbc_settings_providers[i]; i++)
		if (dbc_settings_providers[i](ctx, out) != DBC_OK)
			return DBC_ERROR;
	qsort(out->defs, (size_t)out->n, sizeof(*out->defs), cmp_def);
	return DBC_OK;
}

const dbc_setting_def *dbc_settings_find(const dbc_setting_list *l, const char *key)
{
	int lo = 0, hi = l->n - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		int c = strcmp(key, l->defs[mid].key);
		if (c == 0)
			return &l->defs[mid];
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return NULL;
}

static bool parse_number(const char *s, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(s, &end);
	while (*end == ' ')
		end++;
	if (errno || end == s || *end)
		return false;
	*out = d;
	return true;
}

int dbc_setting_normalise(dbc_ctx *ctx, const dbc_setting_def *def, const char *value,
                          char **normalised)
{
	switch (def->kind) {
	case DBC_SETTING_CHOICE: {
		size_t vlen = strlen(value);
		const char *p = def->choices;
		while (p && *p) {
			const char *bar = strchr(p, '|');
			size_t n = bar ? (size_t)(bar - p) : strlen(p);
			if (n == vlen && strncasecmp(p, value, n) == 0) {
				*normalised = dbc_strndup(ctx, p, n);
				return *normalised ? DBC_OK : DBC_ERROR;
			}
			p = bar ? bar + 1 : NULL;
		}
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "invalid value \"%s\" for setting \"%s\"",
		          dbc_excerpt(ctx, value, DBC_EXCERPT), def->key);
		dbc_error_hint(ctx, "Use one of: %s.", def->choices);
		return DBC_ERROR;
	}
	case DBC_SETTING_INT:
	case DBC_SETTING_NUMBER: {
		double d;
		bool ok = parse_number(value, &d) && d >= def->min && d <= def->max;
		if (ok && def->kind == DBC_SETTING_INT) {
			char *end;
			errno = 0;
			long long v = strtoll(value, &end, 10);
			ok = !errno && *end == '\0' && end != value;
			if (ok)
				*normalised = dbc_printf(ctx, "%lld", v);
		} else if (ok) {
			*normalised = dbc_printf(ctx, "%.15g", d);
		}
		if (!ok) {
			dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "invalid value \"%s\" for setting \"%s\"",
			          dbc_excerpt(ctx, value, DBC_EXCERPT), def->key);
			dbc_error_hint(ctx, "Use %s between %.15g and %.15g.",
			               def->kind == DBC_SETTING_INT ? "an integer" : "a number", def->min,
			               def->max);
			return DBC_ERROR;
		}
		return *normalised ? DBC_OK : DBC_ERROR;
	}
	case DBC_SETTING_BOOL: {
		static const char *on[] = {"on", "true", "1", "yes"}, *off[] = {"off", "false", "0", "no"};
		for (int i = 0; i < 4; i++) {
			if (strcasecmp(value, on[i]) == 0)
				return (*normalised = dbc_strdup(ctx, "on")) ? DBC_OK : DBC_ERROR;
			if (strcasecmp(value, off[i]) == 0)
				return (*normalised = dbc_strdup(ctx, "off")) ? DBC_OK : DBC_ERROR;
		}
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "invalid value \"%s\" for setting \"%s\"",
		          dbc_excerpt(ctx, value, DBC_EXCERPT), def->key);
		dbc_error_hint(ctx, "Use on or off.");
		return DBC_ERROR;
	}
	case DBC_SETTING_LIST: {
		/* "a , b,,c" -> "a,b,c": blanks around names and empty items dropped */
		dbc_buf b;
		dbc_buf_init(&b, ctx);
		const char *p = value;
		while (*p) {
			const char *end = strchr(p, ',');
			size_t n = end ? (size_t)(end - p) : strlen(p);
			const char *s = p, *e = p + n;
			while (s < e && (*s == ' ' || *s == '\t'))
				s++;
			while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			if (e > s) {
				if (b.len)
					dbc_buf_appendc(&b, ',');
				dbc_buf_appendn(&b, s, (size_t)(e - s));
			}
			p = end ? end + 1 : p + n;
		}
		*normalised = dbc_buf_finish(&b);
		return *normalised ? DBC_OK : DBC_ERROR;
	}
	}
	return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unknown setting kind");
}

static int lookup_def(dbc_ctx *ctx, const char *key, dbc_setting_list *cat,
                      const dbc_setting_def **def)
{
	if (dbc_settings_catalog(ctx, cat) != DBC_OK)
		return DBC_ERROR;
	*def = dbc_settings_find(cat, key);
	if (!*def) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "unknown setting \"%s\"",
		          dbc_excerpt(ctx, key, DBC_EXCERPT));
		dbc_error_hint(ctx, "SELECT key FROM dbcare_settings lists every setting.");
		return DBC_ERROR;
	}
	return DBC_OK;
}

static int stored_value(dbc_ctx *ctx, const char *key, char **value, bool *found)
{
	bool exists = false;
	*found = false;
	*value = NULL;
	if (ctx->host->book_exists(ctx, &exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists)
		return DBC_OK;
	char *sql = dbc_printf(ctx, "SELECT value FROM %sconfig WHERE key = $1", ctx->host->book_prefix);
	dbc_value param = dbc_text(key);
	if (!sql)
		return DBC_ERROR;
	return dbc_query_text(ctx, sql, 1, &param, value, found);
}

int dbc_setting_get(dbc_ctx *ctx, const char *key, char **value)
{
	dbc_setting_list cat;
	const dbc_setting_def *def;
	bool found;
	if (lookup_def(ctx, key, &cat, &def) != DBC_OK || stored_value(ctx, key, value, &found) != DBC_OK)
		return DBC_ERROR;
	if (!found || !*value)
		*value = dbc_strdup(ctx, def->default_value);
	return *value ? DBC_OK : DBC_ERROR;
}

int dbc_setting_get_number(dbc_ctx *ctx, const char *key, double *value)
{
	char *text;
	if (dbc_setting_get(ctx, key, &text) != DBC_OK)
		return DBC_ERROR;
	if (!parse_number(text, value))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "stored setting \"%s\" is not a number: \"%s\"",
		                 key, dbc_excerpt(ctx, text, DBC_EXCERPT));
	return DBC_OK;
}

int dbc_setting_get_int(dbc_ctx *ctx, const char *key, int64_t *value)
{
	double d;
	if (dbc_setting_get_number(ctx, key, &d) != DBC_OK)
		return DBC_ERROR;
	*value = (int64_t)d;
	return DBC_OK;
}

int dbc_setting_get_bool(dbc_ctx *ctx, const char *key, bool *value)
{
	char *text;
	if (dbc_setting_get(ctx, key, &text) != DBC_OK)
		return DBC_ERROR;
	*value = strcmp(text, "on") == 0;
	return DBC_OK;
}

int dbc_setting_set(dbc_ctx *ctx, const char *key, const char *value, char **previous)
{
	dbc_setting_list cat;
	const dbc_setting_def *def;
	char *norm, *stored;
	bool found;
	if (lookup_def(ctx, key, &cat, &def) != DBC_OK ||
	    dbc_setting_normalise(ctx, def, value, &norm) != DBC_OK ||
	    stored_value(ctx, key, &stored, &found) != DBC_OK)
		return DBC_ERROR;
	*previous = found && stored ? stored : dbc_strdup(ctx, def->default_value);
	if (ctx->host->book_ensure(ctx) != DBC_OK)
		return DBC_ERROR;
	char *sql = dbc_printf(ctx,
	                       "INSERT INTO %sconfig (key, value) VALUES ($1, $2) "
	                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	                       ctx->host->book_prefix);
	dbc_value params[2] = {dbc_text(key), dbc_text(norm)};
	if (!sql)
		return DBC_ERROR;
	return ctx->host->query(ctx, sql, 2, params, NULL, NULL);
}

static int take_stored(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *cols)
{
	(void)ctx;
	if (ncol < 2 || cols[0].type != DBC_TEXT || cols[1].type != DBC_TEXT)
		return DBC_OK;
	return dbc_rows_add(arg, cols);
}

int dbc_settings_stored(dbc_ctx *ctx, dbc_rows *out)
{
	bool exists = false;
	dbc_rows_init(out, ctx, 2);
	if (ctx->host->book_exists(ctx, &exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists)
		return DBC_OK;
	char *sql = dbc_printf(ctx, "SELECT key, value FROM %sconfig", ctx->host->book_prefix);
	if (!sql)
		return DBC_ERROR;
	return ctx->host->query(ctx, sql, 0, NULL, take_stored, out);
}

int dbc_settings_load(dbc_ctx *ctx, dbc_setting_list *catalog, char ***values)
{
	dbc_rows stored;
	if (dbc_settings_catalog(ctx, catalog) != DBC_OK || dbc_settings_stored(ctx, &stored) != DBC_OK)
		return DBC_ERROR;
	char **vals = dbc_zalloc(ctx, sizeof(char *) * (size_t)(catalog->n + 1));
	if (!vals)
		return DBC_ERROR;
	for (int i = 0; i < stored.nrows; i++) {
		const dbc_value *r = stored.cells + (size_t)i * 2;
		const dbc_setting_def *def = dbc_settings_find(catalog, r[0].s);
		if (def) /* keys of a newer or older version are kept but not shown */
			vals[def - catalog->defs] = (char *)r[1].s;
	}
	for (int i = 0; i < catalog->n; i++)
		if (!vals[i])
			vals[i] = (char *)catalog->defs[i].default_value;
	*values = vals;
	return DBC_OK;
}

int dbc_settings_rows(dbc_ctx *ctx, dbc_rows *out)
{
	dbc_setting_list cat;
	char **values;
	dbc_rows_init(out, ctx, 4);
	if (dbc_settings_load(ctx, &cat, &values) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < cat.n; i++) {
		dbc_value row[4] = {dbc_text(cat.defs[i].key), dbc_text(values[i]),
		                    dbc_text(cat.defs[i].default_value), dbc_text(cat.defs[i].description)};
		if (dbc_rows_add(out, row) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}
