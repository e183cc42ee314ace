/*
 * js_walk.h — the compiled check over a value read through an accessor
 * (js_walk.c), for the core's own readers: a built tree (js_tree.c) and a
 * host's document in place (js_access.h). Inside core/jsonschema/ only.
 */
#ifndef DBC_JS_WALK_H
#define DBC_JS_WALK_H

#include "jsonschema/js_access.h"
#include "jsonschema/js_private.h"

/* The compiled check's answer on value v, read through acc, against node
 * n (NULL: any value): valid when it surely passes, invalid when it surely
 * fails, else undecided (an error may be left in r's ctx). */
js_verdict dbc_js_walk_verdict(js_run *r, const dbc_js_access *acc, const js_node *n,
                               const dbc_js_ref *v);

#endif
