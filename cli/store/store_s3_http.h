/*
 * store_s3_http.h — the S3 request layer the S3 store's operations run
 * on (store_s3_http.c); private to cli/store/.
 */
#ifndef DBCARE_CLI_STORE_S3_HTTP_H
#define DBCARE_CLI_STORE_S3_HTTP_H

#include "store_private.h"

#include "base/dbc.h"
#include "base/heap_grow.h"
#include "base/sha256.h"

#include <curl/curl.h>
#include <sys/types.h>

/* A part of a file sent as a request's body, read as it goes. */
typedef struct s3_part {
	int fd;
	off_t off, len, sent;
} s3_part;

/* What a request does with the answer's body: into fd and a digest, or
 * into memory (XML). */
typedef struct answer {
	int fd;          /* -1: not written */
	dbc_sha256 *sha; /* NULL: not digested */
	dbc_ctx *ctx;
	dbc_heap_text text; /* the body, up to BODY_CAP */
	bool failed;
	bool overflow; /* the body in memory passed BODY_CAP: not whole */
	char etag[128];
	bool etag_not_md5; /* SSE-KMS or SSE-C answered: the ETag is no MD5 */
} answer;

/* The ETag an answer carried, and whether it can be an MD5 of the bytes:
 * under SSE-KMS (x-amz-server-side-encryption: aws:kms...) or SSE-C (a
 * customer-algorithm header) S3's ETag is not one, and the part's bytes
 * are then checked by S3 against the Content-MD5 sent alone. */
typedef struct s3_etag {
	char text[128];
	bool not_md5;
} s3_etag;

typedef struct request {
	const char *method; /* GET PUT POST DELETE HEAD */
	const char *key;    /* NULL: the bucket */
	const char *query;
	s3_part *part; /* the bytes sent (PUT) or NULL */
	curl_off_t body_len;
	const char *text;   /* or a text sent (POST), NULL */
	const char *header; /* one more header ("Content-MD5: ...") or NULL */
} request;

/* Runs rq; 0 with its HTTP status in *status (any), -1 on a transport
 * error (err written). */
int s3_perform(cli_store *s, const request *rq, answer *a, long *status, char *err, size_t n);
/* err from an answer that is no success: S3's code and message; -1 */
int s3_refused(cli_store *s, const request *rq, long status, answer *a, char *err, size_t n);
/* rq run with its answer in memory (XML); 0 on 2xx with *body (malloc'd;
 * body may be NULL) and the answer's ETag (etag may be NULL). An answer
 * longer than BODY_CAP is an error, never a silently cut body. */
int s3_call(cli_store *s, const request *rq, char **body, s3_etag *etag, char *err, size_t n);
/* The text of <tag> in xml (malloc'd, entities unescaped), *next past its
 * end (next may be NULL); NULL when absent. */
char *s3_xml_text(const char *xml, const char *tag, const char **next);
/* text percent-encoded as S3's canonical form wants (malloc'd) */
char *s3_encoded(const char *text, bool keep_slash);

#endif
