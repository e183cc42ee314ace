/*
 * settings.c — validation and storage of settings. The SQL is the same on both
 * engines (upsert with ON CONFLICT); only the table's prefix comes from the host.
 */
#include "settings/settings.h"

#include "base/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int cmp_def(const void *a, const void *b)
{
	return strcmp(((const dbc_setting_def *)a)->key, ((const dbc_setting_def *)b)->key);
}

int dbc_settings_catalog(dbc_ctx *ctx, dbc_setting_list *out)
{
	memset(out, 0, sizeof(*out));
	if (dbc_settings_general(ctx, out) != DBC_OK)
		return DBC_ERROR;
	const dbc_settings_source *const *src = ctx->host->settings_sources;
	for (int i = 0; src && src[i]; i++)
		if (src[i]->list(ctx, out) != DBC_OK)
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

const char dbc_setting_credential_remedy[] =
    "Keep the store's credentials where dbcare reads them: AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY (or the AWS shared files of AWS_PROFILE), "
    "AZURE_STORAGE_CONNECTION_STRING (or AZURE_STORAGE_KEY / AZURE_STORAGE_SAS_TOKEN); "
    "then set the URL alone: s3://BUCKET/PREFIX or azure://CONTAINER/PREFIX.";

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

bool dbc_setting_is_store_url(const char *value)
{
	return value && (strncmp(value, "s3://", 5) == 0 || strncmp(value, "azure://", 8) == 0);
}

/* Whether text holds word, letters in any case. */
static bool holds_word(const char *text, const char *word)
{
	size_t n = strlen(word);
	for (; *text; text++)
		if (strncasecmp(text, word, n) == 0)
			return true;
	return false;
}

/* Whether def names a directory (a store's URL or a local folder). */
static bool names_directory(const dbc_setting_def *def)
{
	return def->kind == DBC_SETTING_DIR || def->kind == DBC_SETTING_FOLDER;
}

bool dbc_setting_holds_credential(const dbc_setting_def *def, const char *value)
{
	/* a folder's kind refuses a URL, but one with a credential is never
	 * repeated in that refusal either */
	if (!names_directory(def) || !value || !dbc_setting_is_store_url(value))
		return false;
	/* a user's part (KEY:SECRET@), a query (a SAS token, a presigned
	 * signature), a connection string's fields: a bucket's or container's
	 * name and a prefix hold none of them */
	const char *rest = strstr(value, "://") + 3;
	return strpbrk(rest, "@?#;") != NULL || holds_word(rest, "sig=") ||
	       holds_word(rest, "AccountKey");
}

/* A store URL's bucket or container: 1 to 63 of [a-z0-9.-] (the store
 * checks its service's full rule when it opens it). */
static bool store_url_ok(const char *value)
{
	const char *b = strstr(value, "://") + 3;
	size_t n = strcspn(b, "/");
	return n > 0 && n <= 63 && strspn(b, "abcdefghijklmnopqrstuvwxyz0123456789.-") >= n;
}

/* A directory setting: empty, an absolute path without control
 * characters, kept as given (a comma or a blank belongs to the name), or
 * an object store's URL without a credential. */
static int dir_value(dbc_ctx *ctx, const char *value, char **normalised, const char **why)
{
	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (*p == ' ' && dbc_setting_is_store_url(value))) {
			*why = "Give an absolute directory path without control characters (a newline).";
			return DBC_OK;
		}
	if (dbc_setting_is_store_url(value)) {
		/* a credential is refused by dbc_setting_normalise before this,
		 * without the value; here one that got into the table directly */
		if (strpbrk(value + 5, "@?#;") || !store_url_ok(value)) {
			*why = "Write s3://BUCKET/PREFIX or azure://CONTAINER/PREFIX (a bucket's or "
			       "container's name of a-z, 0-9, '.' and '-'), without a credential.";
			return DBC_OK;
		}
		*normalised = dbc_strdup(ctx, value);
		return *normalised ? DBC_OK : DBC_ERROR;
	}
	if (value[0] && value[0] != '/') {
		*why =
		    dbc_printf(ctx, "Give an absolute path (starting with /): a relative one would be read "
		                    "from the working directory of each process that uses it (cron, the "
		                    "command, the application), so each would use another directory.");
		return *why ? DBC_OK : DBC_ERROR;
	}
	*normalised = dbc_strdup(ctx, value);
	return *normalised ? DBC_OK : DBC_ERROR;
}

/* Checks value against def without touching the ctx error: *normalised is
 * the text dbcare_set stores for it, or NULL when the value is invalid, and
 * then *why is the hint saying what is valid. DBC_ERROR only when out of
 * memory (the error set). Both the write path (dbcare_set) and the read path
 * (every reader of a stored value) judge a value here, so they cannot differ. */
