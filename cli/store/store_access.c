/*
 * store_access.c — an opened bucket or container described for a tool
 * that reaches it itself (store.h: cli_store_access_of): the fields the
 * store read from the user's settings, nothing copied.
 */
#include "store_azure_http.h"

#include <string.h>

int cli_store_access_of(const cli_store *s, cli_store_access *a)
{
	memset(a, 0, sizeof *a);
	if (s->ops == &store_local_ops)
		return -1;
	a->bucket = s->bucket;
	a->prefix = s->prefix;
	if (s->ops == &store_azure_ops) {
		a->azure = true;
		a->endpoint = s->azure->endpoint;
		a->account = s->azure->account;
		a->key = s->azure->key;
		a->key_len = s->azure->key_len;
		a->sas = s->azure->sas;
		return 0;
	}
	a->endpoint = s->aws.endpoint;
	a->path_style = s->aws.path_style;
	a->region = s->aws.region;
	a->key_id = s->aws.key_id;
	a->secret = s->aws.secret;
	a->token = s->aws.token;
	return 0;
}
