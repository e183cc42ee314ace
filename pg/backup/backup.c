/*
 * backup.c — PostgreSQL's dbc_backup_hooks and the backups health check (the
 * catalog and WAL archiving). Nothing here writes a server file: the file
 * hooks of dbc_backup_hooks are NULL; dbbackup_mark's restore point is a
 * WAL record. dbbackup_list and dbbackup_record have the generic glue of
 * pg/api/api.c.
 */
#include "pg/host/glue.h"
#include "pg/health/health_glue.h"

#include "backup/backup.h"
#include "backup/backup_content.h"
#include "settings/settings.h"

#include "utils/guc.h"

#include <stdlib.h>
#include <string.h>

static int take_lsn(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	if (ncol == 1 && c[0].type == DBC_TEXT)
		*(char **)arg = dbc_strdup(ctx, c[0].s);
	return DBC_OK;
}

/* dbbackup_mark's restore point: a WAL record of that name, which
 * recovery (recovery_target_name, pgBackRest's --type=name) stops at. It
 * needs wal_level replica or logical and EXECUTE on the function (a
 * superuser's alone unless granted). */
static int pg_restore_point(dbc_ctx *ctx, const char *label, char **lsn)
{
	dbc_value p = dbc_text(label);
	*lsn = NULL;
	if (ctx->host->query(ctx, "SELECT pg_catalog.pg_create_restore_point($1)::text", 1, &p,
	                     take_lsn, lsn) != DBC_OK)
		return DBC_ERROR;
	return *lsn ? DBC_OK
	            : dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "pg_create_restore_point returned nothing");
}

static int take_text(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	if (ncol == 1 && c[0].type == DBC_TEXT)
		*(char **)arg = dbc_strdup(ctx, c[0].s);
	return DBC_OK;
}

/* dbbackup_content(): the dialect's content_query under its settings,
 * each set for this reading only (a GUC level of its own, popped on every
 * path), its answer in the core's one format (backup_content.h). */
