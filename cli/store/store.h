/*
 * store.h — where a backup's bytes may live beside the machine they
 * protect: a destination is a local folder or an S3 bucket
 * (s3://BUCKET/PREFIX). The part's one public header; it knows no engine
 * and no backup: it moves files to and from keys.
 *
 * Invariants:
 *   - cli_store_put_file is atomic for a reader, and nothing is published
 *     before the store's checksum of the bytes matched the file's: on S3
 *     one multipart upload (at most 10,000 parts: store_s3_parts.h),
 *     completed only after every part's ETag (its MD5) came back right
 *     (store_s3.c); in a folder a temporary file (NAME.tmp-XXXXXX) read
 *     back and compared by SHA-256, then linked to NAME (store_local.c).
 *     Under SSE-KMS or SSE-C S3's ETags are no MD5s: then S3's own check
 *     of each part's Content-MD5 is the check. A kill at any moment
 *     leaves NAME absent or whole; cli_store_list never returns a
 *     temporary name. In an Azure container (azure://CONTAINER/PREFIX)
 *     one Put Blob (its answer carries the store's MD5 of the blob), or
 *     blocks committed by one block list only after each came back right,
 *     the blob read back (store_azure.c).
 *   - Credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 *     AWS_SESSION_TOKEN, the shared files of AWS_PROFILE) are read from
 *     the environment and the files only, are handed to libcurl only, and
 *     never enter an error text, a log line or a URL; so are Azure's
 *     (store_azure_config.c: the account key signs, a SAS token goes
 *     into the request's URL alone).
 */
#ifndef DBCARE_CLI_STORE_H
#define DBCARE_CLI_STORE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cli_store cli_store;

/* Whether text names an object store (s3://..., azure://...) rather than
 * a file: the core's rule (dbc_setting_is_store_url). */
bool cli_store_is_url(const char *text);

/* Opens the destination dest (s3://BUCKET[/PREFIX] or a folder): the S3
 * side reads its region, endpoint and credentials now. NULL after writing
 * why into err (n bytes), an error starting "dbcare:". */
cli_store *cli_store_open(const char *dest, char *err, size_t n);
void cli_store_close(cli_store *s);

/* What dest names as a store and a name in it: s3://b/p/full.db opened
 * as s3://b/p, *name "full.db" (malloc'd). NULL as cli_store_open. */
cli_store *cli_store_open_object(const char *url, char **name, char *err, size_t n);

/* file uploaded as NAME under the store's prefix, atomically and checked
 * (above). 0, or -1 with err. */
int cli_store_put_file(cli_store *s, const char *name, const char *file, char *err, size_t n);
/* NAME downloaded into the new file path (created 0600, never over an
 * existing one). 0, or -1 with err (path removed again). */
int cli_store_get_file(cli_store *s, const char *name, const char *path, char *err, size_t n);
/* The names under the prefix (no temporary key), sorted: *names a
 * malloc'd array of *count malloc'd names. 0, or -1 with err. */
int cli_store_list(cli_store *s, char ***names, size_t *count, char *err, size_t n);
void cli_store_names_free(char **names, size_t count);
/* Whether names (count, sorted by strcmp as cli_store_list returns them)
 * hold name: a binary search. */
bool cli_store_names_has(char *const *names, size_t count, const char *name);
/* names (count) sorted by strcmp, as cli_store_names_has wants them. */
void cli_store_names_sort(char **names, size_t count);
/* NAME deleted (absent already: 0). 0, or -1 with err. */
int cli_store_delete(cli_store *s, const char *name, char *err, size_t n);
/* The destination as the user wrote it, without anything secret. */
const char *cli_store_label(const cli_store *s);
/* What an upload to s checked, as a message says it: "each part's MD5
 * checked by the store" (S3: nothing is read back) or "read back, SHA-256
 * checked" (a folder). */
const char *cli_store_checked_how(const cli_store *s);
/* Whether name can be a file of a local folder as it is: not empty, at
 * most 255 bytes, no '/', not starting with '.' (".", ".." and hidden
 * names), no temporary mark. A name listed in a store that is none is
 * never fetched. */
bool cli_store_name_ok(const char *name);

/* What an opened bucket or container is and the credentials read for it,
 * for a tool that reaches the store itself (pgBackRest's s3 and azure
 * repositories): pointers into s, valid while it is open. The secret
 * fields are for that tool's environment alone (never a command line, a
 * file, a message). */
typedef struct cli_store_access {
	bool azure;                          /* else S3 */
	const char *bucket;                  /* the S3 bucket or the Azure container */
	const char *prefix;                  /* "" or "a/b/" */
	const char *endpoint;                /* scheme://host[:port][/path], no trailing slash */
	bool path_style;                     /* S3: https://host/BUCKET/KEY */
	const char *region;                  /* S3 */
	const char *key_id, *secret, *token; /* S3; token NULL: none */
	const char *account;                 /* Azure */
	const unsigned char *key; /* Azure's decoded account key (key_len bytes), NULL: SAS */
	size_t key_len;
	const char *sas; /* Azure's SAS token (no '?'), NULL: Shared Key */
} cli_store_access;
/* 0 with *a filled; -1 when s is a folder. */
int cli_store_access_of(const cli_store *s, cli_store_access *a);

#endif
