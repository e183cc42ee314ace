/*
 * store_azure_http.h — the Azure Blob request layer the Azure store's
 * operations run on (store_azure_http.c), and the account's settings
 * (store_azure_config.c); private to cli/store/. What it shares with
 * S3's (the answer, the errors, the publish checks) is store_remote.h's.
 *
 * Invariants: the account key and the SAS token are read from the
 * environment only (store_azure_config.c), go into a request's
 * Authorization header (Shared Key) or its URL (SAS) only, and never into
 * an error text: an error names the store by its label
 * (azure://CONTAINER/PREFIX) and the blob by its name.
 */
#ifndef DBCARE_CLI_STORE_AZURE_HTTP_H
#define DBCARE_CLI_STORE_AZURE_HTTP_H

#include "store_remote.h"

/* The Blob REST API version every request names (x-ms-version). */
#define AZ_VERSION "2021-08-06"
/* The largest blob one Put Blob may create under AZ_VERSION: 5000 MiB
 * from version 2019-12-12 on (256 MiB from 2016-05-31, 64 MiB before). */
#define AZ_PUT_BLOB_MAX ((off_t)5000 << 20)

/* The account and how requests to it are signed; secret fields are never
 * printed, and wiped when freed. */
struct store_azure {
	char *account;
	unsigned char *key; /* the decoded account key, or NULL: SAS */
	size_t key_len;
	char *sas;      /* the SAS token's query (no '?'), or NULL: Shared Key */
	char *endpoint; /* scheme://host[:port][/path], no trailing slash */
	char *container;
	/* files up to it go up by one Put Blob, larger ones in blocks:
	 * AZ_PUT_BLOB_MAX, or what DBCARE_TEST_AZURE_PUT_BLOB_MAX says (a
	 * test-only knob: blocks tested with files of a few MiB) */
	off_t put_blob_max;
};

/* The settings as a user keeps them: AZURE_STORAGE_CONNECTION_STRING, else
 * AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN
 * (and AZURE_STORAGE_SERVICE_ENDPOINT for another endpoint than the
 * account's https://ACCOUNT.blob.core.windows.net). NULL with err. */
store_azure *store_azure_load(const char *container, char *err, size_t n);

/* One query parameter: its name and raw value (encoded into the URL, and
 * signed decoded, as Shared Key wants). */
typedef struct az_param {
	const char *name, *value;
} az_param;

#define AZ_MAX_PARAMS  5
#define AZ_MAX_HEADERS 4

typedef struct az_request {
	const char *method; /* GET PUT DELETE HEAD */
	const char *key;    /* NULL: the container */
	az_param params[AZ_MAX_PARAMS];
	store_part *part;                    /* the bytes sent (PUT) or NULL */
	const char *text;                    /* or a text sent (PUT), NULL */
	const char *content_md5;             /* base64, or NULL */
	const char *headers[AZ_MAX_HEADERS]; /* "x-ms-NAME:value", NULL-ended */
} az_request;

/* What Azure's refusals tell the user to check. */
extern const store_remedies az_remedies;

/* Runs rq, again while the store asks for it (store_perform_retried); 0
 * with its last HTTP status in a->status (any), -1 on a transport error
 * (err written). */
int az_perform(cli_store *s, const az_request *rq, store_answer *a, char *err, size_t n);
/* rq run with its answer in memory; 0 on 2xx (*a filled, a->text the
 * body), else -1 with err naming the request, Azure's error code and the
 * remedy. */
int az_call(cli_store *s, const az_request *rq, store_answer *a, char *err, size_t n);

#endif
