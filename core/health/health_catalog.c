/*
 * health_catalog.c — every health check: engines, cost class, default penalty
 * and thresholds, wording; and the settings provider that turns each into
 * health.<check>.enabled / .penalty / .warn / .critical keys.
 */
#include "health/health.h"

#include <string.h>

#define BOTH DBC_ENGINE_BOTH
#define PG DBC_ENGINE_PG
#define LITE DBC_ENGINE_SQLITE
#define Q DBC_HEALTH_QUICK
#define S DBC_HEALTH_STANDARD
#define F DBC_HEALTH_FULL
#define NONE (-1)

/* Order here is the order of the report. Penalties follow the seed design:
 * integrity 50, FKs declared but not enforced 10, orphans 5 per relation,
 * more than 10 slow statements 10. Thresholds compare with ">" (or "<" for
 * lower_is_worse), so "warn 0" on a count means "any". */
const dbc_health_check_def dbc_health_checks_catalog[] = {
	{"integrity", BOTH, S, 50, 0, NONE, 0, false, DBC_VALUE_COUNT, "", "storage problem",
	 "storage problems", "no storage problem found",
	 "Restore the damaged object from a backup or rebuild it (REINDEX for an index).",
	 "Storage consistency: SQLite PRAGMA quick_check (standard) / integrity_check (full); "
	 "PostgreSQL amcheck bt_index_check on every valid btree index (heapallindexed in full).",
	 NULL},
	{"foreign_keys_enforced", BOTH, Q, 10, 0, 0, NONE, false, DBC_VALUE_COUNT, "",
	 "foreign key not enforced", "foreign keys not enforced", "declared foreign keys are enforced",
	 NULL,
	 "Foreign keys are declared but the engine does not enforce them: SQLite PRAGMA foreign_keys "
	 "off (only when the schema declares any); PostgreSQL disabled FK triggers, FK triggers "
	 "that fire only under session_replication_role = replica, that setting stored for the "
	 "database or a role (ALTER DATABASE/ROLE ... SET), or NOT VALID foreign keys.",
	 NULL},
	{"foreign_key_violations", BOTH, S, 20, 0, NONE, 0, false, DBC_VALUE_COUNT, "",
	 "foreign key with violations", "foreign keys with violations",
	 "no foreign-key violation", "SELECT * FROM dbcheck_constraints() shows the offending keys.",
	 "Rows whose foreign key has no parent row, for every declared foreign key.",
	 dbc_health_gather_fk_violations},
	{"constraint_violations", BOTH, F, 20, 0, NONE, 0, false, DBC_VALUE_COUNT, "",
	 "constraint with violations", "constraints with violations", "no constraint violation",
	 "SELECT * FROM dbcheck_constraints() shows the offending keys.",
	 "Stored rows that break a declared CHECK, NOT NULL, UNIQUE or PRIMARY KEY constraint.",
	 dbc_health_gather_constraint_violations},
	{"orphans", BOTH, F, 5, 25, 0, NONE, false, DBC_VALUE_COUNT, "", "relation with orphans",
	 "relations with orphans", "no orphan rows",
	 "SELECT * FROM dbcheck_orphans() lists them; dbcheck_cleanup_orphans() removes them.",
	 "Child rows without a parent for declared relations (dbcheck_add_relation); the penalty "
	 "counts per relation.",
	 dbc_health_gather_orphans},
	{"migrations", BOTH, Q, 10, 0, 0, NONE, false, DBC_VALUE_SCALAR, "", "pending migration",
	 "pending migrations", "no pending or problem migration",
	 "SELECT * FROM dbmigrate_status() shows each migration's state.",
	 "Migration state: pending migrations warn; changed, missing or failed ones are critical.",
	 dbc_health_gather_migrations},
	{"schema_drift", BOTH, Q, 10, 0, 0, NONE, false, DBC_VALUE_SCALAR, "", "schema change",
	 "schema changes", "schema matches the one recorded after the last migration",
	 "SELECT * FROM dbmigrate_validate() says what changed.",
	 "The schema fingerprint differs from the one recorded after the last migration.",
	 dbc_health_gather_schema_drift},
	{"tables_without_primary_key", BOTH, Q, 5, 0, 0, NONE, false, DBC_VALUE_COUNT, "",
	 "table without a primary key", "tables without a primary key",
	 "every table has a primary key",
	 "Add a primary key (replication, deduplication and many tools need one).",
	 "Ordinary tables with neither a PRIMARY KEY (nor, in SQLite, a WITHOUT ROWID key).", NULL},
	{"unindexed_foreign_keys", BOTH, Q, 5, 0, 0, NONE, false, DBC_VALUE_COUNT, "",
	 "foreign key without an index", "foreign keys without an index",
	 "every foreign key has a supporting index",
	 "Create an index on the referencing columns: deletes and updates of the parent scan the "
	 "child table otherwise.",
	 "Foreign keys whose referencing columns are not the leading columns of any index.", NULL},
	{"duplicate_indexes", BOTH, Q, 5, 0, 0, NONE, false, DBC_VALUE_COUNT, "", "duplicate index",
	 "duplicate indexes", "no duplicate index",
	 "Drop the duplicate: it costs writes and space and gives nothing.",
	 "Indexes with the same table, columns, predicate and method as another index; on "
	 "PostgreSQL also btree indexes whose columns are a leading prefix of another's (covered "
	 "by it). Never an index a constraint or a partitioned table's index requires.",
	 NULL},
	{"fragmentation", BOTH, Q, 5, 0, 20, 50, false, DBC_VALUE_MAX, "%", "fragmented table",
	 "fragmented tables", "no fragmented table",
	 NULL,
	 "SQLite: free pages as a percentage of all pages. PostgreSQL: dead tuples as a percentage "
	 "of all tuples per table (tables with at least 1000 tuples).",
	 NULL},
	{"statistics", BOTH, Q, 5, 0, 0, NONE, false, DBC_VALUE_COUNT, "",
	 "table without current statistics", "tables without current statistics",
	 "planner statistics are present",
	 "Run ANALYZE.",
	 "Tables never analysed or (PostgreSQL) changed by more than 20% since the last ANALYZE.",
	 NULL},
	{"slow_queries", BOTH, Q, 10, 0, 10, NONE, false, DBC_VALUE_COUNT, "", "slow statement",
	 "slow statements", "no slow statement recorded",
	 "Look at the statements (SQLite: SELECT * FROM dbmonitor_slow) and their plans.",
	 "Statements slower than health.slow_queries.min_ms on average (PostgreSQL, "
	 "pg_stat_statements) or recorded by dbmonitor (SQLite).",
	 NULL},
	{"invalid_indexes", PG, Q, 10, 0, 0, NONE, false, DBC_VALUE_COUNT, "", "invalid index",
	 "invalid indexes", "no invalid index",
	 "Drop the index and build it again (a failed CREATE INDEX CONCURRENTLY leaves it behind).",
	 "Indexes marked invalid: not used by queries, still maintained, and a unique one does not "
	 "enforce uniqueness.",
	 NULL},
	{"unused_indexes", PG, Q, 2, 0, 0, NONE, false, DBC_VALUE_COUNT, "", "unused index",
	 "unused indexes", "no large unused index",
	 "Check the standbys too, then drop indexes no query uses.",
	 "Non-unique indexes of at least 1 MB never scanned since statistics were reset.", NULL},
	{"not_valid_constraints", PG, Q, 5, 0, 0, NONE, false, DBC_VALUE_COUNT, "",
	 "constraint not validated", "constraints not validated", "every constraint is validated",
	 "ALTER TABLE ... VALIDATE CONSTRAINT ...",
	 "CHECK and foreign-key constraints created NOT VALID and never validated.", NULL},
	{"sequence_exhaustion", PG, Q, 10, 0, 75, 90, false, DBC_VALUE_MAX, "%",
	 "sequence near its limit", "sequences near their limit", "sequences are far from their limits",
	 "Widen the column and the sequence (ALTER SEQUENCE ... AS bigint).",
	 "Percentage of each sequence's range already used; the range is the narrower of the "
	 "sequence's and that of the columns it feeds (a bigint sequence behind an integer "
	 "column ends at 2^31-1).",
	 NULL},
	{"xid_wraparound", PG, Q, 20, 0, 50, 75, false, DBC_VALUE_MAX, "%", "database aging",
	 "databases aging", "transaction IDs are far from wraparound",
	 "VACUUM (FREEZE) the oldest tables; look for long transactions and abandoned slots.",
	 "age(datfrozenxid) of each database as a percentage of the 2^31 hard limit.", NULL},
	{"long_transactions", PG, Q, 5, 0, 300, 3600, false, DBC_VALUE_MAX, " s", "long transaction",
	 "long transactions", "no long-running transaction",
	 "Find the session in pg_stat_activity; long transactions hold back VACUUM.",
	 "Age in seconds of the oldest open transaction that is running a statement.", NULL},
	{"idle_in_transaction", PG, Q, 5, 0, 60, 600, false, DBC_VALUE_MAX, " s",
	 "session idle in transaction", "sessions idle in transaction",
	 "no session idle in a transaction",
	 "Fix the application or set idle_in_transaction_session_timeout.",
	 "Seconds a session has been idle inside an open transaction.", NULL},
	{"connections", PG, Q, 10, 0, 80, 95, false, DBC_VALUE_SCALAR, "%", "connection",
	 "connections", "connections are well below max_connections",
	 "Use a connection pooler or raise max_connections.",
	 "Connections in use as a percentage of max_connections.", NULL},
	{"cache_hit_ratio", PG, Q, 5, 0, 95, 80, true, DBC_VALUE_SCALAR, "%", "", "",
	 "the buffer cache serves most reads", "Give shared_buffers more memory.",
	 "Share of the block reads of user tables and their indexes (pg_statio_user_tables) "
	 "served by shared_buffers (once enough reads happened to judge).",
	 NULL},
	{"disabled_triggers", PG, Q, 5, 0, 0, NONE, false, DBC_VALUE_COUNT, "", "disabled trigger",
	 "disabled triggers", "no disabled trigger", "ALTER TABLE ... ENABLE TRIGGER ...",
	 "User and foreign-key triggers that are disabled, and foreign-key triggers that do not "
	 "fire in ordinary sessions (ENABLE REPLICA, or session_replication_role = replica "
	 "stored for the database or a role).",
	 NULL},
	{"replication", PG, Q, 10, 0, 60, 600, false, DBC_VALUE_MAX, " s", "lagging standby",
	 "lagging standbys", "replication is current",
	 "Check the standby and its network; drop replication slots nobody uses.",
	 "Replay lag in seconds of each standby; inactive replication slots warn.", NULL},
	{"journal_mode", LITE, Q, 0, 0, NONE, NONE, false, DBC_VALUE_SCALAR, "", "", "", "", NULL,
	 "Informational: the journal mode (wal suits concurrent readers).", NULL},
};

