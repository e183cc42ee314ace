/*
 * store_azure_config.c — the Azure storage account as users keep it, read
 * the way Azure's tools read it: AZURE_STORAGE_CONNECTION_STRING
 * ("AccountName=...;AccountKey=...;BlobEndpoint=...", or
 * SharedAccessSignature=... instead of the key; DefaultEndpointsProtocol
 * and EndpointSuffix make the endpoint when no BlobEndpoint is given),
 * else AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY (Shared Key) or
 * AZURE_STORAGE_SAS_TOKEN (SAS), the endpoint
 * AZURE_STORAGE_SERVICE_ENDPOINT or https://ACCOUNT.blob.core.windows.net.
 * (DBCARE_TEST_AZURE_PUT_BLOB_MAX, for tests only, lowers the size up to
 * which a file goes up by one Put Blob.) A key comes whole from one
 * place. Nothing read here is ever printed: an error names the variable
 * and what is wrong with it.
 */
#include "store_azure_http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* text freed after its bytes were overwritten */
static void wiped(char *text)
{
	if (text) {
		memset(text, 0, strlen(text));
		free(text);
	}
}

void store_azure_free(store_azure *az)
{
	if (!az)
		return;
	if (az->key) {
		memset(az->key, 0, az->key_len);
		free(az->key);
	}
	wiped(az->sas);
	free(az->account), free(az->endpoint), free(az->container);
	free(az);
}

/* The value of name in the connection string cs (malloc'd; names compare
 * without case, the value runs to the next ';'), NULL when absent. */
static char *cs_value(const char *cs, const char *name)
{
	size_t len = strlen(name);
	for (const char *at = cs; at && *at; at = strchr(at, ';') ? strchr(at, ';') + 1 : NULL) {
		while (*at == ' ')
			at++;
		if (strncasecmp(at, name, len) == 0 && at[len] == '=') {
			const char *v = at + len + 1, *end = strchr(v, ';');
			return strndup(v, end ? (size_t)(end - v) : strlen(v));
		}
	}
	return NULL;
}

/* An account name dbcare puts into a URL and a signature: letters and
 * digits only (Azure's rule: 3 to 24 lowercase ones). */
static bool account_ok(const char *a)
{
	size_t len = strlen(a);
	if (len < 3 || len > 24)
		return false;
	for (; *a; a++)
		if (!islower((unsigned char)*a) && !isdigit((unsigned char)*a))
			return false;
	return true;
}

/* key64 decoded into az->key; false when it is no base64 */
static bool key_decoded(store_azure *az, const char *key64)
{
	size_t len = strlen(key64);
	if (len == 0 || len % 4 != 0 || !(az->key = malloc(len / 4 * 3 + 1)))
		return false;
	int got = EVP_DecodeBlock(az->key, (const unsigned char *)key64, (int)len);
	if (got < 0) {
		/* whatever it decoded is wiped, as store_azure_free wipes a key */
		OPENSSL_cleanse(az->key, len / 4 * 3 + 1);
		return false;
	}
	az->key_len = (size_t)got - (key64[len - 1] == '=') - (key64[len - 2] == '=');
	return az->key_len > 0;
}

/* The endpoint checked (http or https, no query, no user part) and kept
 * without its trailing slash. */
static bool endpoint_set(store_azure *az, const char *ep)
{
	if (strncmp(ep, "https://", 8) != 0 && strncmp(ep, "http://", 7) != 0)
		return false;
	if (strpbrk(ep, "?#@ \t\r\n"))
		return false;
	size_t len = strlen(ep);
	while (len > 0 && ep[len - 1] == '/')
		len--;
	return (az->endpoint = strndup(ep, len)) != NULL;
}

/* From the connection string: 0, or -1 with err (the string never in it). */
static int from_connection_string(store_azure *az, const char *cs, char *err, size_t n)
{
	char *key = cs_value(cs, "AccountKey"), *sas = cs_value(cs, "SharedAccessSignature"),
	     *ep = cs_value(cs, "BlobEndpoint"), *proto = cs_value(cs, "DefaultEndpointsProtocol"),
	     *suffix = cs_value(cs, "EndpointSuffix");
	int rc = 0;
	az->account = cs_value(cs, "AccountName");
	if (!az->account || !account_ok(az->account)) {
		snprintf(err, n,
		         "dbcare: AZURE_STORAGE_CONNECTION_STRING names no account (AccountName=, 3 to "
		         "24 lowercase letters and digits): set it as the portal shows it");
		rc = -1;
	} else if (key && !key_decoded(az, key)) {
		snprintf(err, n,
		         "dbcare: the AccountKey of AZURE_STORAGE_CONNECTION_STRING is no base64 key: "
		         "copy it again from the storage account's access keys");
		rc = -1;
	} else if (!key && !(sas && (az->sas = strdup(sas[0] == '?' ? sas + 1 : sas)))) {
		snprintf(err, n,
		         "dbcare: AZURE_STORAGE_CONNECTION_STRING has no AccountKey= and no "
		         "SharedAccessSignature=: give one of them");
		rc = -1;
	}
	char *made = NULL;
	if (rc == 0 && !ep &&
	    asprintf(&made, "%s://%s.blob.%s", proto ? proto : "https", az->account,
	             suffix ? suffix : "core.windows.net") < 0)
		made = NULL;
	if (rc == 0 && !endpoint_set(az, ep ? ep : made ? made : "")) {
		snprintf(err, n,
		         "dbcare: the blob endpoint of AZURE_STORAGE_CONNECTION_STRING is no http(s) "
		         "URL: write BlobEndpoint=https://HOST[/PATH]");
		rc = -1;
	}
	wiped(key), wiped(sas);
	free(ep), free(proto), free(suffix), free(made);
	return rc;
}

