/*
 * store_aws_config.c — the AWS settings as users keep them, read the way
 * the AWS CLI and SDKs read them: the variables AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION (or
 * AWS_DEFAULT_REGION), AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL first, then
 * the profile AWS_PROFILE names (default: "default") in the shared
 * credentials file (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials) and
 * config file (AWS_CONFIG_FILE, ~/.aws/config: "[profile NAME]", its
 * region, endpoint_url and the nested s3 settings addressing_style and
 * multipart_chunksize, a size as the AWS CLI writes it: 8MB, 64MiB, 1GB
 * or bytes, MB meaning MiB). A key pair
 * comes whole from one place: never an id from the environment with a
 * secret from a file. Nothing read here is ever printed.
 */
#include "store_private.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static char *trimmed(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return s;
}

/* The value of key in section of the INI file path (malloc'd), NULL
 * when absent. */
static char *ini_value(const char *path, const char *section, const char *key)
{
	FILE *f = path ? fopen(path, "re") : NULL;
	if (!f)
		return NULL;
	char line[4096], *found = NULL;
	bool inside = false;
	while (!found && fgets(line, sizeof line, f)) {
		char *t = trimmed(line);
		if (*t == '#' || *t == ';' || *t == '\0')
			continue;
		if (*t == '[') {
			char *end = strchr(t, ']');
			if (end)
				*end = '\0';
			inside = strcmp(trimmed(t + 1), section) == 0;
			continue;
		}
		char *eq = strchr(t, '=');
		if (!inside || !eq)
			continue;
		*eq = '\0';
		if (strcmp(trimmed(t), key) == 0)
			found = strdup(trimmed(eq + 1));
	}
	fclose(f);
	return found;
}

/* path of an AWS file: the variable's, else ~/.aws/NAME (malloc'd) */
static char *aws_file(const char *variable, const char *name)
{
	char *path = NULL;
	if (env(variable))
		return strdup(env(variable));
	if (env("HOME") && asprintf(&path, "%s/.aws/%s", env("HOME"), name) < 0)
		return NULL;
	return path;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* A size as the AWS CLI's settings write it (bytes, or a number with
 * KB/MB/GB or KiB/MiB/GiB, all powers of 1024); -1 when it is none. */
static off_t size_of(const char *text)
{
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (errno || end == text || v < 0)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	double unit = 1;
	if (strcasecmp(end, "KB") == 0 || strcasecmp(end, "KiB") == 0)
		unit = 1024.0;
	else if (strcasecmp(end, "MB") == 0 || strcasecmp(end, "MiB") == 0)
		unit = 1024.0 * 1024;
	else if (strcasecmp(end, "GB") == 0 || strcasecmp(end, "GiB") == 0)
		unit = 1024.0 * 1024 * 1024;
	else if (*end && strcasecmp(end, "B") != 0)
		return -1;
	return v * unit > 5e12 ? -1 : (off_t)(v * unit);
}

/* The profile's multipart_chunksize (16 MiB by default), at least S3's
 * least part, 5 MiB. */
static int multipart_chunk(store_aws *aws, const char *conf_file, const char *section, char *err,
                           size_t n)
{
	char *text = ini_value(conf_file, section, "multipart_chunksize");
	off_t v = text ? size_of(text) : (off_t)16 << 20;
	free(text);
	if (v < (off_t)5 << 20) {
		snprintf(err, n,
		         "dbcare: multipart_chunksize in the AWS config file's profile %s is no size of "
		         "at least 5MB: write it as 8MB, 64MiB or bytes",
		         section);
		return -1;
	}
	aws->multipart_chunk = v;
	/* multipart_threshold: files up to it go up by one checked PUT
	 * (5 GiB, S3's largest PUT, by default) */
	text = ini_value(conf_file, section, "multipart_threshold");
	v = text ? size_of(text) : (off_t)5 << 30;
	free(text);
	if (v < 0 || v > (off_t)5 << 30) {
		snprintf(err, n,
		         "dbcare: multipart_threshold in the AWS config file's profile %s is no size of "
		         "at most 5GB: write it as 8MB, 64MiB or bytes",
		         section);
		return -1;
	}
	aws->single_put_max = v;
	return 0;
}

