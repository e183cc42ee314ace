/*
 * store_s3_http.c — one S3 request over libcurl (store_s3_http.h): its URL
 * (path- or virtual-host style), Signature V4 by libcurl
 * (CURLOPT_AWS_SIGV4: no signing here), the session token's header, the
 * answer taken and judged by store_remote.c (a store that stops answering
 * ends a request after STORE_STALL_SECONDS without a byte, so a stopped
 * store fails the upload rather than hangs it).
 */
#include "store_s3_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const store_remedies s3_remedies = {
    .endpoint = " (AWS_ENDPOINT_URL)",
    .denied = "check the credentials, AWS_REGION and the bucket's policy",
    .missing = "check the bucket and the name",
};

/* The URL of key (NULL: the bucket) with query (already canonical:
 * sorted, encoded; NULL: none). */
static char *url_of(const cli_store *s, const char *key, const char *query)
{
	char *path = store_encoded(key ? key : "", true), *url = NULL;
	if (!path)
		return NULL;
	const char *ep = s->aws.endpoint, *host = strstr(ep, "://");
	int ok;
	if (s->aws.path_style || !host)
		ok = asprintf(&url, "%s/%s/%s%s%s", ep, s->bucket, path, query ? "?" : "",
		              query ? query : "");
	else
		ok = asprintf(&url, "%.*s%s.%s/%s%s%s", (int)(host + 3 - ep), ep, s->bucket, host + 3, path,
		              query ? "?" : "", query ? query : "");
	free(path);
	return ok < 0 ? NULL : url;
}

/* One try of rq (a request); a 200 whose body is an <Error>
 * (CompleteMultipartUpload and CopyObject may fail after their 200, and
 * AWS asks for another try) is taken as the 500 it is. */
static int perform_once(cli_store *s, const void *request_of_s3, store_answer *a, char *err,
                        size_t n)
{
	const request *rq = request_of_s3;
	CURL *c = curl_easy_init();
	char *url = url_of(s, rq->key, rq->query), sigv4[128], *token_hdr = NULL;
	struct curl_slist *h = NULL;
	if (!c || !url) {
		snprintf(err, n, "dbcare: out of memory for a request to %s", s->label);
		curl_easy_cleanup(c);
		free(url);
		return -1;
	}
	snprintf(sigv4, sizeof sigv4, "aws:amz:%s:s3", s->aws.region);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4);
	curl_easy_setopt(c, CURLOPT_USERNAME, s->aws.key_id);
	curl_easy_setopt(c, CURLOPT_PASSWORD, s->aws.secret);
	store_curl_answer(c, a);
	/* the payload is not hashed into the signature (S3 allows it): a
	 * part is streamed once; its digest is checked by reading it back */
	h = curl_slist_append(h, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
	h = curl_slist_append(h, "Expect:");
	if (s->aws.token && asprintf(&token_hdr, "x-amz-security-token: %s", s->aws.token) >= 0)
		h = curl_slist_append(h, token_hdr);
	if (rq->header)
		h = curl_slist_append(h, rq->header);
	if (strcmp(rq->method, "PUT") == 0) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)(rq->part ? rq->part->len : 0));
		if (rq->part) {
			curl_easy_setopt(c, CURLOPT_READFUNCTION, store_part_read);
			curl_easy_setopt(c, CURLOPT_READDATA, rq->part);
		}
	} else if (strcmp(rq->method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->text ? rq->text : "");
	} else if (strcmp(rq->method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(rq->method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	CURLcode cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	if (token_hdr) {
		memset(token_hdr, 0, strlen(token_hdr));
		free(token_hdr);
	}
	free(url);
	if (cc != CURLE_OK || a->failed)
		return store_failed(s, rq->method, rq->key, cc, a, err, n);
	if (a->status == 200 && a->fd < 0 && a->text.data && strstr(a->text.data, "<Error>"))
		a->status = 500;
	return 0;
}

int s3_perform(cli_store *s, const request *rq, store_answer *a, char *err, size_t n)
{
	return store_perform_retried(perform_once, s, rq, rq->part, a, err, n);
}

int s3_call(cli_store *s, const request *rq, char **body, s3_etag *etag, char *err, size_t n)
{
	store_answer a = {.fd = -1};
	int rc = s3_perform(s, rq, &a, err, n);
	if (rc == 0)
		rc = store_judged(s, rq->method, rq->key, &a, &s3_remedies, err, n);
	if (etag) {
		snprintf(etag->text, sizeof etag->text, "%s", a.etag);
		etag->not_md5 = a.etag_not_md5;
	}
	if (rc == 0 && body) {
		*body = a.text.data;
		a.text.data = NULL;
	}
	free(a.text.data);
	return rc;
}
