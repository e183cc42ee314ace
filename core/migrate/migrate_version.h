/*
 * migrate_version.h — migration versions: digits separated by '.' or '_',
 * compared component by component as numbers of any length (digit strings,
 * never integers, so a 1,000-digit timestamp cannot overflow).
 */
#ifndef DBC_MIGRATE_VERSION_H
#define DBC_MIGRATE_VERSION_H

#include "base/dbc.h"

/* True when text is a valid version (non-empty digit groups separated by '.' or '_'). */
bool dbc_version_valid(const char *text);

/* The canonical form: leading zeros of each component and trailing zero
 * components dropped, '.' as separator ("01_2.0" -> "1.2", "0.0" -> "0").
 * Invalid text is a 22023 error naming what (e.g. "version"). */
int dbc_version_canonical(dbc_ctx *ctx, const char *text, const char *what, char **out);

/* Compares two valid versions (canonical or not): <0, 0, >0. */
int dbc_version_cmp(const char *a, const char *b);

#endif
