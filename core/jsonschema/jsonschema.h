/*
 * jsonschema.h — JSON Schema validation (drafts 4, 6, 7, 2019-09, 2020-12),
 * the one public header of core/jsonschema/. A schema text is compiled once
 * into a dbc_js_schema (plain malloc memory, owned by the caller or by a
 * dbc_js_cache), then documents are validated against it. Nothing here runs
 * SQL; the glue passes text in and turns results into SQL values.
 *
 * Bad input never crashes: documents nested deeper than DBC_JS_MAX_DEPTH,
 * schemas deeper than DBC_JS_MAX_SCHEMA_DEPTH, evaluation deeper than its
 * stack budget ($ref loops),
 * numbers jansson cannot hold, invalid UTF-8 and regular expressions that
 * exceed PCRE2's match limit all end in a "dbcare: ..." error in the ctx.
 */
#ifndef DBC_JSONSCHEMA_H
#define DBC_JSONSCHEMA_H

#include "base/dbc.h"

/* Deepest nesting of arrays and objects accepted in a document: beyond
 * what PostgreSQL's jsonb holds at its default max_stack_depth, and beyond
 * SQLite's json. The reading is iterative; the evaluation's recursion is
 * bounded by the stack it uses (js_validate.c), not by a count of levels. */
#define DBC_JS_MAX_DEPTH 100000
/* Deepest nesting in a schema (compiled by recursion). */
#define DBC_JS_MAX_SCHEMA_DEPTH 256
/* Most bytes of schema text one compiled schema reads (its own text and
 * every document its $refs load), and most subschemas it compiles: a
 * compiled schema lives in every session that uses it for the session's
 * life, so one schema may not take more than some tens of MB there
 * (docs/json.md, Limits). */
#define DBC_JS_MAX_SCHEMA_BYTES (1024 * 1024)
#define DBC_JS_MAX_SCHEMA_NODES 50000
/* Most steps PCRE2 may spend on the regular expressions ("pattern",
 * "patternProperties") of one document's validation, beside the per-match
 * limit (200,000, js_regex.c): 20,000 strings each near that limit took
 * 4.6 s. A match that ends within 1,000 steps is not counted (its work
 * grows with the document, as all the rest does); a longer one counts its
 * steps (docs/json.md, Limits). */
#define DBC_JS_MAX_REGEX_STEPS 10000000
/* Most errors dbjson_errors reports for one document. */
#define DBC_JS_MAX_ERRORS 1000

typedef enum dbc_js_draft {
	DBC_JS_DRAFT4 = 4,
	DBC_JS_DRAFT6 = 6,
	DBC_JS_DRAFT7 = 7,
	DBC_JS_DRAFT2019 = 2019,
	DBC_JS_DRAFT2020 = 2020,
} dbc_js_draft;

typedef struct dbc_js_options {
	/* "format" asserts (true) or only annotates (false, the default). */
	bool format_assertion;
	/* Refuse a schema its draft's meta-schema refuses (the SQL functions
	 * do; a schema that is wrong would otherwise pass documents silently). */
	bool check_meta;
	/* Remote documents for $ref: returns the text of uri (malloc'd; the
	 * compiler frees it) or NULL when unknown. NULL: every remote $ref other
	 * than the drafts' meta-schemas is an error (no network). Tests map the
	 * test suite's remotes here. */
	char *(*load_remote)(void *arg, const char *uri);
	void *load_arg;
	/* The URI the schema was retrieved from, the base of its relative
	 * references when it has no $id; NULL: a base of its own. */
	const char *base_uri;
} dbc_js_options;

typedef struct dbc_js_schema dbc_js_schema;

/* One failed assertion: where in the document, where in the schema (the
 * keyword's location as a JSON Pointer fragment, through any $ref), which
 * keyword and why. Text lives in the ctx arena. */
typedef struct dbc_js_error {
	const char *instance_path; /* JSON Pointer, "" for the whole document */
	const char *schema_path;   /* "#/properties/price/minimum" */
	const char *keyword;
	const char *message;
} dbc_js_error;

/* Compiles schema text. *out is malloc memory released by dbc_js_free.
 * DBC_ERROR with "dbcare: ..." in the ctx for text that is not JSON, not a
 * schema (an object or a boolean), an unknown $schema, an unresolvable or
 * remote $ref, or an invalid regular expression. */
int dbc_js_compile(dbc_ctx *ctx, const char *text, const dbc_js_options *opts, dbc_js_schema **out);
void dbc_js_free(dbc_js_schema *schema);

/* Validates document text. errors == NULL: stops at the first failure and
 * sets only *valid. Otherwise collects up to max_errors errors into an arena
 * array (*errors, *nerrors). DBC_ERROR only when validation could not be
 * done (document not JSON, too deep, regex limit, evaluation too deep). */
int dbc_js_validate(dbc_ctx *ctx, const dbc_js_schema *schema, const char *document, bool *valid,
                    dbc_js_error **errors, int *nerrors, int max_errors);

