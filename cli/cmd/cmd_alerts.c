/*
 * cmd_alerts.c — dbcare alert-rules [FILE]: the Prometheus alerting rules of
 * deploy/prometheus/dbcare.rules.yml, written by the core from the health
 * checks' thresholds. Without --db from the catalogue's defaults (the
 * committed file); with --db from that database's effective settings, so a
 * threshold changed with dbcare_set changes the alerts too.
 */
#include "cli/cli.h"
#include "cli/common/files.h"

#include "health/health.h"

#include <stdlib.h>
#include <string.h>

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
	dbc_ctx_init(&ctx, cli_text_host(), NULL);
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
		cli_replace out;
		FILE *f = cli_replace_open(&out, o->args[0]);
		if (!f || cli_replace_close(&out, fputs(yaml, f) != EOF) != 0)
			ret = CLI_ERROR;
	} else {
		fputs(yaml, stdout);
	}
	dbc_ctx_finish(&ctx);
	cli_rows_free(&settings);
	return ret;
}
