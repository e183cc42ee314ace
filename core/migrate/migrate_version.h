/*
 * migrate_version.h — migration versions: digits separated by '.' or '_',
 * compared component by component as numbers of any length (digit strings,
 * never integers, so a 1,000-digit timestamp cannot overflow), or names
 * (a Prisma folder's), compared as text.
 */
#ifndef DBC_MIGRATE_VERSION_H
#define DBC_MIGRATE_VERSION_H

#include "base/dbc.h"

/* True when text is a number version: non-empty digit groups separated by
 * '.' or '_' (what a file name's version must be). */
bool dbc_version_number(const char *text);

/* True when text is a name version: digits, '_', then a name (any, even empty:
 * printable text without '/'), and no number version. A Prisma migration's
 * key is its folder's name ("20241018111424_init"), compared as text. */
bool dbc_version_is_name(const char *text);

/* True when text is a number version or a name version. */
bool dbc_version_valid(const char *text);

/* The canonical form of a number version: leading zeros of each component and trailing zero
 * components dropped, '.' as separator ("01_2.0" -> "1.2", "0.0" -> "0").
 * A name version is its own canonical form. Invalid text is a 22023 error
 * naming what (e.g. "version"). */
int dbc_version_canonical(dbc_ctx *ctx, const char *text, const char *what, char **out);

/* Compares two valid versions (canonical or not): -1, 0, 1. Numbers by
 * value, names as text (Prisma's folder order), every number before every
 * name. */
int dbc_version_cmp(const char *a, const char *b);

#endif