/* The verdict of the schema's compiled check alone (js_fast.c), which
 * dbc_js_validate asks first when no errors are wanted: 1 valid, 0
 * undecided (the evaluator decides), -1 an error in the ctx. For tests
 * that compare it with the evaluator (dbc_js_validate with errors
 * never takes it). */
int dbc_js_compiled_verdict(dbc_ctx *ctx, const dbc_js_schema *schema, const char *document);

/* A document the host hands over as a tree rather than as text (PostgreSQL's
 * jsonb, read from its stored layout or with its iterator), built in the
 * ctx arena with the same meaning the text would have: members and items
 * in order, numbers as their JSON text (an integer text that fits 64 bits
 * is an integer; one that does not is a real, as in a text document; other
 * numbers are reals, and one beyond a double's range is an error), nesting
 * deeper than DBC_JS_MAX_DEPTH an error. Keys must be unique (jsonb's are). Every call returns
 * DBC_OK or DBC_ERROR (ctx error); after an error the builder is done. */
typedef struct js_val dbc_js_doc;
typedef struct dbc_js_builder dbc_js_builder;
dbc_js_builder *dbc_js_build_new(dbc_ctx *ctx);
/* Opens an array (object false) of n items or an object of n members; for
 * an object, each member is dbc_js_build_key then its value. */
int dbc_js_build_open(dbc_js_builder *b, bool object, size_t n);
int dbc_js_build_close(dbc_js_builder *b);
int dbc_js_build_key(dbc_js_builder *b, const char *s, size_t len);
int dbc_js_build_string(dbc_js_builder *b, const char *s, size_t len);
int dbc_js_build_number(dbc_js_builder *b, const char *json_number);
/* A number whose text the host knows the value of without printing it:
 * dbc_js_build_number of a text reading as integer i (no '.', 'e' or 'E',
 * within 64 bits), or of one strtod reads as d (a '.' in it). The host
 * vouches that the text would read so (PostgreSQL's numeric layout,
 * pg/json/json_doc_layout.c). */
int dbc_js_build_int(dbc_js_builder *b, int64_t i);
int dbc_js_build_real(dbc_js_builder *b, double d);
int dbc_js_build_bool(dbc_js_builder *b, bool v);
int dbc_js_build_null(dbc_js_builder *b);
/* From now on keys and strings are not copied: the document points at the
 * bytes the host passed (not NUL-terminated), which must stay unchanged
 * while the document is used (a jsonb value held for the call). */
void dbc_js_build_borrow(dbc_js_builder *b);
/* The finished document (every array and object closed). */
int dbc_js_build_finish(dbc_js_builder *b, const dbc_js_doc **out);

/* dbc_js_validate over a built document. */
int dbc_js_validate_doc(dbc_ctx *ctx, const dbc_js_schema *schema, const dbc_js_doc *document,
                        bool *valid, dbc_js_error **errors, int *nerrors, int max_errors);

/* Whether schema text is a valid schema of its draft (its $schema, default
 * 2020-12), checked against the draft's meta-schema; the first reason in
 * *why (arena text) when not. DBC_ERROR only for text that is not JSON. */
int dbc_js_check(dbc_ctx *ctx, const char *text, bool *valid, char **why);

/* A bounded cache of compiled schemas keyed by schema text and options; one
 * per backend (PostgreSQL) or connection (SQLite). Least recently used
 * entries are dropped beyond DBC_JS_CACHE_ENTRIES or DBC_JS_CACHE_BYTES of
 * schema text. A schema it hands out stays valid until the next call on the
 * same cache. */
#define DBC_JS_CACHE_ENTRIES 64
#define DBC_JS_CACHE_BYTES   (4u << 20)
typedef struct dbc_js_cache dbc_js_cache;
dbc_js_cache *dbc_js_cache_new(void);
void dbc_js_cache_free(dbc_js_cache *cache);
int dbc_js_cache_get(dbc_ctx *ctx, dbc_js_cache *cache, const char *text,
                     const dbc_js_options *opts, const dbc_js_schema **out);
int dbc_js_cache_size(const dbc_js_cache *cache);
/* The compiled schema arg names (schema text, or a registered name): from
 * the cache when there is one, else compiled into *owned, which the caller
 * frees (dbc_js_free; NULL when the cache holds it). */
int dbc_js_schema_get(dbc_ctx *ctx, dbc_js_cache *cache, const char *arg,
                      const dbc_js_options *opts, const dbc_js_schema **out, dbc_js_schema **owned);
/* How the cache learns the registry's generation (js_registry.c) for the
 * call: the glue's memo over dbc_js_registry_generation (SQLite: read once
 * per connection and data version; PostgreSQL: a counter its relcache
 * invalidation moves). NULL (the default): read it on every call that
 * needs it. */
typedef int (*dbc_js_generation_fn)(dbc_ctx *ctx, int64_t *gen);
void dbc_js_cache_set_generation(dbc_js_cache *cache, dbc_js_generation_fn fn);

/* ---- the registry of named schemas (js_registry.c) */
/* Whether a schema argument is a registered name rather than schema text:
 * a name starts with a letter or "_" and is not true, false or null (which
 * schema text never does, after no leading space). */
