/*
 * store_private.h — what the store's files share (not for other parts):
 * the store's fields and each kind's primitive operations, which know
 * nothing of atomicity (store.c builds the atomic upload on them).
 */
#ifndef DBCARE_CLI_STORE_PRIVATE_H
#define DBCARE_CLI_STORE_PRIVATE_H

#include "store.h"

#include <openssl/types.h>
#include <stdint.h>
#include <sys/types.h>

/* AWS credentials and where to send requests; secret fields are never
 * printed. */
typedef struct store_aws {
	char *key_id, *secret, *token; /* token NULL: none */
	char *region;
	char *endpoint;        /* scheme://host[:port], no trailing slash */
	bool path_style;       /* https://host/BUCKET/KEY rather than BUCKET.host */
	off_t multipart_chunk; /* a multipart upload's part, in bytes */
	off_t single_put_max;  /* files up to it: one PUT, not multipart */
} store_aws;

typedef struct store_ops store_ops;
typedef struct store_azure store_azure; /* store_azure_http.h */

struct cli_store {
	const store_ops *ops;
	char *label;  /* s3://bucket/prefix or the folder, for messages */
	char *bucket; /* S3: the bucket; a folder: its path */
	char *prefix; /* "" or "a/b/": every key starts with it */
	store_aws aws;
	store_azure *azure; /* azure://: the account (store_azure_config.c) */
};

struct store_ops {
	/* file's bytes published under key (the whole key, prefix included)
	 * only once the store holds them whole and its checksum of them was
	 * compared with the file's: before that no reader sees key, and what
	 * a kill leaves is never listed under a name (store.h). */
	int (*publish)(cli_store *s, const char *key, const char *file, char *err, size_t n);
	/* key's bytes into fd (-1: only digested); their SHA-256 in hex. */
	int (*get)(cli_store *s, const char *key, int fd, char sha256[65], char *err, size_t n);
	int (*del)(cli_store *s, const char *key, char *err, size_t n);
	/* the keys under the prefix, appended to *names */
	int (*list)(cli_store *s, char ***names, size_t *count, size_t *cap, char *err, size_t n);
};

/* What marks a temporary name (NAME.tmp-XXXXXX): never listed. */
#define STORE_TMP_MARK ".tmp-"

extern const store_ops store_local_ops, store_s3_ops, store_azure_ops;

/* An azure:// destination opened into s, whose bucket (the container)
 * and prefix are set: the container checked, the account read
 * (store_azure_config.c). 0, or -1 with err. */
int store_azure_open(cli_store *s, const char *dest, char *err, size_t n);
void store_azure_free(store_azure *az);

/* The MD5 of len bytes of fd from off (raw, store_md5.c); whole, when not NULL, digests
 * them too (the whole file's MD5, part by part). 0, or -1 with err. */
int store_region_md5(int fd, off_t off, off_t len, unsigned char md[16], EVP_MD_CTX *whole,
                     char *err, size_t n);

/* The AWS settings as a user keeps them (store_aws_config.c). */
int store_aws_load(store_aws *aws, char *err, size_t n);
void store_aws_free(store_aws *aws);

/* A name appended to a growing array (store_names.c); false on out of
 * memory. */
bool store_names_add(char ***names, size_t *count, size_t *cap, const char *name, size_t len);

#endif
