/*
 * health_catalog.c — every health check: engines, cost class, default penalty
 * and thresholds, wording; and the settings provider that turns each into
 * health.<check>.enabled / .penalty / .warn / .critical keys.
 */
#include "health/health.h"

#include <string.h>

#define BOTH DBC_ENGINE_BOTH
#define PG   DBC_ENGINE_PG
#define LITE DBC_ENGINE_SQLITE
#define Q    DBC_HEALTH_QUICK
#define S    DBC_HEALTH_STANDARD
#define F    DBC_HEALTH_FULL
#define NONE (-1)

/* clang-format off */
/* One row per dbc_health_check_id, at its index: the ids' order is the
 * order of the report. Fields left out are 0 / NULL (no penalty cap, not
 * lower_is_worse, no default hint, gathered by the engine). Penalties
 * follow the seed design: integrity 50, FKs declared but not enforced 10, orphans 5 per relation,
 * more than 10 slow statements 10. Thresholds compare with ">" (or "<" for
 * lower_is_worse), so "warn 0" on a count means "any". */
const dbc_health_check_def dbc_health_checks_catalog[DBC_HC_COUNT] = {
	[DBC_HC_INTEGRITY] = {
		.id = DBC_HC_INTEGRITY, .repair = "reindex", .name = "integrity",
		.engines = BOTH, .cost = S, .penalty = 50, .warn = NONE, .critical = 0,
		.value_kind = DBC_VALUE_COUNT, .unit = "",
		.noun1 = "storage problem", .nounN = "storage problems",
		.ok_message = "no storage problem found",
		.hint = "Restore the damaged object from a backup or rebuild it (REINDEX for an index).",
		.description = "Storage consistency: SQLite PRAGMA quick_check (standard) / "
		    "integrity_check (full); PostgreSQL amcheck bt_index_check on every valid btree "
		    "index (heapallindexed in full).",
	},
	[DBC_HC_FOREIGN_KEYS_ENFORCED] = {
		.id = DBC_HC_FOREIGN_KEYS_ENFORCED, .name = "foreign_keys_enforced",
		.engines = BOTH, .cost = Q, .penalty = 10, .warn = 0, .critical = NONE,
		.value_kind = DBC_VALUE_COUNT, .unit = "",
		.noun1 = "foreign key not enforced", .nounN = "foreign keys not enforced",
		.ok_message = "declared foreign keys are enforced",
		.description = "Foreign keys are declared but the engine does not enforce them: SQLite "
		    "PRAGMA foreign_keys off (only when the schema declares any); PostgreSQL disabled FK "
		    "triggers, FK triggers that fire only under session_replication_role = replica, that "
		    "setting stored for the database or a role (ALTER DATABASE/ROLE ... SET). A NOT "
		    "VALID foreign key is enforced for new rows: not_valid_constraints reports it.",
	},
	[DBC_HC_FOREIGN_KEY_VIOLATIONS] = {
		.id = DBC_HC_FOREIGN_KEY_VIOLATIONS, .name = "foreign_key_violations",
		.engines = BOTH, .cost = S, .penalty = 20, .warn = NONE, .critical = 0,
		.value_kind = DBC_VALUE_COUNT, .unit = "",
		.noun1 = "foreign key with violations", .nounN = "foreign keys with violations",
		.ok_message = "no foreign-key violation",
		.hint = "SELECT * FROM dbcheck_constraints() shows the offending keys.",
		.description = "Rows whose foreign key has no parent row, for every declared foreign "
		    "key.",
		.core_gather = dbc_health_gather_fk_violations,
	},
	[DBC_HC_CONSTRAINT_VIOLATIONS] = {
		.id = DBC_HC_CONSTRAINT_VIOLATIONS, .name = "constraint_violations",
		.engines = BOTH, .cost = F, .penalty = 20, .warn = NONE, .critical = 0,
		.value_kind = DBC_VALUE_COUNT, .unit = "",
		.noun1 = "constraint with violations", .nounN = "constraints with violations",
		.ok_message = "no constraint violation",
		.hint = "SELECT * FROM dbcheck_constraints() shows the offending keys.",
		.description = "Stored rows that break a declared CHECK, NOT NULL, UNIQUE or PRIMARY "
		    "KEY constraint.",
		.core_gather = dbc_health_gather_constraint_violations,
	},
	[DBC_HC_ORPHANS] = {
		.id = DBC_HC_ORPHANS, .repair = "cleanup_orphans", .name = "orphans",
		.engines = BOTH, .cost = F, .penalty = 5, .penalty_cap = 25, .warn = 0, .critical = NONE,
		.value_kind = DBC_VALUE_COUNT, .unit = "",
		.noun1 = "relation with orphans", .nounN = "relations with orphans",
		.ok_message = "no orphan rows",
		.hint = "SELECT * FROM dbcheck_orphans() lists them; dbcheck_cleanup_orphans() removes "
		    "them.",
		.description = "Child rows without a parent for declared relations "
		    "(dbcheck_add_relation); the penalty counts per relation.",
		.core_gather = dbc_health_gather_orphans,
	},
	[DBC_HC_MIGRATIONS] = {
		.id = DBC_HC_MIGRATIONS, .name = "migrations",
		.engines = BOTH, .cost = Q, .penalty = 10, .warn = 0, .critical = NONE,
		.value_kind = DBC_VALUE_SCALAR, .unit = "",
		.noun1 = "pending migration", .nounN = "pending migrations",
		.ok_message = "no pending or problem migration",
		.hint = "SELECT * FROM dbmigrate_status() shows each migration's state.",
		.description = "Migration state: pending migrations warn; changed, missing or failed "
		    "ones are critical.",
		.core_gather = dbc_health_gather_migrations,
	},
	[DBC_HC_SCHEMA_DRIFT] = {
		.id = DBC_HC_SCHEMA_DRIFT, .name = "schema_drift",
		.engines = BOTH, .cost = Q, .penalty = 10, .warn = 0, .critical = NONE,
		.value_kind = DBC_VALUE_SCALAR, .unit = "",
		.noun1 = "schema change", .nounN = "schema changes",
		.ok_message = "schema matches the one recorded after the last migration",
		.hint = "SELECT * FROM dbmigrate_validate() says what changed.",
		.description = "The schema fingerprint differs from the one recorded after the last "
		    "migration.",
		.core_gather = dbc_health_gather_schema_drift,
	},
	[DBC_HC_TABLES_WITHOUT_PRIMARY_KEY] = {
		.id = DBC_HC_TABLES_WITHOUT_PRIMARY_KEY, .name = "tables_without_primary_key",
		.engines = BOTH, .cost = Q, .penalty = 5, .warn = 0, .critical = NONE,
		.value_kind = DBC_VALUE_COUNT, .unit = "",
		.noun1 = "table without a primary key", .nounN = "tables without a primary key",
		.ok_message = "every table has a primary key",
		.hint = "Add a primary key (replication, deduplication and many tools need one).",
		.description = "Ordinary tables with neither a PRIMARY KEY (nor, in SQLite, a WITHOUT "
		    "ROWID key).",
	},
	[DBC_HC_UNINDEXED_FOREIGN_KEYS] = {
		.id = DBC_HC_UNINDEXED_FOREIGN_KEYS, .repair = "create_index", .name = "unindexed_foreign_keys",
		.engines = BOTH, .cost = Q, .penalty = 5, .warn = 0, .critical = NONE,
		.value_kind = DBC_VALUE_COUNT, .unit = "",
		.noun1 = "foreign key without an index", .nounN = "foreign keys without an index",
		.ok_message = "every foreign key has a supporting index",
		.hint = "Create an index on the referencing columns: deletes and updates of the parent "
		    "scan the child table otherwise.",
		.description = "Foreign keys whose referencing columns are not the leading columns of "
		    "any index.",
	},
	[DBC_HC_DUPLICATE_INDEXES] = {
		.id = DBC_HC_DUPLICATE_INDEXES, .repair = "drop_index", .name = "duplicate_indexes",
		.engines = BOTH, .cost = Q, .penalty = 5, .warn = 0, .critical = NONE,
		.value_kind = DBC_VALUE_COUNT, .unit = "",
		.noun1 = "duplicate index", .nounN = "duplicate indexes",
		.ok_message = "no duplicate index",
		.hint = "Drop the duplicate: it costs writes and space and gives nothing.",
		.description = "Indexes with the same table, columns, predicate and method as another "
		    "index; on PostgreSQL also btree indexes whose columns are a leading prefix of "
		    "another's (covered by it). Never an index a constraint or a partitioned table's "
		    "index requires.",
	},
	[DBC_HC_FRAGMENTATION] = {
		.id = DBC_HC_FRAGMENTATION, .repair = "vacuum", .name = "fragmentation",
		.engines = BOTH, .cost = Q, .penalty = 5, .warn = 20, .critical = 50,
		.value_kind = DBC_VALUE_MAX, .unit = "%",
		.noun1 = "fragmented table", .nounN = "fragmented tables",
		.ok_message = "no fragmented table",
		.description = "SQLite: free pages as a percentage of all pages. PostgreSQL: dead "
		    "tuples as a percentage of all tuples per table (tables with at least 1000 tuples).",
	},
	[DBC_HC_TABLE_BLOAT] = {
		.id = DBC_HC_TABLE_BLOAT, .repair = "vacuum_full", .name = "table_bloat",
		.engines = PG, .cost = Q, .penalty = 5, .warn = 50, .critical = NONE,
		.value_kind = DBC_VALUE_MAX, .unit = "%",
		.noun1 = "bloated table or index", .nounN = "bloated tables or indexes",
		.ok_message = "no bloated table",
		.hint = "VACUUM FULL the table (it rewrites the table under an ACCESS EXCLUSIVE lock: "
		    "reads and writes wait) in a maintenance window, or rebuild it online with pg_repack "
		    "where that extension is installed; plain VACUUM only makes the space reusable. "
		    "A bloated B-tree index: REINDEX INDEX CONCURRENTLY.",
		.description = "Share of a table's pages that its rows do not need, estimated from the "
		    "planner statistics (relpages against reltuples and pg_stats' average widths), for "
		    "tables wasting at least 128 pages: what plain VACUUM leaves after a mass delete. "
		    "Where the pgstattuple extension is installed, the largest tables are measured "
		    "instead (pgstattuple_approx, heap and TOAST) within health.table_bloat.budget_ms, "
		    "the estimate and its error beside each, then the largest B-tree indexes "
		    "(pgstatindex: leaf density against fillfactor, empty and deleted pages).",
	},
	[DBC_HC_STATISTICS] = {
		.id = DBC_HC_STATISTICS, .repair = "analyze", .name = "statistics",
		.engines = BOTH, .cost = Q, .penalty = 5, .warn = 0, .critical = NONE,
		.value_kind = DBC_VALUE_COUNT, .unit = "",
		.noun1 = "table without current statistics", .nounN = "tables without current statistics",
		.ok_message = "planner statistics are present",
		.hint = "Run ANALYZE.",
		.description = "Tables never analysed or (PostgreSQL) changed by more than 20% since "
		    "the last ANALYZE, or whose planner statistics are missing (PostgreSQL: deleted "
		    "from pg_statistic).",
	},
	[DBC_HC_SLOW_QUERIES] = {
		.id = DBC_HC_SLOW_QUERIES, .name = "slow_queries",
		.engines = BOTH, .cost = Q, .penalty = 10, .warn = 10, .critical = NONE,
		.value_kind = DBC_VALUE_COUNT, .unit = "",
		.noun1 = "slow statement", .nounN = "slow statements",
		.ok_message = "no slow statement recorded",
		.hint = "Look at the statements (SQLite: SELECT * FROM dbmonitor_slow) and their plans.",
		.description = "Statements slower than health.slow_queries.min_ms on average "
		    "(PostgreSQL, pg_stat_statements) or recorded by dbmonitor (SQLite).",
	},
	[DBC_HC_INVALID_INDEXES] = {
		.id = DBC_HC_INVALID_INDEXES, .repair = "reindex", .name = "invalid_indexes",
		.engines = PG, .cost = Q, .penalty = 10, .warn = 0, .critical = NONE,
		.value_kind = DBC_VALUE_COUNT, .unit = "",
		.noun1 = "invalid index", .nounN = "invalid indexes",
		.ok_message = "no invalid index",
		.hint = "Drop the index and build it again (a failed CREATE INDEX CONCURRENTLY leaves "
		    "it behind).",
		.description = "Indexes marked invalid: not used by queries, still maintained, and a "
		    "unique one does not enforce uniqueness.",
	},
	[DBC_HC_UNUSED_INDEXES] = {
		.id = DBC_HC_UNUSED_INDEXES, .name = "unused_indexes",
		.engines = PG, .cost = Q, .penalty = 2, .warn = 0, .critical = NONE,
		.value_kind = DBC_VALUE_COUNT, .unit = "",
		.noun1 = "unused index", .nounN = "unused indexes",
		.ok_message = "no large unused index",
		.hint = "Check the standbys too, then drop indexes no query uses.",
		.description = "Non-unique indexes of at least 1 MB never scanned since statistics were "
		    "reset.",
	},
	[DBC_HC_NOT_VALID_CONSTRAINTS] = {
		.id = DBC_HC_NOT_VALID_CONSTRAINTS, .repair = "validate_constraint", .name = "not_valid_constraints",
		.engines = PG, .cost = Q, .penalty = 5, .warn = 0, .critical = NONE,
		.value_kind = DBC_VALUE_COUNT, .unit = "",
		.noun1 = "constraint not validated", .nounN = "constraints not validated",
		.ok_message = "every constraint is validated",
		.hint = "ALTER TABLE ... VALIDATE CONSTRAINT ...",
		.description = "CHECK and foreign-key constraints created NOT VALID and never validated.",
	},
	[DBC_HC_SEQUENCE_EXHAUSTION] = {
		.id = DBC_HC_SEQUENCE_EXHAUSTION, .repair = "widen_sequence", .name = "sequence_exhaustion",
		.engines = BOTH, .cost = Q, .penalty = 10, .warn = 75, .critical = 90,
		.value_kind = DBC_VALUE_MAX, .unit = "%",
		.noun1 = "sequence near its limit", .nounN = "sequences near their limit",
		.ok_message = "sequences are far from their limits",
		.hint = "Widen the column and the sequence (ALTER SEQUENCE ... AS bigint).",
		.description = "Percentage of each sequence's range already used; the range is the "
		    "narrower of the sequence's and that of the columns it feeds (a bigint sequence "
		    "behind an integer column ends at 2^31-1; a MAXVALUE of its own may end it sooner). "
		    "SQLite: each AUTOINCREMENT counter (sqlite_sequence) against 2^63-1.",
	},
	[DBC_HC_XID_WRAPAROUND] = {
		.id = DBC_HC_XID_WRAPAROUND, .name = "xid_wraparound",
		.engines = PG, .cost = Q, .penalty = 20, .warn = 50, .critical = 75,
		.value_kind = DBC_VALUE_MAX, .unit = "%",
		.noun1 = "database aging", .nounN = "databases aging",
		.ok_message = "transaction IDs are far from wraparound",
		.hint = "VACUUM (FREEZE) the oldest tables; look for long transactions and abandoned "
		    "slots.",
		.description = "The older of age(datfrozenxid) and mxid_age(datminmxid) of each "
		    "database (transaction IDs and multixacts both wrap around) as a percentage of "
		    "the 2^31 hard limit.",
	},
	[DBC_HC_LONG_TRANSACTIONS] = {
		.id = DBC_HC_LONG_TRANSACTIONS, .name = "long_transactions",
		.engines = PG, .cost = Q, .penalty = 5, .warn = 300, .critical = 3600,
		.value_kind = DBC_VALUE_MAX, .unit = " s",
		.noun1 = "long transaction", .nounN = "long transactions",
		.ok_message = "no long-running transaction",
		.hint = "Find the session in pg_stat_activity; long transactions hold back VACUUM.",
		.description = "Age in seconds of the oldest open transaction that is running a "
		    "statement.",
	},
	[DBC_HC_IDLE_IN_TRANSACTION] = {
		.id = DBC_HC_IDLE_IN_TRANSACTION, .name = "idle_in_transaction",
		.engines = PG, .cost = Q, .penalty = 5, .warn = 60, .critical = 600,
		.value_kind = DBC_VALUE_MAX, .unit = " s",
		.noun1 = "session idle in transaction", .nounN = "sessions idle in transaction",
		.ok_message = "no session idle in a transaction",
		.hint = "Fix the application or set idle_in_transaction_session_timeout.",
		.description = "Seconds a session has been idle inside an open transaction.",
	},
	[DBC_HC_CONNECTIONS] = {
		.id = DBC_HC_CONNECTIONS, .name = "connections",
		.engines = PG, .cost = Q, .penalty = 10, .warn = 80, .critical = 95,
		.value_kind = DBC_VALUE_SCALAR, .unit = "%",
		.noun1 = "connection", .nounN = "connections",
		.ok_message = "connections are well below max_connections",
		.hint = "Use a connection pooler or raise max_connections.",
		.description = "Connections in use as a percentage of max_connections.",
	},
	[DBC_HC_CACHE_HIT_RATIO] = {
		.id = DBC_HC_CACHE_HIT_RATIO, .name = "cache_hit_ratio",
		.engines = PG, .cost = Q, .penalty = 5, .warn = 95, .critical = 80,
		.lower_is_worse = true, .value_kind = DBC_VALUE_SCALAR, .unit = "%",
		.noun1 = "", .nounN = "",
		.ok_message = "the buffer cache serves most reads",
		.hint = "Give shared_buffers more memory.",
		.description = "Share of the block reads of user tables and their indexes "
		    "(pg_statio_user_tables) served by shared_buffers (once enough reads happened to "
		    "judge).",
	},
	[DBC_HC_DISABLED_TRIGGERS] = {
		.id = DBC_HC_DISABLED_TRIGGERS, .name = "disabled_triggers",
		.engines = PG, .cost = Q, .penalty = 5, .warn = 0, .critical = NONE,
		.value_kind = DBC_VALUE_COUNT, .unit = "",
		.noun1 = "disabled trigger", .nounN = "disabled triggers",
		.ok_message = "no disabled trigger",
		.hint = "ALTER TABLE ... ENABLE TRIGGER ...",
		.description = "User and foreign-key triggers that are disabled, and foreign-key "
		    "triggers that do not fire in ordinary sessions (ENABLE REPLICA, or "
		    "session_replication_role = replica stored for the database or a role).",
	},
	[DBC_HC_REPLICATION] = {
		.id = DBC_HC_REPLICATION, .name = "replication",
		.engines = PG, .cost = Q, .penalty = 10, .warn = 60, .critical = 600,
		.value_kind = DBC_VALUE_MAX, .unit = " s",
		.noun1 = "lagging standby", .nounN = "lagging standbys",
		.ok_message = "replication is current",
		.hint = "Check the standby and its network; drop replication slots nobody uses.",
		.description = "Replay lag in seconds of each standby; inactive replication slots warn.",
	},
	[DBC_HC_JOURNAL_MODE] = {
		.id = DBC_HC_JOURNAL_MODE, .name = "journal_mode",
		.engines = LITE, .cost = Q, .penalty = 0, .warn = NONE, .critical = NONE,
		.value_kind = DBC_VALUE_SCALAR, .unit = "",
		.noun1 = "", .nounN = "",
		.ok_message = "",
		.description = "Informational: the journal mode (wal suits concurrent readers).",
	},
	[DBC_HC_BACKUPS] = {
		.id = DBC_HC_BACKUPS, .name = "backups",
		.engines = BOTH, .cost = Q, .penalty = 10, .warn = NONE, .critical = NONE,
		.value_kind = DBC_VALUE_SCALAR, .unit = " h",
		.noun1 = "", .nounN = "",
		.ok_message = "",
		.hint = "Take a backup (dbbackup_create on SQLite; on PostgreSQL record the external "
		    "one with dbbackup_record) and look at why the last ones failed "
		    "(SELECT * FROM dbbackup_list()).",
		.description = "Hours since the newest verified backup of the catalog: warning past "
		    "health.backups.max_age, critical past twice it, skipped until a backup is recorded "
		    "unless health.backups.required. PostgreSQL adds WAL archiving: archive_mode off "
		    "(with health.backups.require_archiving), archiver failures since its last success, "
		    "a last archived segment older than health.backups.max_archive_age while newer "
		    "segments wait, and the .ready backlog. SQLite adds the backups waiting in "
		    "backup.stage_dir for their upload: a warning once the oldest has waited longer "
		    "than health.backups.max_ship_wait (remedy: dbcare backup --ship).",
	},
	[DBC_HC_RETENTION] = {
		.id = DBC_HC_RETENTION, .name = "retention",
		.engines = BOTH, .cost = S, .penalty = 5, .warn = 10, .critical = NONE,
		.value_kind = DBC_VALUE_SCALAR, .unit = "",
		.noun1 = "batch due", .nounN = "batches due",
		.ok_message = "every retention policy keeps up",
		.hint = "SELECT * FROM dbretain_plan() shows what is due and what blocks it; run "
		    "dbretain_apply (or CALL dbretain_run()) more often.",
		.description = "The most batches (retain.batch_size rows) a retention policy has due: "
		    "more than warn means its runs do not keep up. An archive table holding fewer "
		    "rows than its policies moved into it is critical (archived data was lost).",
		.core_gather = dbc_health_gather_retention,
	},
	[DBC_HC_AUDIT] = {
		.id = DBC_HC_AUDIT, .name = "audit",
		.engines = BOTH, .cost = Q, .penalty = 5, .warn = 0, .critical = NONE,
		.value_kind = DBC_VALUE_COUNT, .unit = "",
		.noun1 = "audited table out of step with its triggers",
		.nounN = "audited tables out of step with their triggers",
		.ok_message = "every audited table is recorded in full",
		.hint = "SELECT dbaudit_refresh() makes the triggers of changed tables again, "
		        "enabled (or ALTER TABLE ... ENABLE TRIGGER the disabled ones); "
		        "SELECT dbaudit_disable(table) forgets a dropped one. A table recorded from "
		        "the WAL whose log falls behind: see that its worker runs (backend_type "
		        "'dbcare audit wal' in pg_stat_activity), or fall back to trigger mode "
		        "(docs/audit.md, \"Watching it\").",
		.description = "Audited tables that were dropped, and those whose triggers miss "
		    "changes (dbaudit_tables' problem): an audit trigger dropped (DROP TRIGGER); "
		    "PostgreSQL, an audit trigger disabled (ALTER TABLE ... DISABLE TRIGGER, also USER "
		    "or ALL, on the table or a partition) or firing only under "
		    "session_replication_role = replica, or statement triggers on a table that "
		    "joined a partition or inheritance tree since; SQLite, columns changed since the "
		    "triggers were made (a new column is not recorded); PostgreSQL wal mode, a log a "
		    "minute behind or a slot holding half of dbcare.audit_wal_max_retained. In full "
		    "mode also the hash "
		    "chains, as dbaudit_verify walks them: a break is critical.",
	},
	/* the alerting rules' own thresholds (health.alerts.*), graded by the
	 * gatherers: no points by default, the cause has its own check */
	[DBC_HC_MIGRATIONS_OVERDUE] = {
		.id = DBC_HC_MIGRATIONS_OVERDUE, .name = "migrations_overdue",
		.engines = BOTH, .cost = Q, .penalty = 0, .warn = NONE, .critical = NONE,
		.value_kind = DBC_VALUE_SCALAR, .unit = " min",
		.noun1 = "", .nounN = "",
		.ok_message = "",
		.description = "Minutes the oldest pending versioned migration has been registered: "
		    "warning when more of them than health.migrations.warn have waited longer than "
		    "health.alerts.pending_minutes (the alert DbcareMigrationsPending).",
		.core_gather = dbc_health_gather_migrations_overdue,
	},
	[DBC_HC_SCORE_DROP] = {
		.id = DBC_HC_SCORE_DROP, .name = "score_drop",
		.engines = BOTH, .cost = Q, .penalty = 0, .warn = NONE, .critical = NONE,
		.value_kind = DBC_VALUE_SCALAR, .unit = "",
		.noun1 = "", .nounN = "",
		.ok_message = "",
		.description = "Points the newest snapshot's score lies below the best snapshot of the "
		    "last hour (dbhealth_snapshot): warning at health.alerts.score_drop or more (the "
		    "alert DbcareScoreDropped).",
		.core_gather = dbc_health_gather_score_drop,
	},
	[DBC_HC_BACKUP_DRILLS] = {
		.id = DBC_HC_BACKUP_DRILLS, .name = "backup_drills",
		.engines = BOTH, .cost = Q, .penalty = 10, .warn = 192, .critical = 384,
		.value_kind = DBC_VALUE_SCALAR, .unit = " h",
		.noun1 = "", .nounN = "",
		.ok_message = "",
		.hint = "Run a restore drill: dbcare backup drill (on SQLite also SELECT "
		    "dbbackup_drill()); SELECT * FROM dbcare.backup_drills (dbcare_backup_drills) says "
		    "why the last one failed.",
		.description = "Hours since the newest good restore drill (a backup restored into "
		    "scratch, checked and compared with its record): warning past warn (the maximum "
		    "age, 192 h: a weekly drill and a day's slack), critical past critical or when the "
		    "newest drill failed; skipped until a drill is recorded.",
		.core_gather = dbc_health_gather_backup_drills,
	},
	[DBC_HC_POINT_IN_TIME_LOG] = {
		.id = DBC_HC_POINT_IN_TIME_LOG, .name = "point_in_time_log",
		.engines = LITE, .cost = Q, .penalty = 10, .warn = 300, .critical = 3600,
		.value_kind = DBC_VALUE_SCALAR, .unit = " s",
		.noun1 = "", .nounN = "",
		.ok_message = "",
		.hint = "Run the capture: dbcare log DIR --db sqlite:FILE, or an application "
		    "connection with the module loaded and backup.log.dir set; dbcare log status DIR "
		    "shows what the log can restore.",
		.description = "SQLite, when backup.log.dir is set: the point-in-time log's lag, 0 "
		    "while a capture runs and the WAL holds no commit after the log's place, else the "
		    "seconds since the newest record a capture wrote (log.progress): warning past warn "
		    "(300) or when no capture holds the log, critical past critical (3600); the "
		    "message adds the open segment's age and the last restorable moment. Skipped "
		    "while backup.log.dir is empty.",
	},
	[DBC_HC_XMIN_HORIZON] = {
		.id = DBC_HC_XMIN_HORIZON, .repair = "end_holder", .name = "xmin_horizon",
		.engines = PG, .cost = Q, .penalty = 10, .warn = 1000000, .critical = 100000000,
		.value_kind = DBC_VALUE_MAX, .unit = " xids",
		.noun1 = "holder of the xmin horizon", .nounN = "holders of the xmin horizon",
		.ok_message = "nothing holds the xmin horizon back",
		.hint = "VACUUM cannot remove the dead tuples newer than the horizon while its holder "
		    "stays: end the holder (ROLLBACK PREPARED, pg_terminate_backend, "
		    "pg_drop_replication_slot, or hot_standby_feedback off on the standby).",
		.description = "What holds the xmin horizon back, with the age in transaction IDs "
		    "of the xmin it pins: a session of this database in a transaction "
		    "(pg_stat_activity backend_xmin/backend_xid), a prepared transaction of this "
		    "database (pg_prepared_xacts), a replication slot, physical or logical, active or "
		    "not (xmin, catalog_xmin), and a standby's hot_standby_feedback "
		    "(pg_stat_replication backend_xmin).",
	},
};
/* clang-format on */