const int dbc_health_checks_count =
	(int)(sizeof(dbc_health_checks_catalog) / sizeof(dbc_health_checks_catalog[0]));

const dbc_health_check_def *dbc_health_find_check(const char *name)
{
	for (int i = 0; i < dbc_health_checks_count; i++)
		if (strcmp(dbc_health_checks_catalog[i].name, name) == 0)
			return &dbc_health_checks_catalog[i];
	return NULL;
}

static const char *threshold_text(dbc_ctx *ctx, double v)
{
	return dbc_printf(ctx, "%.15g", v);
}

static const dbc_setting_def health_extra[] = {
	{"health.slow_queries.min_ms", "1000",
	 "PostgreSQL: a statement counts as slow for the slow_queries check when its mean "
	 "execution time in pg_stat_statements exceeds this many milliseconds.",
	 DBC_SETTING_NUMBER, NULL, 0, 1e12},
	{"health.database_label", "",
	 "The database label of the health report and its metrics (database=\"...\"); empty: the "
	 "database's name (PostgreSQL) or the file's name (SQLite).",
	 DBC_SETTING_LIST, NULL, 0, 0},
};

/* The four settings of check c: enabled, penalty, warn, critical (in that
 * order), with their descriptions when describe (the catalogue) and without
 * (dbc_health_setting_def: validating one stored value costs no printf of
 * the other keys' texts). */