/* From AZURE_STORAGE_ACCOUNT and its key or SAS token: 0, or -1 with err. */
static int from_account(store_azure *az, char *err, size_t n)
{
	const char *account = env("AZURE_STORAGE_ACCOUNT"), *key = env("AZURE_STORAGE_KEY"),
	           *sas = env("AZURE_STORAGE_SAS_TOKEN"), *ep = env("AZURE_STORAGE_SERVICE_ENDPOINT");
	char *made = NULL;
	if (!account || !account_ok(account)) {
		snprintf(err, n,
		         "dbcare: no Azure storage account: set AZURE_STORAGE_CONNECTION_STRING, or "
		         "AZURE_STORAGE_ACCOUNT (3 to 24 lowercase letters and digits) with "
		         "AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN");
		return -1;
	}
	if (!(az->account = strdup(account)))
		return snprintf(err, n, "dbcare: out of memory"), -1;
	if (key && !key_decoded(az, key)) {
		snprintf(err, n,
		         "dbcare: AZURE_STORAGE_KEY is no base64 key: copy it again from the storage "
		         "account's access keys");
		return -1;
	}
	if (!key && !(sas && (az->sas = strdup(sas[0] == '?' ? sas + 1 : sas)))) {
		snprintf(err, n,
		         "dbcare: AZURE_STORAGE_ACCOUNT is set without AZURE_STORAGE_KEY or "
		         "AZURE_STORAGE_SAS_TOKEN: set one of them");
		return -1;
	}
	if (!ep && asprintf(&made, "https://%s.blob.core.windows.net", account) < 0)
		made = NULL;
	bool ok = endpoint_set(az, ep ? ep : made ? made : "");
	free(made);
	if (!ok) {
		snprintf(err, n,
		         "dbcare: AZURE_STORAGE_SERVICE_ENDPOINT is no http(s) URL: write "
		         "https://HOST[/PATH]");
		return -1;
	}
	return 0;
}

store_azure *store_azure_load(const char *container, char *err, size_t n)
{
	store_azure *az = calloc(1, sizeof *az);
	if (!az || !(az->container = strdup(container))) {
		snprintf(err, n, "dbcare: out of memory");
		store_azure_free(az);
		return NULL;
	}
	const char *cs = env("AZURE_STORAGE_CONNECTION_STRING");
	if ((cs ? from_connection_string(az, cs, err, n) : from_account(az, err, n)) != 0) {
		store_azure_free(az);
		return NULL;
	}
	/* tests only: a lower bound for blocks, so that files of a few MiB
	 * go up in them (bytes; unset, or no number within the limit:
	 * AZ_PUT_BLOB_MAX) */
	const char *test_max = env("DBCARE_TEST_AZURE_PUT_BLOB_MAX");
	long long max = test_max ? strtoll(test_max, NULL, 10) : 0;
	az->put_blob_max = max > 0 && max < AZ_PUT_BLOB_MAX ? (off_t)max : AZ_PUT_BLOB_MAX;
	return az;
}

/* Whether c (len bytes) is a container name by Azure's rules: 3 to 63 of
 * [a-z0-9-], starting with a letter or digit, no "--", not ending with
 * '-'. Only such a name goes into a URL and a signature. */
static bool container_ok(const char *c, size_t len)
{
	if (len < 3 || len > 63 || c[0] == '-' || c[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(islower((unsigned char)c[i]) || isdigit((unsigned char)c[i]) ||
		      (c[i] == '-' && c[i + 1] != '-')))
			return false;
	return true;
}

int store_azure_open(cli_store *s, const char *dest, char *err, size_t n)
{
	size_t len = strlen(s->bucket);
	if (len == 0) {
		snprintf(err, n, "dbcare: %s names no container: write azure://CONTAINER/PREFIX", dest);
		return -1;
	}
	if (!container_ok(s->bucket, len)) {
		snprintf(err, n,
		         "dbcare: %.*s in %s is no Azure container name: write 3 to 63 of a-z, 0-9 and "
		         "'-', starting and ending with a letter or digit, without \"--\"",
		         (int)(len > 80 ? 80 : len), s->bucket, dest);
		return -1;
	}
	return (s->azure = store_azure_load(s->bucket, err, n)) ? 0 : -1;
}
