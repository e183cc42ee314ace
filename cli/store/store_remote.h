/*
 * store_remote.h — what the two remote kinds share (store_remote.c;
 * private to cli/store/): a file's part read as a request's body, an
 * answer's body and headers taken as they arrive, curl's common options,
 * the errors of a request that failed or was refused, and the publish
 * checks: bytes the store answered other than sent, an object that was
 * published wrong and is removed again. S3 (store_s3*.c) and Azure
 * (store_azure*.c) differ in URLs, signatures and the order of their
 * requests only.
 *
 * Invariants: an error names the store by its label and the object by
 * its name, never a header, a URL or a secret; an answer's body goes into
 * the caller's file (and its digests) only while its status is a success,
 * else into memory, at most STORE_BODY_CAP bytes (more: overflow, never a
 * silently cut body).
 */
#ifndef DBCARE_CLI_STORE_REMOTE_H
#define DBCARE_CLI_STORE_REMOTE_H

#include "store_private.h"

#include "base/dbc.h"
#include "base/heap_grow.h"
#include "base/sha256.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <sys/types.h>

#define STORE_STALL_SECONDS 30L       /* a store silent this long fails the request */
#define STORE_BODY_CAP      (1 << 20) /* an answer kept in memory, at most */

/* A part of a file sent as a request's body, read as it goes. */
typedef struct store_part {
	int fd;
	off_t off, len, sent;
} store_part;

/* curl's read of a store_part (CURLOPT_READFUNCTION). */
size_t store_part_read(char *buf, size_t size, size_t nmemb, void *arg);

/* What a request does with the answer: its body into fd with its SHA-256
 * and MD5, or into memory (XML); the headers either store reads. */
typedef struct store_answer {
	int fd;          /* -1: kept in memory */
	dbc_sha256 *sha; /* NULL: not digested */
	dbc_ctx *ctx;
	EVP_MD_CTX *md5; /* NULL: not digested */
	dbc_heap_text text;
	bool failed, overflow;
	long status;          /* the (last) status line's code */
	char etag[128];       /* S3: the ETag, quotes removed */
	bool etag_not_md5;    /* S3: SSE-KMS or SSE-C answered: the ETag is no MD5 */
	char content_md5[64]; /* Azure: the Content-MD5 (base64), "" when none */
	char length[32];      /* the Content-Length */
} store_answer;

/* curl's options every request shares: no signals, a stalled store
 * timed out, the answer's body and headers into a. */
void store_curl_answer(CURL *c, store_answer *a);

/* One try of a request (rq: the kind's own request), as the kinds'
 * *_perform run it: 0 with the status in a->status, -1 on a transport
 * error (err written). */
typedef int (*store_try_fn)(cli_store *s, const void *rq, store_answer *a, char *err, size_t n);
/* rq tried, and tried again while the store asks for it (HTTP 500, 502,
 * 503, 504: S3's InternalError and SlowDown, Azure's InternalError and
 * ServerBusy), at most STORE_RETRIES more times, after pauses of
 * STORE_RETRY_BASE_MS doubled each time (the upper half drawn at random,
 * so writers a busy store answered together come back apart); before each
 * try the answer is dropped and part (the body, NULL: none) is read from
 * its start again. Safe for every request: such an answer's status comes
 * before its body, which then goes to memory, never to a's file or its
 * digests (on_body), and it published nothing the request names. */
#define STORE_RETRIES       4
#define STORE_RETRY_BASE_MS 200
int store_perform_retried(store_try_fn try_once, cli_store *s, const void *rq, store_part *part,
                          store_answer *a, char *err, size_t n);

/* What each kind tells the user to check. */
typedef struct store_remedies {
	const char *endpoint; /* after "check the endpoint", or "" */
	const char *denied;   /* HTTP 403 */
	const char *missing;  /* HTTP 404 */
} store_remedies;

/* err after a request that got no whole answer (cc, or a failed write of
 * what arrived); -1. */
int store_failed(const cli_store *s, const char *method, const char *key, CURLcode cc,
                 const store_answer *a, char *err, size_t n);
/* err from an answer that is no success: the store's Code and the first
 * line of its Message, and the remedy; -1. */
int store_refused(const cli_store *s, const char *method, const char *key, const store_answer *a,
                  const store_remedies *r, char *err, size_t n);
/* 0 when a is a whole success (2xx, its body within the cap), else -1
 * with err. */
int store_judged(const cli_store *s, const char *method, const char *key, const store_answer *a,
                 const store_remedies *r, char *err, size_t n);
/* err when a GET of key was answered no success (404: no such object,
 * said so), -1. */
int store_get_refused(const cli_store *s, const char *key, const store_answer *a,
                      const store_remedies *r, char *err, size_t n);

/* The checksum the store answered for what it keeps (got: "" when none)
 * against the one sent, compared as hex (any case) or as base64: 0 when
 * equal; 1 with err "the store holds other bytes than sent for WHAT ...:
 * not published". */
int store_sent_check(const cli_store *s, const char *what, const char *key, const char *got,
                     const char *sent, bool hex, char *err, size_t n);
/* An object published as other bytes than the file's (how says what the
 * store holds) deleted again: only ever after a request of this upload
 * published it, never on a refused one (that object, if any, is another
 * writer's). -1 with err. */
int store_published_wrong(cli_store *s, const char *key, const char *how, char *err, size_t n);

/* file opened and published by by_size (its descriptor and size). 0, or
 * -1 with err. */
int store_publish_file(cli_store *s, const char *key, const char *file,
                       int (*by_size)(cli_store *s, const char *key, int fd, off_t size, char *err,
                                      size_t n),
                       char *err, size_t n);

/* The text of <tag> in xml (malloc'd, XML entities unescaped), *next
 * past its end (next may be NULL); NULL when absent. */
char *store_xml_text(const char *xml, const char *tag, const char **next);
/* text percent-encoded as S3's canonical form and Azure's URLs want (a
 * slash kept where keep_slash): malloc'd */
char *store_encoded(const char *text, bool keep_slash);

/* The name of key in the store (its prefix removed), for messages. */
const char *store_name_of(const cli_store *s, const char *key);

#endif