static int check_defs(dbc_ctx *ctx, const dbc_health_check_def *c, bool describe,
                      dbc_setting_def d[4])
{
	const char *engines = c->engines == BOTH ? "" : c->engines == PG ? " (PostgreSQL)" : " (SQLite)";
	dbc_setting_def defs[4] = {
		{dbc_printf(ctx, "health.%s.enabled", c->name), "on",
		 describe ? dbc_printf(ctx, "Whether the %s check runs%s.", c->name, engines) : NULL,
		 DBC_SETTING_BOOL, NULL, 0, 0},
		{dbc_printf(ctx, "health.%s.penalty", c->name), dbc_printf(ctx, "%d", c->penalty),
		 describe ? dbc_printf(ctx,
		                       c->penalty_cap
		                           ? "Points the %s check takes off the score per offending "
		                             "object when it is not ok (at most %d)."
		                           : "Points the %s check takes off the score when it is not "
		                             "ok.%.0d",
		                       c->name, c->penalty_cap)
		          : NULL,
		 DBC_SETTING_INT, NULL, 0, 100},
		{dbc_printf(ctx, "health.%s.warn", c->name), threshold_text(ctx, c->warn),
		 describe ? dbc_printf(ctx, "The %s check warns when its value is %s this (negative: never).",
		                       c->name, c->lower_is_worse ? "below" : "above")
		          : NULL,
		 DBC_SETTING_NUMBER, NULL, -1, 1e15},
		{dbc_printf(ctx, "health.%s.critical", c->name), threshold_text(ctx, c->critical),
		 describe ? dbc_printf(ctx,
		                       "The %s check is critical when its value is %s this (negative: "
		                       "never).",
		                       c->name, c->lower_is_worse ? "below" : "above")
		          : NULL,
		 DBC_SETTING_NUMBER, NULL, -1, 1e15},
	};
	for (int k = 0; k < 4; k++) {
		if (!defs[k].key || !defs[k].default_value || (describe && !defs[k].description))
			return DBC_ERROR;
		d[k] = defs[k];
	}
	return DBC_OK;
}

