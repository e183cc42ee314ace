/*
 * store_azure_http.c — one Azure Blob request over libcurl
 * (store_azure_http.h): its URL (ENDPOINT/CONTAINER/KEY?QUERY, the SAS
 * token's query appended under SAS), its Shared Key signature (HMAC-SHA256
 * of the canonical request with the account key, by OpenSSL), the
 * answer's body into a file and its digests or into memory, its
 * Content-MD5, and an error naming the request and Azure's code, never a
 * header or the URL. A store that stops answering ends a request after
 * STALL_SECONDS without a byte.
 */
#include "store_azure_http.h"
#include "store_s3_http.h" /* s3_xml_text, s3_encoded: XML and URLs as S3's */

#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define STALL_SECONDS 30L
#define BODY_CAP      (1 << 20) /* an answer in XML kept in memory, at most */
#define AZ_VERSION    "2021-08-06"

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	az_answer *a = arg;
	size_t len = size * nmemb;
	bool ok_status = a->status == 0 || (a->status >= 200 && a->status < 300);
	if (a->fd >= 0 && ok_status) {
		if (a->sha && dbc_sha256_update(a->ctx, a->sha, data, len) != DBC_OK)
			return a->failed = true, 0;
		if (a->md5 && !EVP_DigestUpdate(a->md5, data, len))
			return a->failed = true, 0;
		for (size_t off = 0; off < len;) {
			ssize_t w = write(a->fd, data + off, len - off);
			if (w < 0)
				return a->failed = true, 0;
			off += (size_t)w;
		}
	} else if (a->text.len + len <= BODY_CAP) {
		dbc_heap_text_append(&a->text, data, len);
	} else {
		a->overflow = true;
	}
	return len;
}

/* value of header name (with its colon) in data, trimmed, into out */
static void header_value(const char *data, size_t len, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	if (len <= nl || strncasecmp(data, name, nl) != 0)
		return;
	size_t start = nl, end = len;
	while (start < len && data[start] == ' ')
		start++;
	while (end > start && (data[end - 1] == '\r' || data[end - 1] == '\n' || data[end - 1] == ' '))
		end--;
	if (end - start < cap) {
		memcpy(out, data + start, end - start);
		out[end - start] = '\0';
	}
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	az_answer *a = arg;
	size_t len = size * nmemb;
	/* a new status line (after a 100 Continue, say) starts the headers anew */
	if (len > 5 && strncmp(data, "HTTP/", 5) == 0) {
		a->content_md5[0] = a->length[0] = '\0';
		a->status = strtol(strchr(data, ' ') ? strchr(data, ' ') + 1 : "0", NULL, 10);
	}
	header_value(data, len, "content-md5:", a->content_md5, sizeof a->content_md5);
	header_value(data, len, "content-length:", a->length, sizeof a->length);
	return len;
}

static size_t on_read(char *buf, size_t size, size_t nmemb, void *arg)
{
	az_part *p = arg;
	size_t room = size * nmemb, left = (size_t)(p->len - p->sent);
	ssize_t got = pread(p->fd, buf, left < room ? left : room, p->off + p->sent);
	if (got < 0)
		return CURL_READFUNC_ABORT;
	p->sent += got;
	return (size_t)got;
}

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
	char *key = s3_encoded(rq->key ? rq->key : "", true);
	dbc_heap_text q = {0};
	*path = NULL;
	if (!key ||
	    asprintf(path, "%s/%s%s%s", ep_path, s->azure->container, rq->key ? "/" : "", key) < 0) {
		free(key);
		return -1;
	}
	free(key);
	for (size_t i = 0; i < AZ_MAX_PARAMS && rq->params[i].name; i++) {
		char *v = s3_encoded(rq->params[i].value, false);
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
		curl_easy_setopt(c, CURLOPT_READFUNCTION, rq->part ? on_read : on_text);
		curl_easy_setopt(c, CURLOPT_READDATA, rq->part ? (void *)rq->part : (void *)t);
	} else if (strcmp(rq->method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(rq->method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
	}
}

int az_perform(cli_store *s, const az_request *rq, az_answer *a, char *err, size_t n)
{
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
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, STALL_SECONDS);
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, STALL_SECONDS);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
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
	if (cc != CURLE_OK || a->failed) {
		snprintf(err, n, "dbcare: %s of %s/%s failed: %s", rq->method, s->label,
		         rq->key ? rq->key + strlen(s->prefix) : "",
		         a->failed ? "writing what arrived failed" : curl_easy_strerror(cc));
		return -1;
	}
	return 0;
}

int az_refused(cli_store *s, const az_request *rq, az_answer *a, char *err, size_t n)
{
	char *code = s3_xml_text(a->text.data, "Code", NULL),
	     *msg = s3_xml_text(a->text.data, "Message", NULL);
	/* Azure's message is its first line: the rest (a request id, a time,
	 * an authentication detail) is not for the user */
	if (msg)
		msg[strcspn(msg, "\r\n")] = '\0';
	const char *key =
	    rq->key && strlen(rq->key) >= strlen(s->prefix) ? rq->key + strlen(s->prefix) : "";
	snprintf(err, n, "dbcare: %s of %s/%s refused by the store (HTTP %ld%s%s%s%s)%s", rq->method,
	         s->label, key, a->status, code ? ", " : "", code ? code : "", msg ? ": " : "",
	         msg ? msg : "",
	         a->status == 403   ? ": check AZURE_STORAGE_CONNECTION_STRING (or AZURE_STORAGE_KEY / "
	                              "AZURE_STORAGE_SAS_TOKEN) and the SAS token's permissions"
	         : a->status == 404 ? ": check the container and the name"
	                            : "");
	free(code), free(msg);
	return -1;
}

int az_call(cli_store *s, const az_request *rq, az_answer *a, char *err, size_t n)
{
	int rc = az_perform(s, rq, a, err, n);
	if (rc == 0 && a->overflow) {
		snprintf(err, n,
		         "dbcare: %s of %s answered more than %d bytes: not read; check the endpoint",
		         rq->method, s->label, BODY_CAP);
		rc = -1;
	} else if (rc == 0 && (a->status < 200 || a->status >= 300)) {
		rc = az_refused(s, rq, a, err, n);
	}
	return rc;
}
