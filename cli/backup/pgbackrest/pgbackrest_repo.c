/*
 * pgbackrest_repo.c — a stanza's repository in a bucket or a container,
 * named by the backup destination URL (s3://BUCKET/PREFIX,
 * azure://CONTAINER/PREFIX): the store reads the user's credentials as
 * they keep them (cli/store: the AWS variables and shared files,
 * AZURE_STORAGE_CONNECTION_STRING or account and key / SAS), and this file
 * renders them as pgBackRest's own variables (PGBACKREST_REPO1_*), handed
 * to each pgBackRest and PostgreSQL child dbcare runs and to nothing
 * else: never a command line, a setting, a message, nor a configuration
 * file but the one of mode 0600 the user asks for (pgbackrest_conf.c).
 * The variables override the repository of pgBackRest's configuration
 * file (pgBackRest: command line over environment over file), so the
 * file's other options (log-path, repo1-retention-full, a cipher) still
 * apply.
 *
 * pgBackRest reaches a store over TLS only: an http:// endpoint is
 * refused here, with what to set instead. A custom CA is AWS_CA_BUNDLE's
 * (S3), else OpenSSL's own (SSL_CERT_FILE).
 */
#include "pgbackrest.h"
#include "cli/store/store.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VARS 16

/* NAME=VALUE appended to env (n so far); false on out of memory. */
static bool add(char **env, int *n, const char *name, const char *value)
{
	if (*n >= MAX_VARS || asprintf(&env[*n], "PGBACKREST_REPO1_%s=%s", name, value) < 0)
		return false;
	env[++*n] = NULL;
	return true;
}

bool cli_pgbr_secret_var(const char *name, size_t len)
{
	/* the variables below given a credential: keep in step with add()'s
	 * calls in s3_vars and azure_vars */
	static const char *const secrets[] = {"S3_KEY", "S3_KEY_SECRET", "S3_TOKEN", "AZURE_KEY"};
	for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++)
		if (strlen(secrets[i]) == len && strncmp(secrets[i], name, len) == 0)
			return true;
	return false;
}

/* The endpoint https://HOST[:PORT][/PATH] split; -1 after saying why. */
static int split_endpoint(const char *url, const char *ep, char **host, char **port,
                          const char **path)
{
	if (strncmp(ep, "https://", 8) != 0) {
		cli_errorf("pgBackRest reaches %s over TLS only, and its endpoint %s is not "
		           "https://: serve the store over HTTPS (AWS_ENDPOINT_URL or the "
		           "connection string's BlobEndpoint naming https://HOST:PORT)",
		           url, ep);
		return -1;
	}
	const char *h = ep + 8, *slash = strchr(h, '/'), *end = slash ? slash : h + strlen(h);
	const char *colon = memchr(h, ':', (size_t)(end - h));
	*host = strndup(h, (size_t)((colon ? colon : end) - h));
	*port = colon ? strndup(colon + 1, (size_t)(end - colon - 1)) : NULL;
	*path = slash ? slash : "";
	if (!*host || !**host || (colon && (!*port || !**port))) {
		cli_errorf("the endpoint of %s names no host: %s", url, ep);
		return -1;
	}
	return 0;
}

/* The repository's path: "/" and the prefix without its trailing slash. */
static char *repo_path(const char *prefix)
{
	char *p = NULL;
	size_t len = strlen(prefix);
	if (asprintf(&p, "/%.*s", (int)(len > 0 ? len - 1 : 0), prefix) < 0)
		return NULL;
	return p;
}

static int s3_vars(const char *url, const cli_store_access *a, char **env, int *n)
{
	char *host = NULL, *port = NULL;
	const char *path, *ca = getenv("AWS_CA_BUNDLE");
	int rc = split_endpoint(url, a->endpoint, &host, &port, &path);
	if (rc == 0 && *path && strcmp(path, "/") != 0) {
		cli_errorf("pgBackRest takes an S3 endpoint without a path: %s", a->endpoint);
		rc = -1;
	}
	if (rc == 0 && !(add(env, n, "TYPE", "s3") && add(env, n, "S3_BUCKET", a->bucket) &&
	                 add(env, n, "S3_REGION", a->region) && add(env, n, "S3_ENDPOINT", host) &&
	                 (!port || add(env, n, "STORAGE_PORT", port)) &&
	                 add(env, n, "S3_URI_STYLE", a->path_style ? "path" : "host") &&
	                 add(env, n, "S3_KEY", a->key_id) && add(env, n, "S3_KEY_SECRET", a->secret) &&
	                 (!a->token || add(env, n, "S3_TOKEN", a->token)) &&
	                 (!ca || !*ca || add(env, n, "STORAGE_CA_FILE", ca)))) {
		cli_errorf("out of memory");
		rc = -1;
	}
	free(host), free(port);
	return rc;
}

