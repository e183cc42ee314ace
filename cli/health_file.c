/*
 * health_file.c — the health report as the command shows it: a report of
 * the database, not of the command's own connection. On SQLite
 * `PRAGMA foreign_keys` is a setting of each connection, never stored in
 * the file; the report judges the connection that runs it, and dbcare's
 * connection says nothing about the application's. So through the command
 * foreign_keys_enforced is `skipped` (with that reason), and the score and
 * status are computed again by the core's own rules (dbc_health_score_of,
 * dbc_health_status_of) over the checks as shown. The exit code of
 * --fail-on then reads the worst of that status and every check's.
 */
#include "cli.h"
#include "health_file.h"

#include "health/health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FK_CHECK "foreign_keys_enforced"
#define FK_SKIPPED                                                                                 \
	"PRAGMA foreign_keys is set per connection, not stored in the file: dbcare's own "             \
	"connection tells nothing of the application's"

static dbc_check_status status_value(const char *s)
{
	return !s                           ? DBC_CHECK_OK
	       : strcmp(s, "critical") == 0 ? DBC_CHECK_CRITICAL
	       : strcmp(s, "warning") == 0  ? DBC_CHECK_WARNING
	       : strcmp(s, "skipped") == 0  ? DBC_CHECK_SKIPPED
	       : strcmp(s, "error") == 0    ? DBC_CHECK_ERROR
	                                    : DBC_CHECK_OK;
}

int cli_status_rank(const char *s)
{
	return !s ? 0 : strcmp(s, "critical") == 0 ? 2 : strcmp(s, "warning") == 0 ? 1 : 0;
}

void cli_health_judge_file(const cli_db *db, json_t *rep)
{
	if (strcmp(db->drv->engine, "sqlite") != 0)
		return;
	json_t *checks = json_object_get(rep, "checks");
	size_t n = json_array_size(checks);
	dbc_health_result *res = calloc(n + 1, sizeof(dbc_health_result));
	if (!res)
		return;
	for (size_t i = 0; i < n; i++) {
		json_t *c = json_array_get(checks, i);
		const char *name = json_string_value(json_object_get(c, "name"));
		if (name && strcmp(name, FK_CHECK) == 0) {
			json_object_set_new(c, "status", json_string("skipped"));
			json_object_set_new(c, "penalty", json_integer(0));
			json_object_set_new(c, "value", json_null());
			json_object_set_new(c, "threshold", json_null());
			json_object_set_new(c, "message", json_string(FK_SKIPPED));
			json_object_set_new(c, "hint", json_null());
		}
		res[i].status = status_value(json_string_value(json_object_get(c, "status")));
		res[i].penalty = (int)json_integer_value(json_object_get(c, "penalty"));
	}
	int score = dbc_health_score_of(res, (int)n);
	json_object_set_new(rep, "score", json_integer(score));
	json_object_set_new(rep, "status", json_string(dbc_health_status_of(res, (int)n, score)));
	free(res);
}

const char *cli_health_worst(const json_t *rep)
{
	const char *worst = json_string_value(json_object_get(rep, "status"));
	const json_t *checks = json_object_get(rep, "checks");
	for (size_t i = 0; i < json_array_size(checks); i++) {
		const char *s = json_string_value(json_object_get(json_array_get(checks, i), "status"));
		if (cli_status_rank(s) > cli_status_rank(worst))
			worst = s;
	}
	return worst ? worst : "healthy";
}

/* The metric lines of one family for one check, or the report's own. */
static bool is_metric(const char *line, const char *family, const char *check)
{
	size_t f = strlen(family);
	if (strncmp(line, family, f) != 0 || line[f] != '{')
		return false;
	if (!check)
		return true;
	char label[96];
	snprintf(label, sizeof label, "check=\"%s\"}", check);
	const char *end = strchr(line, '}');
	return end && (size_t)(end + 1 - line) >= strlen(label) &&
	       strncmp(end + 1 - strlen(label), label, strlen(label)) == 0;
}

/* Prometheus text: the same correction, written into the metrics (the
 * check's status line goes, as a skipped check's does, its penalty is 0,
 * score and status are the recomputed ones). */
char *cli_health_judge_file_metrics(const cli_db *db, const char *m, const char **worst)
{
	bool sqlite = strcmp(db->drv->engine, "sqlite") == 0;
	dbc_health_result res[128];
	int n = 0;
	/* first pass: the checks' statuses and penalties, as shown */
	int penalties[128] = {0};
	const char *names[128];
	size_t name_len[128];
	for (const char *l = m; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
		const char *q = strstr(l, "check=\"");
		bool st = is_metric(l, "dbcare_health_check_status", NULL);
		bool pe = is_metric(l, "dbcare_health_check_penalty", NULL);
		if (!(st || pe) || !q)
			continue;
		q += 7;
		size_t len = strcspn(q, "\"");
		if (sqlite && len == strlen(FK_CHECK) && strncmp(q, FK_CHECK, len) == 0)
			continue;
		int k = 0;
		while (k < n && !(name_len[k] == len && strncmp(names[k], q, len) == 0))
			k++;
		if (k == n) {
			if (n == 128)
				continue;
			names[n] = q;
			name_len[n] = len;
			res[n] = (dbc_health_result){.status = DBC_CHECK_SKIPPED};
			n++;
		}
		const char *v = strchr(q, '}');
		int value = v ? atoi(v + 1) : 0;
		if (st)
			res[k].status = (dbc_check_status)value;
		else
			penalties[k] = value;
	}
	for (int k = 0; k < n; k++)
		res[k].penalty = penalties[k];
	int score = dbc_health_score_of(res, n);
	const char *status = dbc_health_status_of(res, n, score);
	*worst = status;
	for (int k = 0; k < n; k++)
		if (res[k].status == DBC_CHECK_CRITICAL)
			*worst = "critical";
		else if (res[k].status == DBC_CHECK_WARNING && cli_status_rank(*worst) < 1)
			*worst = "warning";
	/* second pass: the text, corrected */
	/* the rewritten lines are never longer than the ones they replace
	 * by more than a few digits each */
	char *out = malloc(strlen(m) + 64);
	if (!out)
		return NULL;
	size_t o = 0;
	for (const char *l = m; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l + 1) : strlen(l);
		const char *brace = memchr(l, '}', len);
		if (sqlite && is_metric(l, "dbcare_health_check_status", FK_CHECK)) {
			/* dropped: a skipped check has no status line */
		} else if (sqlite && brace && is_metric(l, "dbcare_health_check_skipped", FK_CHECK)) {
			o += (size_t)sprintf(out + o, "%.*s 1\n", (int)(brace + 1 - l), l);
		} else if (sqlite && brace &&
		           (is_metric(l, "dbcare_health_check_penalty", FK_CHECK) ||
		            is_metric(l, "dbcare_health_score", NULL) ||
		            is_metric(l, "dbcare_health_status", NULL))) {
			int v = is_metric(l, "dbcare_health_score", NULL)    ? score
			        : is_metric(l, "dbcare_health_status", NULL) ? cli_status_rank(status)
			                                                     : 0;
			o += (size_t)sprintf(out + o, "%.*s %d\n", (int)(brace + 1 - l), l, v);
		} else {
			memcpy(out + o, l, len);
			o += len;
		}
		l += len;
	}
	out[o] = '\0';
	return out;
}
