/*
 * store_azure_http.c — one Azure Blob request over libcurl
 * (store_azure_http.h): its URL (ENDPOINT/CONTAINER/KEY?QUERY, the SAS
 * token's query appended under SAS), its Shared Key signature (HMAC-SHA256
 * of the canonical request with the account key, by OpenSSL), the
 * answer taken and judged by store_remote.c (its Content-MD5 kept; an
 * error names the request and Azure's code, never a header or the URL; a
 * store that stops answering ends a request after STORE_STALL_SECONDS
 * without a byte).
 */
#include "store_azure_http.h"

#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

const store_remedies az_remedies = {
    .endpoint = "",
    .denied = "check AZURE_STORAGE_CONNECTION_STRING (or AZURE_STORAGE_KEY / "
              "AZURE_STORAGE_SAS_TOKEN) and the SAS token's permissions",
    .missing = "check the container and the name",
};

/* An RFC 1123 date in GMT, whatever the locale: x-ms-date */
static void http_date(char out[40])
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t now = time(NULL);
	struct tm t;
	gmtime_r(&now, &t);
	snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[t.tm_wday], t.tm_mday,
	         months[t.tm_mon], t.tm_year + 1900, t.tm_hour, t.tm_min, t.tm_sec);
}

static int by_name(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static int param_by_name(const void *x, const void *y)
{
	return strcmp(((const az_param *)x)->name, ((const az_param *)y)->name);
}

/* The Shared Key Authorization header of the request (malloc'd): the
 * HMAC-SHA256, keyed by the account key, of the verb, the standard
 * headers, the x-ms-* headers sorted and the canonical resource
 * (/ACCOUNT/URL-PATH, then each parameter sorted, "\nname:value"). */
static char *shared_key(const cli_store *s, const az_request *rq, const char *path,
                        long long length, const char *const *xms, size_t nxms)
{
	dbc_heap_text t = {0};
	char len_text[32] = "", line[1024];
	if (length > 0)
		snprintf(len_text, sizeof len_text, "%lld", length);
	int w = snprintf(line, sizeof line, "%s\n\n\n%s\n%s\n\n\n\n\n\n\n\n", rq->method, len_text,
	                 rq->content_md5 ? rq->content_md5 : "");
	dbc_heap_text_append(&t, line, (size_t)w);
	for (size_t i = 0; i < nxms; i++) {
		dbc_heap_text_append(&t, xms[i], strlen(xms[i]));
		dbc_heap_text_append(&t, "\n", 1);
	}
	/* the names and values below are unbounded (a long key, a marker):
	 * appended whole, never through the fixed line */
	dbc_heap_text_append(&t, "/", 1);
	dbc_heap_text_append(&t, s->azure->account, strlen(s->azure->account));
	dbc_heap_text_append(&t, path, strlen(path));
	az_param sorted[AZ_MAX_PARAMS];
	size_t np = 0;
	for (; np < AZ_MAX_PARAMS && rq->params[np].name; np++)
		sorted[np] = rq->params[np];
	qsort(sorted, np, sizeof *sorted, param_by_name);
	for (size_t i = 0; i < np; i++) {
		dbc_heap_text_append(&t, "\n", 1);
		dbc_heap_text_append(&t, sorted[i].name, strlen(sorted[i].name));
		dbc_heap_text_append(&t, ":", 1);
		dbc_heap_text_append(&t, sorted[i].value, strlen(sorted[i].value));
	}
	unsigned char mac[32], b64[48];
	unsigned mac_len = 0;
	char *header = NULL;
	if (!t.oom && HMAC(EVP_sha256(), s->azure->key, (int)s->azure->key_len,
	                   (const unsigned char *)t.data, t.len, mac, &mac_len)) {
		EVP_EncodeBlock(b64, mac, (int)mac_len);
		if (asprintf(&header, "Authorization: SharedKey %s:%s", s->azure->account, b64) < 0)
			header = NULL;
	}
	free(t.data);
	return header;
}

/* The URL path of rq (/PATH-OF-ENDPOINT/CONTAINER[/KEY], encoded) and its
 * query (the parameters encoded, then the SAS token's) */
static int url_parts(const cli_store *s, const az_request *rq, char **path, char **query)
{
	const char *ep = s->azure->endpoint, *host = strstr(ep, "://") + 3,
	           *ep_path = strchr(host, '/') ? strchr(host, '/') : "";
	char *key = store_encoded(rq->key ? rq->key : "", true);
	dbc_heap_text q = {0};
	*path = NULL;
	if (!key ||
	    asprintf(path, "%s/%s%s%s", ep_path, s->azure->container, rq->key ? "/" : "", key) < 0) {
		free(key);
		return -1;
	}
	free(key);
	for (size_t i = 0; i < AZ_MAX_PARAMS && rq->params[i].name; i++) {
		char *v = store_encoded(rq->params[i].value, false);
		if (!v)
			q.oom = true;
		dbc_heap_text_append(&q, q.len ? "&" : "", q.len ? 1 : 0);
		dbc_heap_text_append(&q, rq->params[i].name, strlen(rq->params[i].name));
		dbc_heap_text_append(&q, "=", 1);
		dbc_heap_text_append(&q, v ? v : "", v ? strlen(v) : 0);
		free(v);
	}
	if (s->azure->sas) {
		dbc_heap_text_append(&q, q.len ? "&" : "", q.len ? 1 : 0);
		dbc_heap_text_append(&q, s->azure->sas, strlen(s->azure->sas));
	}
	dbc_heap_text_append(&q, "", 0);
	if (q.oom) {
		free(q.data);
		return -1;
	}
	*query = q.data ? q.data : strdup("");
	return *query ? 0 : -1;
}

/* the headers of rq, its x-ms-* ones sorted in xms (canonical form:
 * "name:value"), signed when Shared Key */
static struct curl_slist *headers_of(const cli_store *s, const az_request *rq, const char *path,
                                     long long length, bool *ok)
{
	char date[40], date_h[64], md5_h[96];
	const char *xms[AZ_MAX_HEADERS + 2];
	size_t nx = 0;
	http_date(date);
	snprintf(date_h, sizeof date_h, "x-ms-date:%s", date);
	xms[nx++] = date_h;
	xms[nx++] = "x-ms-version:" AZ_VERSION;
	for (size_t i = 0; i < AZ_MAX_HEADERS && rq->headers[i]; i++)
		xms[nx++] = rq->headers[i];
	qsort(xms, nx, sizeof *xms, by_name);
	struct curl_slist *h = NULL;
	for (size_t i = 0; i < nx; i++)
		h = curl_slist_append(h, xms[i]);
	h = curl_slist_append(h, "Expect:");
	h = curl_slist_append(h, "Content-Type:");
	if (rq->content_md5) {
		snprintf(md5_h, sizeof md5_h, "Content-MD5: %s", rq->content_md5);
		h = curl_slist_append(h, md5_h);
	}
	*ok = h != NULL;
	if (s->azure->key) {
		char *auth = shared_key(s, rq, path, length, xms, nx);
		*ok = *ok && auth;
		if (auth) {
			h = curl_slist_append(h, auth);
			memset(auth, 0, strlen(auth));
			free(auth);
		}
	}
	return h;
}

/* A text body read from memory as curl sends it */
typedef struct text_body {
	const char *data;
	size_t len, sent;
} text_body;

static size_t on_text(char *buf, size_t size, size_t nmemb, void *arg)
{
	text_body *t = arg;
	size_t room = size * nmemb, left = t->len - t->sent, take = left < room ? left : room;
	memcpy(buf, t->data + t->sent, take);
	t->sent += take;
	return take;
}

/* curl's options for rq's method and body */
static void method_set(CURL *c, const az_request *rq, long long length, text_body *t)
{
	if (strcmp(rq->method, "PUT") == 0) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)length);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, rq->part ? store_part_read : on_text);
		curl_easy_setopt(c, CURLOPT_READDATA, rq->part ? (void *)rq->part : (void *)t);
	} else if (strcmp(rq->method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(rq->method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
	}
}

/* One try of rq (an az_request). */
static int perform_once(cli_store *s, const void *request_of_azure, store_answer *a, char *err,
                        size_t n)
{
	const az_request *rq = request_of_azure;
	CURL *c = curl_easy_init();
	char *path = NULL, *query = NULL, *url = NULL;
	text_body t = {rq->text ? rq->text : "", rq->text ? strlen(rq->text) : 0, 0};
	long long length = rq->part ? (long long)rq->part->len : (long long)t.len;
	const char *host = strstr(s->azure->endpoint, "://") + 3;
	int origin = (int)(host + strcspn(host, "/") - s->azure->endpoint);
	bool ok = c && url_parts(s, rq, &path, &query) == 0 &&
	          asprintf(&url, "%.*s%s%s%s", origin, s->azure->endpoint, path, *query ? "?" : "",
	                   query) >= 0;
	struct curl_slist *h = ok ? headers_of(s, rq, path, length, &ok) : NULL;
	if (!ok) {
		snprintf(err, n, "dbcare: out of memory for a request to %s", s->label);
		url = NULL;
	} else {
		curl_easy_setopt(c, CURLOPT_URL, url);
		store_curl_answer(c, a);
		method_set(c, rq, length, &t);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	}
	CURLcode cc = ok ? curl_easy_perform(c) : CURLE_OUT_OF_MEMORY;
	if (ok)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	/* under SAS the token is in the URL: wiped */
	if (url)
		memset(url, 0, strlen(url));
	if (query)
		memset(query, 0, strlen(query));
	free(path), free(query), free(url);
	if (!ok)
		return -1;
	return cc != CURLE_OK || a->failed ? store_failed(s, rq->method, rq->key, cc, a, err, n) : 0;
}

int az_perform(cli_store *s, const az_request *rq, store_answer *a, char *err, size_t n)
{
	return store_perform_retried(perform_once, s, rq, rq->part, a, err, n);
}

int az_call(cli_store *s, const az_request *rq, store_answer *a, char *err, size_t n)
{
	int rc = az_perform(s, rq, a, err, n);
	return rc == 0 ? store_judged(s, rq->method, rq->key, a, &az_remedies, err, n) : rc;
}
