/*
 * json_doc.h — the two readers of a jsonb document for the validator's
 * builder: the public iterator (pg/json/json_doc.c) and the stored layout
 * (pg/json/json_doc_layout.c, PostgreSQL 15 only).
 */
#ifndef DBCARE_PG_JSON_DOC_H
#define DBCARE_PG_JSON_DOC_H

#include "jsonschema/jsonschema.h"

#include "fmgr.h"
#include "utils/jsonb.h"

/* Hands the builder jb's document read from jsonb's stored layout, the very
 * calls the iterator's walk makes: *done true. *done false (nothing
 * built) where the reader is not built or dbcare.jsonb_layout is off. */
int pgdbc_jsonb_layout_walk(dbc_js_builder *b, const Jsonb *jb, bool *done);

/* dbjson_valid of jsonb argument n through the schema's compiled check
 * alone (dbc_js_valid_walk), no tree built: *verdict 1 valid, 0
 * undecided (the caller then validates the usual way; always 0 in a
 * database whose encoding is not UTF-8). rc as the core's. */
int pgdbc_jsonb_valid_compiled(dbc_ctx *ctx, FunctionCallInfo fcinfo, int n, dbc_js_cache *cache,
                               const char *schema, bool format_assertion, int *verdict);

/* Defines the setting dbcare.jsonb_layout (from _PG_init). */
void pgdbc_define_jsonb_layout_setting(void);

#endif