static int check_value(dbc_ctx *ctx, const dbc_setting_def *def, const char *value,
                       char **normalised, const char **why)
{
	*normalised = NULL;
	*why = NULL;
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
		*why = dbc_printf(ctx, "Use one of: %s.", def->choices);
		return *why ? DBC_OK : DBC_ERROR;
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
			if (ok && !(*normalised = dbc_printf(ctx, "%lld", v)))
				return DBC_ERROR;
		} else if (ok && !(*normalised = dbc_printf(ctx, "%.15g", d))) {
			return DBC_ERROR;
		}
		if (!ok) {
			*why = dbc_printf(ctx, "Use %s between %.15g and %.15g.",
			                  def->kind == DBC_SETTING_INT ? "an integer" : "a number", def->min,
			                  def->max);
			return *why ? DBC_OK : DBC_ERROR;
		}
		return DBC_OK;
	}
	case DBC_SETTING_BOOL: {
		static const char *on[] = {"on", "true", "1", "yes"}, *off[] = {"off", "false", "0", "no"};
		for (int i = 0; i < 4; i++) {
			if (strcasecmp(value, on[i]) == 0)
				return (*normalised = dbc_strdup(ctx, "on")) ? DBC_OK : DBC_ERROR;
			if (strcasecmp(value, off[i]) == 0)
				return (*normalised = dbc_strdup(ctx, "off")) ? DBC_OK : DBC_ERROR;
		}
		*why = "Use on or off.";
		return DBC_OK;
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
	case DBC_SETTING_DIR:
		return dir_value(ctx, value, normalised, why);
	case DBC_SETTING_FOLDER:
		if (dir_value(ctx, value, normalised, why) != DBC_OK)
			return DBC_ERROR;
		/* a folder of its own (backup.stage_dir: the backups waiting for
		 * their upload) is local, and never the root: a file there would
		 * sit among the system's directories, and '/' is no folder its
		 * readers could compare a file's path with */
		if (*normalised && (*normalised)[0] &&
		    (dbc_setting_is_store_url(*normalised) || !(*normalised)[strspn(*normalised, "/")])) {
			*normalised = NULL;
			*why = dbc_printf(ctx,
			                  "Give %s a local folder of its own, an absolute path such as "
			                  "/var/backups/app-stage: not the root directory, nor a store's URL "
			                  "(the dbcare command uploads from it).",
			                  def->key);
			return *why ? DBC_OK : DBC_ERROR;
		}
		return DBC_OK;
	}
	return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unknown setting kind");
}

int dbc_setting_normalise(dbc_ctx *ctx, const dbc_setting_def *def, const char *value,
                          char **normalised)
{
	const char *why;
	*normalised = NULL;
	if (dbc_setting_holds_credential(def, value)) {
		/* the value is never repeated: it holds a secret */
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "setting \"%s\" must not hold a credential (a key, a secret or a SAS token "
		          "in the URL): the value was not stored",
		          def->key);
		dbc_error_hint(ctx, "%s", dbc_setting_credential_remedy);
		return DBC_ERROR;
	}
	if (check_value(ctx, def, value, normalised, &why) != DBC_OK)
		return DBC_ERROR;
	if (*normalised)
		return DBC_OK;
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "invalid value \"%s\" for setting \"%s\"",
	          dbc_excerpt(ctx, value, DBC_EXCERPT), def->key);
	dbc_error_hint(ctx, "%s", why);
	return DBC_ERROR;
}

int dbc_setting_effective(dbc_ctx *ctx, const dbc_setting_def *def, const char *stored,
                          const char **value, char **problem)
{
	char *norm;
	const char *why;
	*value = def->default_value;
	if (problem)
		*problem = NULL;
	if (!stored)
		return DBC_OK;
	if (check_value(ctx, def, stored, &norm, &why) != DBC_OK)
		return DBC_ERROR;
	if (norm && strcmp(norm, stored) == 0) {
		*value = stored;
		return DBC_OK;
	}
	/* Valid but not in the form dbcare_set stores ("ALLOW", " 100 " for a
	 * number, "TRUE"): not what dbcare_set would have written, so not trusted
	 * to mean what its writer thought either. */
	if (norm && !(why = dbc_printf(ctx, "dbcare_set stores this value as \"%s\".",
	                               dbc_excerpt(ctx, norm, DBC_EXCERPT))))
		return DBC_ERROR;
	char *shown = dbc_setting_holds_credential(def, stored)
	                  ? dbc_strdup(ctx, "(a URL with a credential, not shown)")
	                  : dbc_excerpt(ctx, stored, DBC_EXCERPT);
	if (!shown)
		return DBC_ERROR;
	dbc_warning(ctx,
	            dbc_printf(ctx, "%s Store the value with dbcare_set('%s', ...), which checks it.",
	                       why, def->key),
	            "stored setting \"%s\" has the invalid value \"%s\"; using the default \"%s\"",
	            def->key, shown, def->default_value);
	if (problem && !(*problem = dbc_printf(
	                     ctx, "the stored value \"%s\" is invalid, so %s. %s", shown,
	                     names_directory(def) ? "what uses it refuses to run (dbcare_get too)"
	                                          : "the default is used",
	                     why)))
		return DBC_ERROR;
	return DBC_OK;
}

