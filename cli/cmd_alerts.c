/*
 * cmd_alerts.c — dbcare alert-rules [FILE]: the Prometheus alerting rules of
 * deploy/prometheus/dbcare.rules.yml, written by the core from the health
 * checks' thresholds. Without --db from the catalogue's defaults (the
 * committed file); with --db from that database's effective settings, so a
 * threshold changed with dbcare_set changes the alerts too.
 */
#include "cli.h"

#include "health/health.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const dbc_dialect sqldbc_dialect;

static void *host_alloc(size_t n)
{
	return malloc(n);
}

static const dbc_host rules_host = {.dialect = &sqldbc_dialect, .alloc = host_alloc, .free = free};

/* A database's settings rows (key, value) as the core's lookup. */
static const char *setting_of(void *arg, const char *key)
{
	const cli_rows *r = arg;
	for (int i = 0; i < r->nrows; i++)
		if (cli_cell(r, i, 0) && strcmp(cli_cell(r, i, 0), key) == 0)
			return cli_cell(r, i, 1);
	return NULL;
}

int cmd_alert_rules(cli_db *db, cli_opts *o)
{
	cli_rows settings = {0};
	if (db && cli_q(db, o, "SELECT key, value FROM dbcare_settings WHERE key LIKE 'health.%'", 0,
	                NULL, &settings) != 0)
		return CLI_ERROR;
	dbc_ctx ctx;
	char *yaml = NULL;
	dbc_ctx_init(&ctx, &rules_host, NULL);
	int rc = dbc_health_alert_rules(&ctx, db ? setting_of : NULL, &settings, &yaml);
	if (rc != DBC_OK) {
		cli_errorf("cannot write the alert rules: %s", ctx.message ? ctx.message : "out of memory");
		dbc_ctx_finish(&ctx);
		cli_rows_free(&settings);
		return CLI_ERROR;
	}
	int ret = CLI_OK;
	if (o->nargs == 1 && strcmp(o->args[0], "-") != 0) {
		/* a whole file or none: written beside it, then renamed over it */
		char *tmp = NULL;
		FILE *f = asprintf(&tmp, "%s.tmp", o->args[0]) < 0 ? NULL : fopen(tmp, "w");
		if (!f || fputs(yaml, f) == EOF || fclose(f) != 0 || rename(tmp, o->args[0]) != 0) {
			cli_errorf("cannot write %s", o->args[0]);
			if (tmp)
				unlink(tmp);
			ret = CLI_ERROR;
		}
		free(tmp);
	} else {
		fputs(yaml, stdout);
	}
	dbc_ctx_finish(&ctx);
	cli_rows_free(&settings);
	return ret;
}