int store_aws_load(store_aws *aws, char *err, size_t n)
{
	memset(aws, 0, sizeof *aws);
	const char *profile = env("AWS_PROFILE") ? env("AWS_PROFILE") : "default";
	char *cred_file = aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
	char *conf_file = aws_file("AWS_CONFIG_FILE", "config");
	char conf_section[512];
	snprintf(conf_section, sizeof conf_section, "%s%s",
	         strcmp(profile, "default") == 0 ? "" : "profile ", profile);

	if (env("AWS_ACCESS_KEY_ID") && env("AWS_SECRET_ACCESS_KEY")) {
		aws->key_id = strdup(env("AWS_ACCESS_KEY_ID"));
		aws->secret = strdup(env("AWS_SECRET_ACCESS_KEY"));
		aws->token = dup_or_null(env("AWS_SESSION_TOKEN"));
	} else {
		aws->key_id = ini_value(cred_file, profile, "aws_access_key_id");
		aws->secret = ini_value(cred_file, profile, "aws_secret_access_key");
		aws->token = ini_value(cred_file, profile, "aws_session_token");
		if (!aws->key_id || !aws->secret) { /* the config file may hold them too */
			free(aws->key_id), free(aws->secret), free(aws->token);
			aws->key_id = ini_value(conf_file, conf_section, "aws_access_key_id");
			aws->secret = ini_value(conf_file, conf_section, "aws_secret_access_key");
			aws->token = ini_value(conf_file, conf_section, "aws_session_token");
		}
	}
	aws->region = dup_or_null(env("AWS_REGION") ? env("AWS_REGION") : env("AWS_DEFAULT_REGION"));
	if (!aws->region)
		aws->region = ini_value(conf_file, conf_section, "region");
	if (!aws->region)
		aws->region = strdup("us-east-1");
	const char *endpoint =
	    env("AWS_ENDPOINT_URL_S3") ? env("AWS_ENDPOINT_URL_S3") : env("AWS_ENDPOINT_URL");
	aws->endpoint = dup_or_null(endpoint);
	if (!aws->endpoint)
		aws->endpoint = ini_value(conf_file, conf_section, "endpoint_url");
	char *style = ini_value(conf_file, conf_section, "addressing_style");
	/* a custom endpoint (an S3-compatible store) is usually path-style */
	aws->path_style = style ? strcmp(style, "path") == 0 : aws->endpoint != NULL;
	free(style);
	if (!aws->endpoint && asprintf(&aws->endpoint, "https://s3.%s.amazonaws.com", aws->region) < 0)
		aws->endpoint = NULL;
	size_t len = aws->endpoint ? strlen(aws->endpoint) : 0;
	while (len > 0 && aws->endpoint[len - 1] == '/')
		aws->endpoint[--len] = '\0';
	int sizes = multipart_chunk(aws, conf_file, conf_section, err, n);
	free(cred_file);
	free(conf_file);
	if (sizes != 0) {
		store_aws_free(aws);
		return -1;
	}
	if (!aws->key_id || !aws->secret) {
		snprintf(err, n,
		         "dbcare: no AWS credentials for profile %s: set AWS_ACCESS_KEY_ID and "
		         "AWS_SECRET_ACCESS_KEY, or put the profile in the shared credentials file",
		         profile);
		store_aws_free(aws);
		return -1;
	}
	if (!aws->region || !aws->endpoint) {
		snprintf(err, n, "dbcare: out of memory reading the AWS settings");
		store_aws_free(aws);
		return -1;
	}
	return 0;
}

void store_aws_free(store_aws *aws)
{
	/* the secret is wiped before it is freed: no copy lingers in memory
	 * a later allocation could print */
	if (aws->secret)
		memset(aws->secret, 0, strlen(aws->secret));
	if (aws->token)
		memset(aws->token, 0, strlen(aws->token));
	free(aws->key_id), free(aws->secret), free(aws->token);
	free(aws->region), free(aws->endpoint);
	memset(aws, 0, sizeof *aws);
}