/* The definition of key, built alone (dbc_setting_def_of: no catalogue). */
static int lookup_def(dbc_ctx *ctx, const char *key, dbc_setting_def *def)
{
	bool found;
	if (dbc_setting_def_of(ctx, key, def, &found) != DBC_OK)
		return DBC_ERROR;
	if (!found) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "unknown setting \"%s\"",
		          dbc_excerpt(ctx, key, DBC_EXCERPT));
		dbc_error_hint(ctx, "SELECT key FROM dbcare_settings lists every setting.");
		return DBC_ERROR;
	}
	return DBC_OK;
}

/* Row callback of the config reads: (key, value) into the list, the value
 * as text (a SQLite column holds any type; SQL NULL counts as not stored). */
static int take_stored(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *cols)
{
	dbc_setting_stored_list *l = arg;
	if (ncol < 2 || cols[0].type != DBC_TEXT || cols[1].type == DBC_NULL)
		return DBC_OK;
	const char *value = cols[1].type == DBC_INT     ? dbc_printf(ctx, "%lld", (long long)cols[1].i)
	                    : cols[1].type == DBC_FLOAT ? dbc_printf(ctx, "%.17g", cols[1].f)
	                    : cols[1].type == DBC_BOOL  ? (cols[1].i ? "true" : "false")
	                                                : dbc_strdup(ctx, cols[1].s);
	const char *key = dbc_strdup(ctx, cols[0].s);
	const char *problem = NULL;
	if (cols[1].type == DBC_TEXT && cols[1].nul_len) {
		/* dbcare_set never stores a NUL byte: set aside, never read as
		 * the part before it (which may be a valid value) */
		json_t *whole = dbc_json_strn(cols[1].s, cols[1].nul_len);
		char *shown = whole ? dbc_json_dump(ctx, whole, JSON_ENCODE_ANY) : NULL;
		json_decref(whole);
		problem = shown ? dbc_printf(ctx,
		                             "the stored value %s contains a NUL byte, so the default is "
		                             "used. Store the value with dbcare_set, which checks it.",
		                             dbc_excerpt(ctx, shown, DBC_EXCERPT))
		                : NULL;
		if (!problem)
			return ctx->failed ? DBC_ERROR
			                   : dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	if (!value || !key)
		return DBC_ERROR;
	if (dbc_grow(ctx, &l->items, l->n, &l->cap, sizeof(*l->items), 16) != DBC_OK)
		return DBC_ERROR;
	l->items[l->n++] = (dbc_setting_stored){key, value, problem};
	return DBC_OK;
}

/* The stored settings (key = $1 when key is not NULL), problem NULL. */
static int read_stored(dbc_ctx *ctx, const char *key, dbc_setting_stored_list *out)
{
	bool exists = false;
	memset(out, 0, sizeof(*out));
	if (ctx->host->book_exists(ctx, &exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists)
		return DBC_OK;
	char *sql = dbc_printf(ctx, "SELECT key, value FROM %sconfig%s", ctx->host->book_prefix,
	                       key ? " WHERE key = $1" : "");
	dbc_value param = dbc_text(key);
	if (!sql)
		return DBC_ERROR;
	return ctx->host->query(ctx, sql, key ? 1 : 0, &param, take_stored, out);
}

/* A stored value of a directory setting that dbcare_set would not have
 * stored: an error naming the key, never the default (no directory) nor
 * the text read from another working directory. */
static int refuse_stored_dir(dbc_ctx *ctx, const dbc_setting_def *def,
                             const dbc_setting_stored *stored)
{
	char *norm = NULL;
	const char *why = stored->problem;
	if (!why && check_value(ctx, def, stored->value, &norm, &why) != DBC_OK)
		return DBC_ERROR;
	if (norm && strcmp(norm, stored->value) == 0)
		return DBC_OK;
	if (dbc_setting_holds_credential(def, stored->value)) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "setting \"%s\" holds a URL with a credential, which cannot be used", def->key);
		dbc_error_hint(ctx, "%s", dbc_setting_credential_remedy);
		return DBC_ERROR;
	}
	dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "setting \"%s\" holds \"%s\", which cannot be used: %s",
	          def->key, dbc_excerpt(ctx, stored->value, DBC_EXCERPT),
	          why ? why : "dbcare_set would store it otherwise.");
	dbc_error_hint(ctx, "Store an absolute path: SELECT dbcare_set('%s', '/absolute/path').",
	               def->key);
	return DBC_ERROR;
}