const int dbc_health_checks_count = DBC_HC_COUNT;

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
    {"health.table_bloat.budget_ms", "200",
     "PostgreSQL, where the pgstattuple extension is installed: the time a report may spend "
     "measuring table bloat with pgstattuple_approx, the largest tables first (the largest "
     "one at least); the tables it leaves are estimated from pg_stats (0: estimate every "
     "table).",
     DBC_SETTING_NUMBER, NULL, 0, 1e7},
    {"health.backups.max_age", "26",
     "The backups check warns when the newest verified backup is older than this many hours, "
     "and is critical past twice that.",
     DBC_SETTING_NUMBER, NULL, 0, 1e6},
    {"health.backups.required", "off",
     "Whether the backups check counts a database without any recorded backup as critical "
     "(off: it is skipped until the first backup is recorded).",
     DBC_SETTING_BOOL, NULL, 0, 0},
    {"health.backups.require_archiving", "off",
     "PostgreSQL: whether the backups check warns when archive_mode is off.", DBC_SETTING_BOOL,
     NULL, 0, 0},
    {"health.backups.max_ship_wait", "26",
     "SQLite, with backup.dir a store's URL: the backups check warns when a backup has waited "
     "in backup.stage_dir for its upload (dbcare backup --ship) longer than this many hours.",
     DBC_SETTING_NUMBER, NULL, 0, 1e6},
    {"health.backups.max_archive_age", "1",
     "PostgreSQL: the backups check warns when the last archived WAL segment is older than "
     "this many hours while completed segments wait to be archived.",
     DBC_SETTING_NUMBER, NULL, 0, 1e6},
    /* the alerting rules (health_alerts.c) compare the exposition's series
     * with them over time; the checks migrations_overdue and score_drop
     * (health_history.c) grade the report with the first two, dbcare serve
     * the age of what it serves with the third */
    {"health.alerts.score_drop", "10",
     "The alert DbcareScoreDropped fires, and the score_drop check warns, when the health "
     "score is this many points or more below its best of the last hour (dbcare alert-rules).",
     DBC_SETTING_INT, NULL, 1, 100},
    {"health.alerts.pending_minutes", "30",
     "The alert DbcareMigrationsPending fires, and the migrations_overdue check warns, when "
     "migrations stay pending this many minutes (dbcare alert-rules).",
     DBC_SETTING_INT, NULL, 1, 525600},
    {"health.alerts.stale_seconds", "600",
     "The alert DbcareMetricsStale fires when dbcare serve has served a result older than this "
     "many seconds for 5 minutes (dbcare alert-rules); serve's /health and /readyz warn then.",
     DBC_SETTING_INT, NULL, 1, 31536000},
    {"health.growth.tables", "20",
     "How many of the largest tables each dbhealth_snapshot records the size of, for the "
     "per-table growth history (0: none).",
     DBC_SETTING_INT, NULL, 0, 1000},
    {"health.growth.points", "100",
     "How many snapshots of the per-table growth history are kept: older snapshots' table "
     "sizes are deleted.",
     DBC_SETTING_INT, NULL, 2, 100000},
    {"health.queries.top", "100",
     "How many statements (of most total time) each dbhealth_snapshot records the counters "
     "of, for the query statistics history dbhealth_queries compares with (0: none).",
     DBC_SETTING_INT, NULL, 0, 100},
    {"health.queries.points", "48",
     "How many snapshots of the query statistics history are kept: older snapshots' "
     "statements are deleted.",
     DBC_SETTING_INT, NULL, 2, 10000},
    {"health.database_label", "",
     "The database label of the health report and its metrics (database=\"...\"); empty: the "
     "database's name (PostgreSQL) or the file's name (SQLite).",
     DBC_SETTING_LIST, NULL, 0, 0},
};