/* pgBackRest's endpoint of the Azure account at host (and path): HOST of
 * https://ACCOUNT.HOST (host-style), or HOST of https://HOST[:PORT]/ACCOUNT
 * (path-style, an emulator's); NULL after saying why. */
static const char *azure_endpoint(const cli_store_access *a, const char *host, const char *path,
                                  bool *path_style)
{
	size_t alen = strlen(a->account);
	*path_style = path[0] == '/' && strncmp(path + 1, a->account, alen) == 0 &&
	              (path[1 + alen] == '\0' || strcmp(path + 1 + alen, "/") == 0);
	if (*path_style)
		return host;
	if (!*path && strncmp(host, a->account, alen) == 0 && host[alen] == '.')
		return host + alen + 1;
	cli_errorf("pgBackRest reaches an Azure account at https://ACCOUNT.HOST or "
	           "https://HOST/ACCOUNT: the blob endpoint %s is neither for the account %s",
	           a->endpoint, a->account);
	return NULL;
}

/* The account key in base64, as pgBackRest takes it (malloc'd; NULL: no
 * memory). */
static char *key_base64(const cli_store_access *a)
{
	char *key64 = malloc((a->key_len + 2) / 3 * 4 + 1);
	if (key64)
		EVP_EncodeBlock((unsigned char *)key64, a->key, (int)a->key_len);
	return key64;
}

static int azure_vars(const char *url, const cli_store_access *a, char **env, int *n)
{
	char *host = NULL, *port = NULL, *key64 = NULL;
	const char *path, *endpoint = NULL;
	bool path_style = false;
	int rc = split_endpoint(url, a->endpoint, &host, &port, &path);
	if (rc == 0 && !(endpoint = azure_endpoint(a, host, path, &path_style)))
		rc = -1;
	if (rc == 0 && a->key && !(key64 = key_base64(a)))
		rc = -1;
	if (rc == 0 &&
	    !(add(env, n, "TYPE", "azure") && add(env, n, "AZURE_CONTAINER", a->bucket) &&
	      add(env, n, "AZURE_ACCOUNT", a->account) && add(env, n, "AZURE_ENDPOINT", endpoint) &&
	      (!port || add(env, n, "STORAGE_PORT", port)) &&
	      add(env, n, "AZURE_URI_STYLE", path_style ? "path" : "host") &&
	      add(env, n, "AZURE_KEY_TYPE", key64 ? "shared" : "sas") &&
	      add(env, n, "AZURE_KEY", key64 ? key64 : a->sas)))
		rc = -1;
	if (rc != 0 && endpoint)
		cli_errorf("out of memory");
	if (key64) {
		OPENSSL_cleanse(key64, strlen(key64));
		free(key64);
	}
	free(host), free(port);
	return rc;
}

int cli_pgbr_repo(cli_pgbr *b, const char *url)
{
	char err[512];
	cli_store *s = cli_store_open(url, err, sizeof err);
	cli_store_access a;
	int n = 0, rc = -1;
	if (!s) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	char *path = NULL;
	b->env = calloc(MAX_VARS + 1, sizeof *b->env);
	if (cli_store_access_of(s, &a) != 0)
		cli_errorf("%s is a folder: a pgBackRest repository in a folder is its "
		           "configuration's repo1-path (name a bucket as s3://BUCKET/PREFIX or "
		           "azure://CONTAINER/PREFIX)",
		           url);
	else if (!b->env || !(path = repo_path(a.prefix)) || !add(b->env, &n, "PATH", path))
		cli_errorf("out of memory");
	else
		rc = a.azure ? azure_vars(url, &a, b->env, &n) : s3_vars(url, &a, b->env, &n);
	free(path);
	cli_store_close(s);
	if (rc == 0 && !(b->repo = strdup(url)))
		rc = -1;
	return rc;
}

void cli_pgbr_repo_free(cli_pgbr *b)
{
	/* the secrets are wiped before they are freed */
	for (char **e = b->env; e && *e; e++) {
		OPENSSL_cleanse(*e, strlen(*e));
		free(*e);
	}
	free(b->env);
	free(b->repo);
	b->env = NULL;
	b->repo = NULL;
}
