/*
 * migrate_text.h — the registered text dbmigrate_script() writes into a psql
 * or sqlite3 script (names, versions, checksums). A line break there would
 * start a line the shell reads as one of its own commands (psql's \!,
 * sqlite3's .shell), so no such text may hold a control character: it is
 * refused at registration, and the generator refuses a row that got one
 * another way (written into the registry by hand).
 */
#ifndef DBC_MIGRATE_TEXT_H
#define DBC_MIGRATE_TEXT_H

#include "base/dbc.h"

/* True when s holds a C0 or C1 control character, DEL, or a Unicode line or
 * paragraph separator (U+2028, U+2029): anything a reader may take as the
 * end of a line. */
bool dbc_migrate_text_has_control(const char *s);

/* s with every such character shown as '?', for messages. */
char *dbc_migrate_text_printable(dbc_ctx *ctx, const char *s);

/* DBC_OK, or a 22023 error "<what> ... contains a control character". */
int dbc_migrate_check_name(dbc_ctx *ctx, const char *name, const char *what);

#endif