/* The four settings of check c: enabled, penalty, warn, critical (in that
 * order), with their descriptions when describe (the catalogue) and without
 * (key_def: validating one stored value costs no printf of
 * the other keys' texts). */
static int check_defs(dbc_ctx *ctx, const dbc_health_check_def *c, bool describe,
                      dbc_setting_def d[4])
{
	const char *engines = c->engines == BOTH ? ""
	                      : c->engines == PG ? " (PostgreSQL)"
	                                         : " (SQLite)";
	dbc_setting_def defs[4] = {
	    {dbc_printf(ctx, "health.%s.enabled", c->name), "on",
	     describe ? dbc_printf(ctx, "Whether the %s check runs%s.", c->name, engines) : NULL,
	     DBC_SETTING_BOOL, NULL, 0, 0},
	    {dbc_printf(ctx, "health.%s.penalty", c->name), dbc_printf(ctx, "%d", c->penalty),
	     describe
	         ? dbc_printf(ctx,
	                      c->penalty_cap ? "Points the %s check takes off the score per offending "
	                                       "object when it is not ok (at most %d)."
	                                     : "Points the %s check takes off the score when it is not "
	                                       "ok.%.0d",
	                      c->name, c->penalty_cap)
	         : NULL,
	     DBC_SETTING_INT, NULL, 0, 100},
	    {dbc_printf(ctx, "health.%s.warn", c->name), threshold_text(ctx, c->warn),
	     describe
	         ? dbc_printf(ctx, "The %s check warns when its value is %s this (negative: never).",
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

static int list_keys(dbc_ctx *ctx, dbc_setting_list *out)
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

/* The check of a key "health." check "." what: the check's name is what lies
 * between the prefix and the last dot. NULL when it names no check. */
static const dbc_health_check_def *check_of_key(const char *key, const char **what)
{
	const char *dot = strrchr(key, '.');
	if (strncmp(key, "health.", 7) != 0 || !dot || dot < key + 8)
		return NULL;
	size_t len = (size_t)(dot - key - 7);
	*what = dot + 1;
	for (int i = 0; i < dbc_health_checks_count; i++) {
		const char *name = dbc_health_checks_catalog[i].name;
		if (strlen(name) == len && strncmp(key + 7, name, len) == 0)
			return &dbc_health_checks_catalog[i];
	}
	return NULL;
}

static unsigned key_engines(const char *key)
{
	const char *what;
	const dbc_health_check_def *c = check_of_key(key, &what);
	return c ? c->engines : 0;
}

static int key_def(dbc_ctx *ctx, const char *key, dbc_setting_def *out, bool *found)
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
	const char *w;
	const dbc_health_check_def *c = check_of_key(key, &w);
	if (!c)
		return DBC_OK;
	for (int k = 0; k < 4; k++) {
		if (strcmp(w, what[k]) != 0)
			continue;
		dbc_setting_def d[4];
		if (check_defs(ctx, c, false, d) != DBC_OK)
			return DBC_ERROR;
		*out = d[k];
		*found = true;
		return DBC_OK;
	}
	return DBC_OK;
}

const dbc_settings_source dbc_health_settings = {
    .list = list_keys,
    .def_of = key_def,
    .engines = key_engines,
};