static int pg_read_content(dbc_ctx *ctx, dbc_backup_image *img)
{
	char *keyed = NULL;
	int nest = NewGUCNestLevel();
	const dbc_dialect *d = ctx->host->dialect;
	for (int i = 0; i < d->ncontent_settings; i++)
		(void)set_config_option(d->content_settings[i].name, d->content_settings[i].value,
		                        PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	int rc = ctx->host->query(ctx, d->content_query, 0, NULL, take_text, &keyed);
	/* a failed query's subtransaction, rolled back by the host, already
	 * popped this level: pop only what is left */
	int probe = NewGUCNestLevel();
	AtEOXact_GUC(true, probe > nest ? nest : probe);
	if (rc != DBC_OK)
		return DBC_ERROR;
	char *text = dbc_backup_content_from_keyed(ctx, keyed);
	return text && dbc_backup_content_read(ctx, text, &img->table, &img->tables,
	                                       &img->content_version)
	           ? DBC_OK
	           : DBC_ERROR;
}

static const dbc_backup_hooks backup_hooks = {.restore_point = pg_restore_point,
                                              .read_content = pg_read_content};

void pgdbc_backup_register(dbc_api_hooks *api)
{
	api->backup = &backup_hooks;
}

/* ---------------------------------------------------------------- the backups check */

/* How long a completed segment may wait for the archiver before the
 * waiting ones count as a backlog (seconds, as SQL text). */
#define READY_GRACE_SECONDS "60"

/* What pg_stat_archiver and the WAL position tell, read in one statement. */
typedef struct archiving {
	bool in_recovery;
	char *mode;   /* archive_mode */
	bool failing; /* a failure after the last success (or none ever) */
	char *failed_wal;
	double hours; /* since the last archived segment; < 0: none ever */
	char *archived_wal;
	bool waiting;  /* a completed segment is newer than the last archived */
	bool can_list; /* may read pg_ls_archive_statusdir() */
	int64 ready;   /* .ready files, when can_list */
} archiving;

static int take_archiving(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	archiving *a = arg;
	if (ncol != 8)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected archiver row");
	a->in_recovery = c[0].i != 0;
	a->mode = dbc_strdup(ctx, c[1].type == DBC_TEXT ? c[1].s : "off");
	a->failing = c[2].type == DBC_BOOL && c[2].i != 0;
	a->failed_wal = c[3].type == DBC_TEXT ? dbc_strdup(ctx, c[3].s) : NULL;
	a->hours = c[4].type == DBC_FLOAT ? c[4].f : -1;
	a->archived_wal = c[5].type == DBC_TEXT ? dbc_strdup(ctx, c[5].s) : NULL;
	a->waiting = c[6].type == DBC_BOOL && c[6].i != 0;
	a->can_list = c[7].i != 0;
	return DBC_OK;
}

/* The segment before the current one is complete; it waits when the last
 * archived segment is older (names of one timeline sort by position). The
 * segment size comes from current_setting: pg_settings makes a row of every
 * setting to find one, a tenth of a quick health report. */
static const char archiving_sql[] =
    "SELECT pg_catalog.pg_is_in_recovery(), pg_catalog.current_setting('archive_mode'),"
    " a.failed_count > 0 AND (a.last_archived_time IS NULL"
    "  OR a.last_failed_time > a.last_archived_time),"
    " a.last_failed_wal,"
    " CAST(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() - a.last_archived_time)"
    "  / 3600 AS double precision),"
    " a.last_archived_wal,"
    " CASE WHEN pg_catalog.pg_is_in_recovery() THEN false ELSE"
    "  (SELECT CASE WHEN pg_catalog.pg_current_wal_lsn() - '0/0'::pg_lsn < s.size THEN false"
    "   ELSE coalesce(a.last_archived_wal, '') < pg_catalog.pg_walfile_name("
    "    pg_catalog.pg_current_wal_lsn() - s.size) END"
    "   FROM (SELECT CAST(pg_catalog.pg_size_bytes(pg_catalog.current_setting("
    "    'wal_segment_size')) AS numeric) AS size) s) END,"
    " pg_catalog.has_function_privilege('pg_catalog.pg_ls_archive_statusdir()', 'EXECUTE')"
    " FROM pg_catalog.pg_stat_archiver a";

/* ---------------------------------------------------------------- pgBackRest */

/* What the catalog and the settings tell about pgBackRest's archive: the
 * newest verified pgBackRest backup dbcare recorded (its stanza), and
 * whether archive_command pushes to pgBackRest (NULL: this role may not
 * read it). */
typedef struct pgbackrest_facts {
	char *stanza;  /* of the newest verified pgBackRest backup; NULL: none */
	char *command; /* archive_command, NULL when unreadable */
} pgbackrest_facts;

static int take_pgbackrest(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	pgbackrest_facts *p = arg;
	if (ncol != 2)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected pgBackRest row");
	p->stanza = c[0].type == DBC_TEXT ? dbc_strdup(ctx, c[0].s) : NULL;
	p->command = c[1].type == DBC_TEXT ? dbc_strdup(ctx, c[1].s) : NULL;
	return DBC_OK;
}

/* path is pgbackrest:STANZA/LABEL (the command records it so) */
static const char pgbackrest_sql[] =
    "SELECT (SELECT pg_catalog.split_part(pg_catalog.substr(b.path, 12), '/', 1)"
    "   FROM dbcare.backups b WHERE b.kind = 'pgbackrest' AND b.status = 'verified'"
    "    AND b.path LIKE 'pgbackrest:%/%' ORDER BY b.id DESC LIMIT 1),"
    " CASE WHEN pg_catalog.pg_has_role('pg_read_all_settings', 'MEMBER')"
    "  THEN pg_catalog.current_setting('archive_command') END";

/* Point-in-time recovery from pgBackRest's backups needs every WAL segment
 * after them in the stanza's archive: with pgBackRest backups catalogued,
 * archiving that is off or goes elsewhere is a warning of its own. */
static int pgbackrest_archive(dbc_ctx *ctx, dbc_health_fact *fact, const archiving *a, bool *pushes)
{
	pgbackrest_facts p = {0};
	*pushes = false;
	if (ctx->host->query(ctx, pgbackrest_sql, 0, NULL, take_pgbackrest, &p) != DBC_OK)
		return DBC_ERROR;
	*pushes = p.command && strstr(p.command, "pgbackrest") && strstr(p.command, "archive-push");
	if (!p.stanza)
		return DBC_OK;
	if (strcmp(a->mode, "off") == 0)
		dbc_health_finding(
		    ctx, fact, DBC_CHECK_WARNING,
		    dbc_printf(ctx,
		               "archive_mode is off: no WAL reaches pgBackRest's stanza %s, so "
		               "its backups restore to their own end only (no point in time)",
		               p.stanza));
	else if (p.command && !*pushes)
		dbc_health_finding(
		    ctx, fact, DBC_CHECK_WARNING,
		    dbc_printf(ctx,
		               "archive_command does not push to pgBackRest (pgbackrest "
		               "--stanza=%s archive-push %%p): its backups cannot be restored "
		               "to a point in time",
		               p.stanza));
	return DBC_OK;
}

static int gather_archiving(dbc_ctx *ctx, dbc_health_fact *fact)
{
	archiving a = {0};
	bool require;
	double max_age;
	if (dbc_setting_get_bool(ctx, "health.backups.require_archiving", &require) != DBC_OK ||
	    dbc_setting_get_number(ctx, "health.backups.max_archive_age", &max_age) != DBC_OK ||
	    ctx->host->query(ctx, archiving_sql, 0, NULL, take_archiving, &a) != DBC_OK)
		return DBC_ERROR;
	if (a.in_recovery)
		return DBC_OK; /* the primary's archiver is the one to watch */
	bool pgbackrest;
	if (pgbackrest_archive(ctx, fact, &a, &pgbackrest) != DBC_OK)
		return DBC_ERROR;
	if (strcmp(a.mode, "off") == 0) {
		if (require)
			dbc_health_finding(ctx, fact, DBC_CHECK_WARNING,
			                   "archive_mode is off: no WAL is archived");
		return DBC_OK;
	}
	if (a.failing)
		dbc_health_finding(
		    ctx, fact, DBC_CHECK_CRITICAL,
		    dbc_printf(ctx, "WAL archiving fails (last failed segment %s)%s",
		               a.failed_wal ? a.failed_wal : "?",
		               pgbackrest ? " - pgBackRest's archive-push log (log-path) says why" : ""));
	if (a.waiting && (a.hours < 0 || a.hours > max_age))
		dbc_health_finding(
		    ctx, fact, DBC_CHECK_CRITICAL,
		    a.hours < 0 ? dbc_strdup(ctx, "no WAL segment archived yet while completed ones "
		                                  "wait")
		                : dbc_printf(ctx,
		                             "last archived WAL segment %s is %.1f h old while newer "
		                             "ones wait (max_archive_age %g h)",
		                             a.archived_wal, a.hours, max_age));
	if (!a.can_list) {
		fact->note = fact->note
		                 ? dbc_printf(ctx, "%s; the .ready backlog needs pg_monitor", fact->note)
		                 : dbc_strdup(ctx, "the .ready backlog needs pg_monitor");
		return DBC_OK;
	}
	/* A backup or a burst of writes completes segments faster than the
	 * archiver pushes them for a moment: only a segment that has waited
	 * longer than READY_GRACE_SECONDS makes the waiting ones a backlog
	 * (else every backup would raise a warning that clears by itself). */
	char *n = NULL;
	if (dbc_query_text(ctx,
	                   "SELECT CASE WHEN pg_catalog.min(modification) < pg_catalog.now()"
	                   "  - pg_catalog.make_interval(secs => " READY_GRACE_SECONDS ")"
	                   " THEN pg_catalog.count(*) ELSE 0 END"
	                   " FROM pg_catalog.pg_ls_archive_statusdir() WHERE name LIKE '%.ready'",
	                   0, NULL, &n, NULL) != DBC_OK)
		return DBC_ERROR;
	a.ready = n ? strtoll(n, NULL, 10) : 0;
	if (a.ready > 1)
		dbc_health_finding(
		    ctx, fact, DBC_CHECK_WARNING,
		    dbc_printf(ctx,
		               "%lld WAL segments wait to be archived (.ready), the oldest for "
		               "more than " READY_GRACE_SECONDS " s",
		               (long long)a.ready));
	return DBC_OK;
}

int pgdbc_gather_backups(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                         dbc_health_fact *fact)
{
	bool readable;
	(void)eng, (void)mode;
	if (pgdbc_health_readable(ctx, fact, "dbcare.backups", "the backup catalog", &readable) !=
	    DBC_OK)
		return DBC_ERROR;
	if (!readable)
		return DBC_OK;
	if (dbc_backup_health(ctx, &backup_hooks, fact) != DBC_OK)
		return DBC_ERROR;
	return gather_archiving(ctx, fact);
}
