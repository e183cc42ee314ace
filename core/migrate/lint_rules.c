/*
 * lint_rules.c — the migration lint's rules, as data (docs/lint.md lists
 * them). A rule names the kind of action it is about, the flags the action
 * must and must not carry, the engine fact it needs and whether the table
 * must hold rows; its message and safe recipe are templates the driver fills
 * ({table} {column} {rows} {lock} {new} {index} {type} {what} {evidence}). A rule about
 * cost (a lock held long, a rewrite) always needs rows: on a new or empty
 * table nothing waits.
 */
#include "migrate/lint.h"

#define ANY DBC_LOP_COUNT

/* the rebuild's remedy on an engine that copies it online
 * (core/migrate/migrate_online_rebuild.c) */
#define REBUILD_ONLINE                                                                             \
	"; its CREATE TABLE, INSERT ... SELECT, DROP TABLE and RENAME in a migration run in "          \
	"batches while the table takes writes with dbcare migrate --online"

const dbc_lint_rule dbc_lint_rules[] = {
    {"index-not-concurrent", DBC_LOP_CREATE_INDEX, 0, DBC_LF_CONCURRENTLY,
     DBC_LFACT_CONCURRENT_INDEX, true, DBC_LINT_WARNING,
     "CREATE INDEX on {table} ({rows}) takes a {lock} lock: writes to the table wait until "
     "the index is built",
     "dbcare migrate --online builds it CONCURRENTLY; by hand: CREATE INDEX CONCURRENTLY in a "
     "migration of its own whose first line is -- dbcare:no-transaction (drop an invalid "
     "leftover of a failed build with DROP INDEX CONCURRENTLY and retry)"},
    {"drop-index-not-concurrent", DBC_LOP_DROP_INDEX, 0, DBC_LF_CONCURRENTLY,
     DBC_LFACT_CONCURRENT_INDEX, true, DBC_LINT_WARNING,
     "DROP INDEX {index} on {table} ({rows}) takes an {lock} lock: reads and writes of the "
     "table wait",
     "DROP INDEX CONCURRENTLY in a migration of its own whose first line is "
     "-- dbcare:no-transaction"},
    {"add-column-volatile-default", DBC_LOP_ADD_COLUMN, DBC_LF_VOLATILE_DEFAULT, 0, DBC_LFACT_LOCKS,
     true, DBC_LINT_WARNING,
     "ADD COLUMN {column} on {table} ({rows}) has a volatile default (or is a serial, identity "
     "or stored generated column): every row is rewritten under an {lock} lock",
     "add the column without a default (or with a constant one), fill it in batches with "
     "UPDATE ... WHERE id BETWEEN ..., then ALTER COLUMN {column} SET DEFAULT ... (a NOT NULL "
     "one: dbcare migrate --online does all of it)"},
    {"alter-type-rewrite", DBC_LOP_ALTER_TYPE, DBC_LF_REWRITES, 0, DBC_LFACT_LOCKS, true,
     DBC_LINT_WARNING,
     "ALTER COLUMN {column} TYPE {type} on {table} ({rows}) is not binary-coercible: the table "
     "and its indexes are rewritten under an {lock} lock",
     "dbcare migrate --online does it through a shadow column (its indexes, keys, views, "
     "policies and triggers made again on it; {column} ends as the table's last column); "
     "by hand: add a new "
     "column of type {type}, fill it in batches, keep it in step with a trigger, then switch "
     "the application over and drop the old column"},
    {"set-not-null-nulls", DBC_LOP_SET_NOT_NULL, DBC_LF_HOLDS_NULLS, 0, DBC_LFACT_NONE, true,
     DBC_LINT_ERROR,
     "SET NOT NULL on {table}.{column} will fail: the statistics show NULLs in {evidence}",
     "fill the NULLs first (UPDATE in batches WHERE {column} IS NULL, in this migration or an "
     "earlier one), or give the column a DEFAULT and backfill it; then SET NOT NULL"},
    {"set-not-null-scan", DBC_LOP_SET_NOT_NULL, 0, DBC_LF_CHECKED_NOT_NULL | DBC_LF_HOLDS_NULLS,
     DBC_LFACT_NOT_VALID, true, DBC_LINT_WARNING,
     "SET NOT NULL on {table}.{column} ({rows}) scans the whole table under an {lock} lock",
     "ADD CONSTRAINT {column}_not_null CHECK ({column} IS NOT NULL) NOT VALID; then, in a "
     "later migration, VALIDATE CONSTRAINT {column}_not_null; then SET NOT NULL (it uses the "
     "validated CHECK and skips the scan) and DROP CONSTRAINT {column}_not_null"},
    {"foreign-key-not-valid", DBC_LOP_ADD_FOREIGN_KEY, 0, DBC_LF_NOT_VALID, DBC_LFACT_NOT_VALID,
     true, DBC_LINT_WARNING,
     "ADD FOREIGN KEY on {table} ({rows}) checks every row under a {lock} lock on both tables",
     "dbcare migrate --online does both steps; by hand: ADD CONSTRAINT ... FOREIGN KEY ... "
     "NOT VALID; then VALIDATE CONSTRAINT in a later migration (it takes only a SHARE UPDATE "
     "EXCLUSIVE lock)"},
    {"check-not-valid", DBC_LOP_ADD_CHECK, 0, DBC_LF_NOT_VALID, DBC_LFACT_NOT_VALID, true,
     DBC_LINT_WARNING, "ADD CHECK on {table} ({rows}) checks every row under an {lock} lock",
     "dbcare migrate --online does both steps; by hand: ADD CONSTRAINT ... CHECK (...) NOT "
     "VALID; then VALIDATE CONSTRAINT in a later migration (it takes only a SHARE UPDATE "
     "EXCLUSIVE lock)"},
    {"unique-without-index", DBC_LOP_ADD_UNIQUE, 0, DBC_LF_USING_INDEX,
     DBC_LFACT_UNIQUE_USING_INDEX, true, DBC_LINT_WARNING,
     "{what} on {table} ({rows}) builds its index under an {lock} lock",
     "CREATE UNIQUE INDEX CONCURRENTLY in a migration marked -- dbcare:no-transaction; then "
     "ADD CONSTRAINT ... {what} USING INDEX that index"},
    {"drop-column-data", DBC_LOP_DROP_COLUMN, 0, 0, DBC_LFACT_NONE, true, DBC_LINT_ERROR,
     "DROP COLUMN {column} of {table} ({rows}) loses its data, and the running application "
     "may still read it",
     "stop using the column in the application first, deploy, then drop it; say so with "
     "-- dbcare:lint-ignore drop-column-data"},
    {"add-column-published", DBC_LOP_ADD_COLUMN, DBC_LF_PUBLISHED, 0, DBC_LFACT_NONE, false,
     DBC_LINT_WARNING,
     "ADD COLUMN {column} on {table}, which {problem} publishes: a subscriber that lacks the "
     "column stops replicating at the first row that carries it",
     "the order is subscriber first, publisher second: add the column on every subscriber, "
     "then apply this migration here (docs/topology.md); dbcare migrate --wait-replicas "
     "--subscriber URL checks it"},
    {"drop-column-subscribed", DBC_LOP_DROP_COLUMN, DBC_LF_SUBSCRIBED, 0, DBC_LFACT_NONE, false,
     DBC_LINT_WARNING,
     "DROP COLUMN {column} of {table}, which {problem} replicates into: while the publisher "
     "still publishes the column, replication stops at the first row that carries it",
     "the order is publisher first, subscriber second: drop the column on the publisher, "
     "then apply this migration here (docs/topology.md)"},
    {"drop-column-view", DBC_LOP_DROP_COLUMN, DBC_LF_VIEW_DEPENDS, 0, DBC_LFACT_FULL_ALTER, false,
     DBC_LINT_ERROR,
     "DROP COLUMN {column} of {table}: a view uses it (the statement fails, or with CASCADE "
     "drops the view too)",
     "recreate the views without the column first, in the same migration"},
    {"drop-table-data", DBC_LOP_DROP_TABLE, 0, DBC_LF_ROWS_COPIED, DBC_LFACT_NONE, true,
     DBC_LINT_ERROR, "DROP TABLE {table} ({rows}) loses its data",
     "stop using the table first; keep a copy (rename it away) until sure; say so with "
     "-- dbcare:lint-ignore drop-table-data"},
    {"drop-table-children", DBC_LOP_DROP_TABLE, DBC_LF_DELETING_CHILDREN, 0, DBC_LFACT_NONE, true,
     DBC_LINT_WARNING,
     "DROP TABLE {table} ({rows}): while foreign keys are enforced it deletes the table's rows "
     "first, and the ON DELETE actions of {problem} delete or change their rows",
     "dbmigrate_apply and dbmigrate_rollback run it with foreign keys off and check every key "
     "before they commit (inside a transaction of yours with foreign keys on they refuse it); "
     "run the script any other way only after PRAGMA foreign_keys = OFF, outside a "
     "transaction"},
    {"drop-table-view", DBC_LOP_DROP_TABLE, DBC_LF_VIEW_DEPENDS, 0, DBC_LFACT_NONE, false,
     DBC_LINT_ERROR,
     "DROP TABLE {table}: a view uses it (the statement fails, or drops or breaks the view)",
     "drop or recreate the views that use it first"},
    {"rename-table", DBC_LOP_RENAME_TABLE, 0, 0, DBC_LFACT_NONE, true, DBC_LINT_WARNING,
     "RENAME of table {table} ({rows}) to {new}: the running application still uses the old "
     "name",
     "create the new table (or a view named {new} over the old one), switch the application "
     "over, then drop the old name"},
    {"rename-column", DBC_LOP_RENAME_COLUMN, 0, 0, DBC_LFACT_NONE, true, DBC_LINT_WARNING,
     "RENAME of column {table}.{column} ({rows}) to {new}: the running application still uses "
     "the old name",
     "add the new column, write both, backfill, switch the application's reads, then drop "
     "the old column"},
    {"lock-timeout", ANY, DBC_LF_NO_LOCK_TIMEOUT, 0, DBC_LFACT_LOCKS, true, DBC_LINT_WARNING,
     "{what} on {table} ({rows}) takes an {lock} lock with no lock_timeout set before it: "
     "while it waits for the lock, every query of the table queues behind it",
     "SET LOCAL lock_timeout = '2s'; as the migration's first statement, and retry the "
     "migration when it times out; or apply it with dbcare migrate --online, which does both "
     "for each lock"},
    {"vacuum-full", DBC_LOP_VACUUM_FULL, 0, 0, DBC_LFACT_LOCKS, true, DBC_LINT_WARNING,
     "VACUUM FULL of {table} ({rows}) rewrites it under an {lock} lock",
     "plain VACUUM (no lock against reads and writes), or an online repack tool, outside the "
     "migrations"},
    {"cluster", DBC_LOP_CLUSTER, 0, 0, DBC_LFACT_LOCKS, true, DBC_LINT_WARNING,
     "CLUSTER of {table} ({rows}) rewrites it under an {lock} lock",
     "an online repack tool outside the migrations, or leave the order to new rows"},
    {"truncate", DBC_LOP_TRUNCATE, 0, 0, DBC_LFACT_NONE, true, DBC_LINT_WARNING,
     "TRUNCATE of {table} ({rows}) deletes every row under an {lock} lock",
     "delete in batches (DELETE ... WHERE id IN (SELECT ... LIMIT 10000)) if the rows must go "
     "while the application runs"},
    {"key-near-limit", ANY, DBC_LF_KEY_NEAR_LIMIT, 0, DBC_LFACT_LOCKS, false, DBC_LINT_WARNING,
     "{what} alters {table}, whose integer primary key is past half its range ({rows}): "
     "changing it later costs a rewrite of the table and of every table referencing it",
     "change the key to bigint now: add a bigint column, fill it in batches, then swap it in "
     "with a short migration"},
    /* engines whose ALTER TABLE only renames, adds and drops columns */
    {"drop-column-used", DBC_LOP_DROP_COLUMN, DBC_LF_COLUMN_USED, 0, DBC_LFACT_ALTER_LIMITED, false,
     DBC_LINT_ERROR,
     "DROP COLUMN {column} of {table} fails: an index, key, constraint, view or trigger uses "
     "it",
     "drop what uses it first, or rebuild the table without it: SELECT "
     "dbmigrate_rebuild_script('{table}', 'CREATE TABLE ...') writes the steps"},
    {"rename-unresolved", DBC_LOP_RENAME_COLUMN, DBC_LF_RENAME_FAILS, 0, DBC_LFACT_ALTER_LIMITED,
     false, DBC_LINT_ERROR,
     "RENAME COLUMN {column} of {table} fails: the rename re-reads every view and trigger, and "
     "one does not resolve ({problem})",
     "fix or drop that view or trigger first (DROP VIEW / DROP TRIGGER, then create it again "
     "as it should be); a table rebuild does not help, its last step is a rename too"},
    {"rename-unresolved", DBC_LOP_RENAME_TABLE, DBC_LF_RENAME_FAILS, 0, DBC_LFACT_ALTER_LIMITED,
     false, DBC_LINT_ERROR,
     "RENAME TO {new} of {table} fails: the rename re-reads every view and trigger, and one "
     "does not resolve ({problem})",
     "fix or drop that view or trigger first (DROP VIEW / DROP TRIGGER, then create it again "
     "as it should be); a table rebuild does not help, its last step is a rename too"},
    {"rename-stale", DBC_LOP_RENAME_TABLE, DBC_LF_RENAME_STALE, 0, DBC_LFACT_ALTER_LIMITED, false,
     DBC_LINT_WARNING,
     "RENAME TO {new} of {table} with legacy_alter_table on leaves {problem} naming {table}: "
     "they fail once it is renamed",
     "set PRAGMA legacy_alter_table = OFF before the migration (the rename then rewrites "
     "them), or drop them first and create them again over {new}"},
    {"alter-unsupported", DBC_LOP_ALTER_CONSTRAINT, 0, 0, DBC_LFACT_ALTER_LIMITED, false,
     DBC_LINT_ERROR, "{what} on {table}: this engine's ALTER TABLE cannot do it (it fails)",
     "rebuild the table: SELECT dbmigrate_rebuild_script('{table}', 'CREATE TABLE ...') "
     "writes the steps (new table, copy, drop, rename, indexes, triggers, views, foreign key "
     "check)" REBUILD_ONLINE},
    {"alter-unsupported", DBC_LOP_ALTER_TYPE, 0, 0, DBC_LFACT_ALTER_LIMITED, false, DBC_LINT_ERROR,
     "{what} on {table}: this engine's ALTER TABLE cannot do it (it fails)",
     "rebuild the table: SELECT dbmigrate_rebuild_script('{table}', 'CREATE TABLE ...') "
     "writes the steps (new table, copy, drop, rename, indexes, triggers, views, foreign key "
     "check)" REBUILD_ONLINE},
    {"alter-unsupported", DBC_LOP_SET_NOT_NULL, 0, 0, DBC_LFACT_ALTER_LIMITED, false,
     DBC_LINT_ERROR, "{what} on {table}: this engine's ALTER TABLE cannot do it (it fails)",
     "rebuild the table: SELECT dbmigrate_rebuild_script('{table}', 'CREATE TABLE ...') "
     "writes the steps" REBUILD_ONLINE},
    {"alter-unsupported", DBC_LOP_ADD_CHECK, 0, 0, DBC_LFACT_ALTER_LIMITED, false, DBC_LINT_ERROR,
     "{what} on {table}: this engine's ALTER TABLE cannot do it (it fails)",
     "rebuild the table: SELECT dbmigrate_rebuild_script('{table}', 'CREATE TABLE ...') "
     "writes the steps" REBUILD_ONLINE},
    {"alter-unsupported", DBC_LOP_ADD_FOREIGN_KEY, 0, 0, DBC_LFACT_ALTER_LIMITED, false,
     DBC_LINT_ERROR, "{what} on {table}: this engine's ALTER TABLE cannot do it (it fails)",
     "rebuild the table: SELECT dbmigrate_rebuild_script('{table}', 'CREATE TABLE ...') "
     "writes the steps" REBUILD_ONLINE},
    {"alter-unsupported", DBC_LOP_ADD_UNIQUE, 0, 0, DBC_LFACT_ALTER_LIMITED, false, DBC_LINT_ERROR,
     "{what} on {table}: this engine's ALTER TABLE cannot do it (it fails)",
     "CREATE UNIQUE INDEX instead, or rebuild the table: SELECT "
     "dbmigrate_rebuild_script('{table}', 'CREATE TABLE ...') writes the steps" REBUILD_ONLINE},
    {"alter-unsupported", DBC_LOP_ALTER_OTHER, 0, 0, DBC_LFACT_ALTER_LIMITED, false, DBC_LINT_ERROR,
     "{what} on {table}: this engine's ALTER TABLE cannot do it (it fails)",
     "rebuild the table: SELECT dbmigrate_rebuild_script('{table}', 'CREATE TABLE ...') "
     "writes the steps" REBUILD_ONLINE},
    {"add-column-unsupported", DBC_LOP_ADD_COLUMN, DBC_LF_ADD_NOT_POSSIBLE, 0,
     DBC_LFACT_ALTER_LIMITED, false, DBC_LINT_ERROR,
     "ADD COLUMN {column} on {table} fails: this engine adds no PRIMARY KEY or UNIQUE column, "
     "no stored generated column, no NOT NULL column without a non-NULL default, and no "
     "column whose default is not a constant",
     "add it without the key (CREATE UNIQUE INDEX afterwards) or with a constant default, or "
     "rebuild the table: SELECT dbmigrate_rebuild_script('{table}', 'CREATE TABLE ...')"},
};

const int dbc_lint_nrules = (int)(sizeof(dbc_lint_rules) / sizeof(dbc_lint_rules[0]));

const char *dbc_lint_severity_name(dbc_lint_severity s)
{
	return s == DBC_LINT_ERROR ? "error" : s == DBC_LINT_WARNING ? "warning" : "info";
}

bool dbc_lint_has_fact(const dbc_ctx *ctx, dbc_lint_fact fact)
{
	const dbc_dialect *d = ctx->host->dialect;
	switch (fact) {
	case DBC_LFACT_NONE:
		return true;
	case DBC_LFACT_CONCURRENT_INDEX:
		return d->concurrently != NULL;
	case DBC_LFACT_NOT_VALID:
		return d->not_valid;
	case DBC_LFACT_UNIQUE_USING_INDEX:
		return d->unique_using_index;
	case DBC_LFACT_LOCKS:
		return d->lint_locks != NULL;
	case DBC_LFACT_FULL_ALTER:
		return !d->alter_limited;
	case DBC_LFACT_ALTER_LIMITED:
		return d->alter_limited;
	}
	return false;
}
