/*
 * json.h — the bridge between jansson and the ctx arena. jansson owns its
 * values (callers json_decref them on every path); text handed back to the
 * glue is copied into the arena so one free releases it.
 */
#ifndef DBC_JSON_H
#define DBC_JSON_H

#include "base/dbc.h"

#include <jansson.h>

/* Canonical text: sorted keys, compact, UTF-8 kept as is. */
#define DBC_JSON_CANONICAL (JSON_SORT_KEYS | JSON_COMPACT | JSON_ENSURE_ASCII * 0)

/* Reports: compact, reals to 15 significant digits. */
#define DBC_JSON_REPORT (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* Serialises v (not consumed) into the arena. */
char *dbc_json_dump(dbc_ctx *ctx, const json_t *v, size_t flags);
/* Parses text; on failure sets a "dbcare: <what> is not valid JSON" error. */
json_t *dbc_json_parse(dbc_ctx *ctx, const char *text, const char *what);
/* The same, where a string may hold \u0000 (a logged value that had a NUL
 * byte): only for JSON that is carried and dumped whole, never for strings
 * read back as C strings (json_string_value would cut them). */
json_t *dbc_json_parse_with_nul(dbc_ctx *ctx, const char *text, const char *what);
/* json_string that tolerates NULL (gives JSON null) and invalid UTF-8 (replaced). */
json_t *dbc_json_str(const char *s);
/* The same for n bytes of s, which may hold NUL bytes (dumped as \u0000). */
json_t *dbc_json_strn(const char *s, size_t n);
/* Sets key to v, consuming v; false when either is NULL (out of memory). */
bool dbc_json_set(json_t *obj, const char *key, json_t *v);
/* Sorted keys of an object, in the arena. */
const char **dbc_json_sorted_keys(dbc_ctx *ctx, const json_t *obj, size_t *n);

#endif
