/*
 * core/base/file_uri.h — a database file's path as a SQLite file: URI with
 * a query (the module's sweep opens a candidate immutable, the command
 * opens its database without the module's capture), so that any file
 * name, '?', '#' and '%' included, names the same file.
 */
#ifndef DBC_FILE_URI_H
#define DBC_FILE_URI_H

/* "file:" and path, every byte but letters, digits and "/._-~"
 * percent-encoded, then "?" and query (malloc'd; NULL when out of
 * memory). */
char *dbc_file_uri(const char *path, const char *query);

#endif
