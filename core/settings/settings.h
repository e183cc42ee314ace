/*
 * settings.h — dbcare_set / dbcare_get / dbcare_settings: one catalogue of
 * dotted keys with defaults, descriptions and validation, stored in the
 * bookkeeping table <prefix>config. Each feature contributes a provider.
 */
#ifndef DBC_SETTINGS_H
#define DBC_SETTINGS_H

#include "base/dbc.h"

typedef enum {
	DBC_SETTING_CHOICE, /* one of choices, "a|b|c" */
	DBC_SETTING_INT,    /* integer in [min, max] */
	DBC_SETTING_NUMBER, /* real number in [min, max] */
	DBC_SETTING_BOOL,   /* on|off|true|false|1|0, stored as "on"/"off" */
	DBC_SETTING_LIST,   /* comma-separated names, stored trimmed */
	DBC_SETTING_DIR,    /* empty, an absolute directory path (a relative one
	                     * would name another directory in each process: cron,
	                     * the command, the application), or an object store's
	                     * URL (s3://BUCKET/PREFIX, azure://CONTAINER/PREFIX)
	                     * without a credential in it */
	DBC_SETTING_FOLDER, /* a DIR that names a local folder of its own, which a
	                     * process writes and compares paths with: empty or an
	                     * absolute path only (never a store's URL), and never
	                     * the root directory */
} dbc_setting_kind;

typedef struct dbc_setting_def {
	const char *key;
	const char *default_value;
	const char *description;
	dbc_setting_kind kind;
	const char *choices;
	double min;
	double max;
} dbc_setting_def;

typedef struct dbc_setting_list {
	dbc_setting_def *defs;
	int n;
	int cap;
} dbc_setting_list;

/* Appends a copy of def (strings are borrowed: static or arena). */
int dbc_settings_add(dbc_ctx *ctx, dbc_setting_list *l, const dbc_setting_def *def);

/* The keys of a part above settings (dbc_host.settings_sources): every
 * key, with descriptions (list, which appends to out); one key's
 * definition alone, description NULL (def_of; *found false for a key not
 * the part's); the engines a key applies to, as DBC_ENGINE_* bits (0: not
 * the part's key, or one the general rules decide). */
typedef struct dbc_settings_source {
	int (*list)(dbc_ctx *ctx, dbc_setting_list *out);
	int (*def_of)(dbc_ctx *ctx, const char *key, dbc_setting_def *out, bool *found);
	unsigned (*engines)(const char *key);
} dbc_settings_source;

/* The whole catalogue, sorted by key. */
int dbc_settings_catalog(dbc_ctx *ctx, dbc_setting_list *out);
const dbc_setting_def *dbc_settings_find(const dbc_setting_list *l, const char *key);

/* The definition of one key, built alone (description NULL) for a reader
 * that validates stored values without the whole catalogue; *found false
 * for a key no feature defines. */
int dbc_setting_def_of(dbc_ctx *ctx, const char *key, dbc_setting_def *out, bool *found);

/* Whether value is an object store's URL (s3://..., azure://...): a
 * destination the dbcare command uploads to, never a directory a process
 * writes. The one home of that rule: the command asks it too. */
bool dbc_setting_is_store_url(const char *value);

/* Whether value, for def (a directory's key), is a store URL holding a
 * credential (a user's part, a query, a SAS's signature, an account key):
 * dbcare_set refuses it without repeating it, and a reader never shows
 * it. The remedy says where credentials go instead. */
bool dbc_setting_holds_credential(const dbc_setting_def *def, const char *value);
extern const char dbc_setting_credential_remedy[];

/* Validates value for def; on success *normalised is the text to store. */
int dbc_setting_normalise(dbc_ctx *ctx, const dbc_setting_def *def, const char *value,
                          char **normalised);

/* The read path's judgement of a stored text (NULL: nothing stored). A value
 * counts only when it is exactly what dbcare_set stores for it: valid by the
 * rules of dbc_setting_normalise and already in its normal form. Otherwise
 * (a row written into the config table directly: "-5", "0x10", " 100 ",
 * "ALLOW") *value is the default, a warning names the key and the stored
 * text (dbc_warning), and *problem (when not NULL) says why for
 * dbcare_settings; it is NULL when the stored value counts. */
int dbc_setting_effective(dbc_ctx *ctx, const dbc_setting_def *def, const char *stored,
                          const char **value, char **problem);

/* The effective value of key (stored and valid, or the default; see
 * dbc_setting_effective). Unknown key is an error, and so is an invalid
 * stored value of a directory's key (DIR, FOLDER): its default (empty) would not be
 * what its writer meant, and its value names no directory of its own. */
int dbc_setting_get(dbc_ctx *ctx, const char *key, char **value);
int dbc_setting_get_int(dbc_ctx *ctx, const char *key, int64_t *value);
int dbc_setting_get_number(dbc_ctx *ctx, const char *key, double *value);
int dbc_setting_get_bool(dbc_ctx *ctx, const char *key, bool *value);

/* dbcare_set: validates, stores, returns the previous effective value. */
int dbc_setting_set(dbc_ctx *ctx, const char *key, const char *value, char **previous);

/* Every setting with its effective value, for several lookups in one read:
 * values[i] belongs to catalog->defs[i]; problems[i] (when problems is not
 * NULL) is NULL or why a stored value was set aside. */
int dbc_settings_load(dbc_ctx *ctx, dbc_setting_list *catalog, char ***values, char ***problems);

/* One stored setting. */
typedef struct dbc_setting_stored {
	const char *key;
	const char *value;   /* a known key's effective value; as stored for others */
	const char *problem; /* NULL, or why the stored value was set aside */
} dbc_setting_stored;

typedef struct dbc_setting_stored_list {
	dbc_setting_stored *items;
	int n;
	int cap;
} dbc_setting_stored_list;

/* The stored settings alone, without the catalogue: for a caller that knows
 * the keys it asks for and their defaults (building the catalogue's
 * descriptions costs a printf each). The value of a known key is its
 * effective value (dbc_setting_effective: an invalid one is replaced by the
 * default, with problem saying why); keys no feature defines are kept as
 * stored. */
int dbc_settings_stored(dbc_ctx *ctx, dbc_setting_stored_list *out);

/* Whether key applies to the current engine (settings_catalog.c); a key
 * of the other engine is accepted by dbcare_set but not listed. */
bool dbc_setting_applies(dbc_ctx *ctx, const char *key);

/* dbcare_settings: rows (key, value, default_value, description, problem),
 * the keys that apply to the current engine only. */
int dbc_settings_rows(dbc_ctx *ctx, dbc_rows *out);

/* The general keys (settings_catalog.c): those of the parts below health,
 * and health.ignore. */
int dbc_settings_general(dbc_ctx *ctx, dbc_setting_list *out);

#endif
