/*
 * test_jsonschema_text_scalar.c — test_jsonschema_text.c run over the
 * portable scanners (DBC_JS_SCALAR: what a build without SSE2 reads with).
 */
#define DBC_JS_SCALAR
#include "test_jsonschema_text.c"