int dbc_settings_health(dbc_ctx *ctx, dbc_setting_list *out)
{
	for (size_t i = 0; i < sizeof(health_extra) / sizeof(health_extra[0]); i++)
		if (dbc_settings_add(ctx, out, &health_extra[i]) != DBC_OK)
			return DBC_ERROR;
	for (int i = 0; i < dbc_health_checks_count; i++) {
		dbc_setting_def d[4];
		if (check_defs(ctx, &dbc_health_checks_catalog[i], true, d) != DBC_OK)
			return DBC_ERROR;
		for (int k = 0; k < 4; k++)
			if (dbc_settings_add(ctx, out, &d[k]) != DBC_OK)
				return DBC_ERROR;
	}
	return DBC_OK;
}

int dbc_health_setting_def(dbc_ctx *ctx, const char *key, dbc_setting_def *out, bool *found)
{
	static const char *const what[4] = {"enabled", "penalty", "warn", "critical"};
	*found = false;
	for (size_t i = 0; i < sizeof(health_extra) / sizeof(health_extra[0]); i++) {
		if (strcmp(health_extra[i].key, key) == 0) {
			*out = health_extra[i];
			*found = true;
			return DBC_OK;
		}
	}
	/* "health." check "." what: the check's name is what lies between */
	const char *dot = strrchr(key, '.');
	if (strncmp(key, "health.", 7) != 0 || !dot || dot < key + 8)
		return DBC_OK;
	for (int k = 0; k < 4; k++) {
		if (strcmp(dot + 1, what[k]) != 0)
			continue;
		char *name = dbc_strndup(ctx, key + 7, (size_t)(dot - key - 7));
		if (!name)
			return DBC_ERROR;
		const dbc_health_check_def *c = dbc_health_find_check(name);
		dbc_setting_def d[4];
		if (!c)
			return DBC_OK;
		if (check_defs(ctx, c, false, d) != DBC_OK)
			return DBC_ERROR;
		*out = d[k];
		*found = true;
		return DBC_OK;
	}
	return DBC_OK;
}
