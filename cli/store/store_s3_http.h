/*
 * store_s3_http.h — the S3 request layer the S3 store's operations run
 * on (store_s3_http.c); private to cli/store/. What it shares with Azure's
 * (the answer, the errors, the publish checks) is store_remote.h's.
 */
#ifndef DBCARE_CLI_STORE_S3_HTTP_H
#define DBCARE_CLI_STORE_S3_HTTP_H

#include "store_remote.h"

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
	store_part *part;   /* the bytes sent (PUT) or NULL */
	const char *text;   /* or a text sent (POST), NULL */
	const char *header; /* one more header ("Content-MD5: ...") or NULL */
} request;

/* What S3's refusals tell the user to check. */
extern const store_remedies s3_remedies;

/* Runs rq, again while the store asks for it (store_perform_retried); 0
 * with its last HTTP status in a->status (any), -1 on a transport error
 * (err written). */
int s3_perform(cli_store *s, const request *rq, store_answer *a, char *err, size_t n);
/* rq run with its answer in memory (XML); 0 on 2xx with *body (malloc'd;
 * body may be NULL) and the answer's ETag (etag may be NULL). An answer
 * longer than STORE_BODY_CAP is an error, never a silently cut body; a
 * 200 whose body is an <Error> is one too. */
int s3_call(cli_store *s, const request *rq, char **body, s3_etag *etag, char *err, size_t n);

#endif