bool dbc_js_is_name(const char *arg);
/* The registry's generation: a fingerprint of the schemas it holds (never
 * 0), 0 when it has no tables. */
int dbc_js_registry_generation(dbc_ctx *ctx, int64_t *gen);
/* The schema text registered under name (or under it as a URI), the URI
 * it is known by (NULL when none) and, when owner is not NULL, its owner
 * (NULL on an engine without roles); an error naming it when none is. */
int dbc_js_registry_text(dbc_ctx *ctx, const char *name, char **text, char **uri, char **owner);
/* load_remote over the registry: arg is a dbc_js_registry_use, whose used
 * is set when a reference was found there. root and owner: the registered
 * schema compiled and its owner, whose $refs reach only schemas that owner
 * may use (NULL: schema text of a call, which reaches every one). */
typedef struct dbc_js_registry_use {
	dbc_ctx *ctx;
	bool used;
	const char *root, *owner;
} dbc_js_registry_use;
char *dbc_js_registry_load(void *arg, const char *uri);
/* dbjson_register: stores (or replaces) schema under name, known by uri
 * when given, else by its $id; records the change; its SHA-256 in *sha256. */
int dbc_js_register(dbc_ctx *ctx, const char *name, const char *schema, const char *uri,
                    char **sha256);
/* dbjson_unregister: refused while a CHECK constraint names it. */
int dbc_js_unregister(dbc_ctx *ctx, const char *name, bool *removed);
/* The CHECK constraints that name a registered schema. */
typedef struct dbc_js_user {
	const char *schema, *table, *constraint; /* table: its display name */
	const char *name;                        /* the table's own name (NULL: a domain) */
	bool domain;                             /* table is a domain's display name (PostgreSQL) */
	bool computed; /* its validator's schema argument is computed: it may name any schema */
} dbc_js_user;
int dbc_js_schema_users(dbc_ctx *ctx, const char *name, dbc_js_user **out, int *n);
/* dbjson_history: rows (changed_at, changed_by, old_sha256, new_sha256)
 * of schema name's changes, oldest first (js_history.c: who may read). */
int dbc_js_history(dbc_ctx *ctx, const char *name, struct dbc_rows *out);
/* dbjson_schemas: rows (name, uri, sha256, bytes, registered_at). */
int dbc_js_schemas(dbc_ctx *ctx, struct dbc_rows *out);
/* dbjson_revalidate: rows (table_name, constraint_name, violations,
 * not_checked) for each CHECK constraint that names the schema. */
int dbc_js_revalidate(dbc_ctx *ctx, const char *name, struct dbc_rows *out);

/* The SQL functions' core, over a cache (may be NULL: compile every time).
 * dbc_js_assert fails with "dbcare: <instance path>: <reason> (<keyword>
 * at <schema path>)" naming the first error. */
int dbc_js_valid(dbc_ctx *ctx, dbc_js_cache *cache, const char *document, const char *schema,
                 bool format_assertion, bool *valid);
/* dbc_js_valid of a document of document_len bytes, its NUL after them
 * (a host that knows its text's length: the check does not measure it). */
int dbc_js_valid_n(dbc_ctx *ctx, dbc_js_cache *cache, const char *document, size_t document_len,
                   const char *schema, bool format_assertion, bool *valid);
int dbc_js_assert(dbc_ctx *ctx, dbc_js_cache *cache, const char *document, const char *schema,
                  bool format_assertion);
/* Rows (instance_path, schema_path, keyword, message), every error. */
int dbc_js_errors(dbc_ctx *ctx, dbc_js_cache *cache, const char *document, const char *schema,
                  bool format_assertion, struct dbc_rows *out);
/* The same over a built document (exactly one of document / doc is
 * non-NULL in the _any forms; the text forms above call them). */
int dbc_js_valid_any(dbc_ctx *ctx, dbc_js_cache *cache, const char *document, const dbc_js_doc *doc,
                     const char *schema, bool format_assertion, bool *valid);
int dbc_js_assert_any(dbc_ctx *ctx, dbc_js_cache *cache, const char *document,
                      const dbc_js_doc *doc, const char *schema, bool format_assertion);
int dbc_js_errors_any(dbc_ctx *ctx, dbc_js_cache *cache, const char *document,
                      const dbc_js_doc *doc, const char *schema, bool format_assertion,
                      struct dbc_rows *out);
/* dbcheck_json: one row (violations, sample) for the non-NULL values of
 * column in table (in schema, or where the engine looks when it is NULL;
 * names are quoted by the host), read in one statement. sample is a JSON array of the first five
 * failures, each
 * {"value": excerpt, "error": "path: message"}, or NULL when none. */
#define DBC_JS_SCAN_NCOLS 2
int dbc_js_scan(dbc_ctx *ctx, dbc_js_cache *cache, const char *table_schema, const char *table,
                const char *column, const char *schema, bool format_assertion,
                struct dbc_rows *out);

#endif
