/*
 * json_doc.h — the two readers of a jsonb document for the validator: the
 * public iterator (pg/json/json_doc.c) and the stored layout
 * (pg/json/json_doc_layout.c, PostgreSQL 15 only). Each is an accessor
 * (core/jsonschema/js_access.h) the compiled check reads in place and the
 * builder of the document's tree.
 */
#ifndef DBCARE_PG_JSON_DOC_H
#define DBCARE_PG_JSON_DOC_H

#include "jsonschema/jsonschema.h"

#include "fmgr.h"
#include "utils/jsonb.h"

/* jb's document as a tree read from jsonb's stored layout, built by the
 * very calls the iterator's tokens make: *done true. *done false (nothing
 * built) where the reader is not built or dbcare.jsonb_layout is off. */
int pgdbc_jsonb_layout_doc(dbc_ctx *ctx, const Jsonb *jb, const dbc_js_doc **out, bool *done);

/* dbc_js_valid_access of jb read in place from jsonb's stored layout (the
 * compiled check asks for what its plans read, nothing else): *done true.
 * *done false (nothing done) where the reader is not built or
 * dbcare.jsonb_layout is off. rc and *verdict as the core's. */
int pgdbc_jsonb_layout_valid(dbc_ctx *ctx, dbc_js_cache *cache, const char *schema,
                             bool format_assertion, const Jsonb *jb, int *verdict, bool *done);

/* dbjson_valid of jsonb argument n through the schema's compiled check
 * alone, read in place through an accessor (core/jsonschema/js_access.h,
 * dbc_js_valid_access: the stored layout, or the iterator one container
 * at a time) with no tree built but for what the check hands the
 * evaluator: *verdict 1 valid, 0 undecided (the caller then validates the
 * usual way; always 0 in a database whose encoding is not UTF-8). rc as
 * the core's. */
int pgdbc_jsonb_valid_compiled(dbc_ctx *ctx, FunctionCallInfo fcinfo, int n, dbc_js_cache *cache,
                               const char *schema, bool format_assertion, int *verdict);

/* Defines the setting dbcare.jsonb_layout (from _PG_init). */
void pgdbc_define_jsonb_layout_setting(void);

#endif