/* The effective value of def: the stored one when valid, else the default.
 * strict (a directory setting): an invalid stored value is an error. */
static int effective_of(dbc_ctx *ctx, const dbc_setting_def *def, bool strict, char **value)
{
	dbc_setting_stored_list stored;
	const char *v;
	if (read_stored(ctx, def->key, &stored) != DBC_OK)
		return DBC_ERROR;
	if (strict && stored.n && refuse_stored_dir(ctx, def, &stored.items[0]) != DBC_OK)
		return DBC_ERROR;
	if (dbc_setting_effective(ctx, def,
	                          stored.n && !stored.items[0].problem ? stored.items[0].value : NULL,
	                          &v, NULL) != DBC_OK)
		return DBC_ERROR;
	*value = dbc_strdup(ctx, v);
	return *value ? DBC_OK : DBC_ERROR;
}

int dbc_setting_get(dbc_ctx *ctx, const char *key, char **value)
{
	dbc_setting_def def;
	if (lookup_def(ctx, key, &def) != DBC_OK)
		return DBC_ERROR;
	return effective_of(ctx, &def, names_directory(&def), value);
}

int dbc_setting_get_number(dbc_ctx *ctx, const char *key, double *value)
{
	char *text;
	if (dbc_setting_get(ctx, key, &text) != DBC_OK)
		return DBC_ERROR;
	if (!parse_number(text, value))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		                 "stored setting \"%s\" is not a number: \"%s\"", key,
		                 dbc_excerpt(ctx, text, DBC_EXCERPT));
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
	dbc_setting_def def;
	char *norm;
	if (lookup_def(ctx, key, &def) != DBC_OK ||
	    dbc_setting_normalise(ctx, &def, value, &norm) != DBC_OK ||
	    effective_of(ctx, &def, false, previous) != DBC_OK)
		return DBC_ERROR;
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

int dbc_settings_stored(dbc_ctx *ctx, dbc_setting_stored_list *out)
{
	if (read_stored(ctx, NULL, out) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < out->n; i++) {
		dbc_setting_stored *r = &out->items[i];
		dbc_setting_def def;
		bool known;
		char *problem;
		if (dbc_setting_def_of(ctx, r->key, &def, &known) != DBC_OK)
			return DBC_ERROR;
		if (!known) /* a key of a newer or older version: kept, not read */
			continue;
		if (r->problem) { /* set aside when read (take_stored) */
			r->value = def.default_value;
			continue;
		}
		if (dbc_setting_effective(ctx, &def, r->value, &r->value, &problem) != DBC_OK)
			return DBC_ERROR;
		r->problem = problem;
	}
	return DBC_OK;
}

int dbc_settings_load(dbc_ctx *ctx, dbc_setting_list *catalog, char ***values, char ***problems)
{
	dbc_setting_stored_list stored;
	if (dbc_settings_catalog(ctx, catalog) != DBC_OK || dbc_settings_stored(ctx, &stored) != DBC_OK)
		return DBC_ERROR;
	char **vals = dbc_zalloc(ctx, sizeof(char *) * (size_t)(catalog->n + 1));
	char **probs = dbc_zalloc(ctx, sizeof(char *) * (size_t)(catalog->n + 1));
	if (!vals || !probs)
		return DBC_ERROR;
	for (int i = 0; i < stored.n; i++) {
		const dbc_setting_stored *r = &stored.items[i];
		const dbc_setting_def *def = dbc_settings_find(catalog, r->key);
		if (!def) /* keys of a newer or older version are kept but not shown */
			continue;
		vals[def - catalog->defs] = (char *)r->value;
		probs[def - catalog->defs] = (char *)r->problem;
	}
	for (int i = 0; i < catalog->n; i++)
		if (!vals[i])
			vals[i] = (char *)catalog->defs[i].default_value;
	*values = vals;
	if (problems)
		*problems = probs;
	return DBC_OK;
}

int dbc_settings_rows(dbc_ctx *ctx, dbc_rows *out)
{
	dbc_setting_list cat;
	char **values, **problems;
	dbc_rows_init(out, ctx, 5);
	if (dbc_settings_load(ctx, &cat, &values, &problems) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < cat.n; i++) {
		if (!dbc_setting_applies(ctx, cat.defs[i].key))
			continue;
		dbc_value row[5] = {dbc_text(cat.defs[i].key), dbc_text(values[i]),
		                    dbc_text(cat.defs[i].default_value), dbc_text(cat.defs[i].description),
		                    problems[i] ? dbc_text(problems[i]) : dbc_null()};
		if (dbc_rows_add(out, row) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}
