/*
 * test_migrate.c — unit tests of the migration rules that need no engine:
 * version ordering and canonical form, checksum normalisation, script
 * analysis (statements, lines, transaction control), file names, state
 * derivation and planning over an in-memory registry, and the views a
 * table rebuild drops and makes again.
 */
#include "migrate/migrate.h"
#include "migrate/migrate_checksum.h"
#include "migrate/migrate_files.h"
#include "migrate/migrate_model.h"
#include "migrate/migrate_script.h"
#include "migrate/migrate_version.h"
#include "unit.h"

static void test_versions(dbc_ctx *ctx)
{
	char *c;
	CHECK(dbc_version_valid("1") && dbc_version_valid("1.2.10") && dbc_version_valid("1_2") &&
	          dbc_version_valid("20261121093000"),
	      "valid versions");
	CHECK(!dbc_version_valid("") && !dbc_version_valid("1.") && !dbc_version_valid(".1") &&
	          !dbc_version_valid("1..2") && !dbc_version_valid("v1") && !dbc_version_valid("1a") &&
	          !dbc_version_valid("1 2") && !dbc_version_valid(NULL),
	      "invalid versions");
	CHECK(dbc_version_cmp("1.10", "1.9") > 0, "1.10 > 1.9");
	CHECK(dbc_version_cmp("1.0", "1") == 0, "1.0 == 1");
	CHECK(dbc_version_cmp("1_2", "1.2") == 0, "1_2 == 1.2");
	CHECK(dbc_version_cmp("01.002", "1.2") == 0, "leading zeros ignored");
	CHECK(dbc_version_cmp("2", "10") < 0, "2 < 10 (numeric, not text)");
	CHECK(dbc_version_cmp("1.0.1", "1") > 0, "1.0.1 > 1");
	CHECK(dbc_version_cmp("0", "0.0.0") == 0, "zero versions equal");
	CHECK(dbc_version_canonical(ctx, "01_2.0", "version", &c) == DBC_OK, "canonical ok");
	CHECK_STR(c, "1.2", "canonical of 01_2.0");
	dbc_version_canonical(ctx, "0.0", "version", &c);
	CHECK_STR(c, "0", "canonical of 0.0");
	dbc_version_canonical(ctx, "1.0.3", "version", &c);
	CHECK_STR(c, "1.0.3", "inner zero kept");
	/* 1,000-digit versions: compared as digit strings */
	char a[1002], b[1002];
	memset(a, '9', 1000);
	a[1000] = '\0';
	memset(b, '9', 1000);
	b[0] = '1';
	b[1000] = '\0';
	CHECK(dbc_version_cmp(a, b) > 0, "1000-digit compare");
	strcpy(b, "1");
	memset(b + 1, '0', 1000);
	b[1001] = '\0';
	CHECK(dbc_version_cmp(b, a) > 0, "1001 digits > 1000 digits");
	CHECK(dbc_version_canonical(ctx, "1.x", "version", &c) == DBC_ERROR &&
	          strcmp(ctx->sqlstate, "22023") == 0,
	      "invalid version is 22023");
	dbc_error_clear(ctx);
}

static void test_checksums(dbc_ctx *ctx)
{
	char *lf, *crlf, *bom, *trail, *cr, *other, *inner;
	dbc_script_checksum(ctx, "CREATE TABLE t (x int);\nINSERT INTO t VALUES (1);", &lf);
	dbc_script_checksum(ctx, "CREATE TABLE t (x int);\r\nINSERT INTO t VALUES (1);\r\n", &crlf);
	dbc_script_checksum(ctx,
	                    "\xEF\xBB\xBF"
	                    "CREATE TABLE t (x int);\nINSERT INTO t VALUES (1);",
	                    &bom);
	dbc_script_checksum(ctx, "CREATE TABLE t (x int);\nINSERT INTO t VALUES (1);  \n\t\n", &trail);
	dbc_script_checksum(ctx, "CREATE TABLE t (x int);\rINSERT INTO t VALUES (1);", &cr);
	dbc_script_checksum(ctx, "CREATE TABLE t (x int);\nINSERT INTO t VALUES (2);", &other);
	dbc_script_checksum(ctx, "CREATE TABLE t (x int); \nINSERT INTO t VALUES (1);", &inner);
	CHECK(strncmp(lf, "v1:sha256:", 10) == 0 && strlen(lf) == 10 + 64, "checksum carries its tag");
	CHECK_STR(crlf, lf, "CRLF == LF");
	CHECK_STR(bom, lf, "BOM dropped");
	CHECK_STR(trail, lf, "trailing white space dropped");
	CHECK_STR(cr, lf, "lone CR == LF");
	CHECK(strcmp(other, lf) != 0, "content change changes the checksum");
	CHECK(strcmp(inner, lf) != 0, "white space inside a line counts");
	CHECK(dbc_checksum_current(lf) && !dbc_checksum_current("v0:md5:abc"),
	      "algorithm tag recognised");
	CHECK_STR(dbc_script_normalise(ctx, "a\r\nb\r\n  "), "a\nb", "normalise");
}

static dbc_script_info analyse(dbc_ctx *ctx, const dbc_dialect *d, const char *sql)
{
	dbc_script_info info;
	dbc_script_analyse(ctx, d, sql, &info);
	return info;
}

static void test_scripts(dbc_ctx *ctx)
{
	dbc_script_info i;
	i = analyse(ctx, &sqldbc_dialect,
	            "CREATE TABLE a(x);\n\n-- comment; with semicolon\nINSERT INTO a VALUES ('x;y');\n"
	            "/* block ; */ INSERT INTO a VALUES (2)");
	CHECK(i.nstmts == 3, "three statements");
	CHECK(i.nstmts == 3 && i.stmts[0].line == 1 && i.stmts[1].line == 4 && i.stmts[2].line == 5,
	      "statement lines");
	CHECK(i.problem == DBC_STMT_OK && !i.ends_with_semicolon, "no problem, no final semicolon");

	i = analyse(ctx, &sqldbc_dialect, "CREATE TABLE a(x);\nCOMMIT;");
	CHECK(i.problem == DBC_STMT_TX_CONTROL && i.problem_line == 2, "COMMIT found at line 2");
	i = analyse(ctx, &sqldbc_dialect, "begin transaction; create table a(x);");
	CHECK(i.problem == DBC_STMT_TX_CONTROL && strcmp(i.problem_what, "BEGIN") == 0, "BEGIN found");
	i = analyse(ctx, &sqldbc_dialect, "END;");
	CHECK(i.problem == DBC_STMT_TX_CONTROL, "END found");
	i = analyse(ctx, &sqldbc_dialect, "ROLLBACK;");
	CHECK(i.problem == DBC_STMT_TX_CONTROL, "ROLLBACK found");
	i = analyse(ctx, &sqldbc_dialect, "RELEASE dbcare_sp_1;");
	CHECK(i.problem == DBC_STMT_TX_CONTROL, "RELEASE of dbcare's savepoint found");
	i = analyse(ctx, &sqldbc_dialect,
	            "SAVEPOINT mine; INSERT INTO a VALUES (1); ROLLBACK TO mine; RELEASE mine;");
	CHECK(i.problem == DBC_STMT_OK && i.nstmts == 4,
	      "the script's own savepoints are fine on SQLite");
	i = analyse(ctx, &pgdbc_dialect, "SAVEPOINT mine;");
	CHECK(i.problem == DBC_STMT_SAVEPOINT, "savepoints refused on PostgreSQL");
	i = analyse(ctx, &sqldbc_dialect,
	            "CREATE TRIGGER trg AFTER INSERT ON a BEGIN\n"
	            "  UPDATE b SET n = CASE WHEN n IS NULL THEN 1 ELSE n + 1 END;\n"
	            "  INSERT INTO log VALUES ('end;');\nEND;\nCREATE TABLE c(x);");
	CHECK(i.problem == DBC_STMT_OK && i.nstmts == 2 && i.stmts[1].line == 5,
	      "trigger body with BEGIN ... END and CASE is one statement");
	i = analyse(ctx, &sqldbc_dialect,
	            "CREATE TABLE \"begin\"(x); INSERT INTO [commit] VALUES (1); SELECT `end`;");
	CHECK(i.problem == DBC_STMT_OK && i.nstmts == 3, "quoted identifiers are not keywords");
	i = analyse(ctx, &sqldbc_dialect, "VACUUM;");
	CHECK(i.problem == DBC_STMT_NEEDS_NO_TX, "VACUUM needs no-transaction");
	i = analyse(
	    ctx, &pgdbc_dialect,
	    "CREATE FUNCTION f() RETURNS int AS $body$ BEGIN; COMMIT; END $body$ LANGUAGE plpgsql;\n"
	    "DO $$ BEGIN PERFORM 1; END $$;\nSELECT E'it\\'s; COMMIT';\n"
	    "CREATE FUNCTION g() RETURNS int BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; "
	    "END;\n"
	    "SELECT $1::int;");
	CHECK(i.problem == DBC_STMT_OK && i.nstmts == 5,
	      "dollar quotes, E strings and BEGIN ATOMIC skipped");
	i = analyse(ctx, &pgdbc_dialect,
	            "/* nested /* comment; */ still; */ CREATE INDEX CONCURRENTLY i ON t (x);");
	CHECK(i.problem == DBC_STMT_NEEDS_NO_TX && i.nstmts == 1,
	      "nested comments; CONCURRENTLY detected");
	i = analyse(ctx, &pgdbc_dialect, "START TRANSACTION;");
	CHECK(i.problem == DBC_STMT_TX_CONTROL, "START TRANSACTION found");
	i = analyse(ctx, &pgdbc_dialect,
	            "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO u VALUES (1); INSERT INTO u "
	            "VALUES (2));");
	CHECK(i.nstmts == 1, "parenthesised rule actions are one statement");
	i = analyse(ctx, &pgdbc_dialect,
	            "-- dbcare:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);");
	CHECK(i.no_transaction, "no-transaction marker");
	CHECK(dbc_script_check(ctx, &i, "1 (x)", "55000") == DBC_OK,
	      "no-transaction scripts are not refused");
	CHECK(!dbc_script_is_no_transaction("\n-- dbcare:no-transaction"),
	      "marker only on the first line");
	i = analyse(ctx, &sqldbc_dialect, "COMMIT;");
	CHECK(dbc_script_check(ctx, &i, "1 (x)", "55000") == DBC_ERROR &&
	          strstr(ctx->message, "COMMIT at line 1"),
	      "tx control error names statement and line");
	dbc_error_clear(ctx);
}

static void test_filenames(dbc_ctx *ctx)
{
	dbc_migrate_file f;
	const char *why;
	CHECK(dbc_migrate_parse_filename(ctx, &sqldbc_dialect, "V1_2__create_users.sql", &f, &why) &&
	          f.kind == DBC_FILE_UP && strcmp(f.version, "1_2") == 0 &&
	          strcmp(f.name, "create users") == 0,
	      "Flyway versioned");
	CHECK(dbc_migrate_parse_filename(ctx, &sqldbc_dialect, "U3__drop.sql", &f, &why) &&
	          f.kind == DBC_FILE_DOWN,
	      "Flyway undo");
	CHECK(
	    dbc_migrate_parse_filename(ctx, &sqldbc_dialect, "R__views_and_functions.sql", &f, &why) &&
	        f.kind == DBC_FILE_REPEATABLE && strcmp(f.name, "views and functions") == 0,
	    "Flyway repeatable");
	CHECK(dbc_migrate_parse_filename(ctx, &sqldbc_dialect, "20261121093000_add_orders.up.sql", &f,
	                                 &why) &&
	          f.kind == DBC_FILE_UP && strcmp(f.version, "20261121093000") == 0 &&
	          strcmp(f.name, "add orders") == 0,
	      "golang-migrate up");
	CHECK(dbc_migrate_parse_filename(ctx, &sqldbc_dialect, "2_x.down.sql", &f, &why) &&
	          f.kind == DBC_FILE_DOWN,
	      "golang-migrate down");
	CHECK(!dbc_migrate_parse_filename(ctx, &sqldbc_dialect, "create_users.sql", &f, &why),
	      "no pattern");
	CHECK(!dbc_migrate_parse_filename(ctx, &sqldbc_dialect, "V1_create.sql", &f, &why),
	      "single underscore is no Flyway name");
	CHECK(!dbc_migrate_parse_filename(ctx, &sqldbc_dialect, "Vx__a.sql", &f, &why), "bad version");
	CHECK(!dbc_migrate_parse_filename(ctx, &sqldbc_dialect, "V1__.sql", &f, &why), "empty name");
	CHECK(dbc_migrate_parse_filename(ctx, &sqldbc_dialect, "20240101_add_x.sql", &f, &why) &&
	          f.layout == DBC_LAYOUT_DBMATE && f.kind == DBC_FILE_UP &&
	          strcmp(f.version, "20240101") == 0 && strcmp(f.name, "add x") == 0,
	      "a name without up/down is dbmate's (both directions in the file)");
	CHECK(!dbc_migrate_parse_filename(ctx, &sqldbc_dialect, "1_.sql", &f, &why),
	      "dbmate name without a name");
	CHECK(dbc_migrate_parse_filename(ctx, &sqldbc_dialect, "V1__init.SQL", &f, &why) &&
	          strcmp(f.name, "init") == 0,
	      "the .sql suffix in any letter case (Flyway runs V1__init.SQL)");
	CHECK(dbc_migrate_parse_filename(ctx, &sqldbc_dialect, "7_x.UP.Sql", &f, &why) &&
	          f.kind == DBC_FILE_UP,
	      "the .up.sql suffix in any letter case");
	CHECK(dbc_migrate_parse_filename(ctx, &sqldbc_dialect, "afterMigrate.sql", &f, &why) ==
	          DBC_NAME_CALLBACK,
	      "a Flyway callback");
	CHECK(dbc_migrate_parse_filename(ctx, &sqldbc_dialect, "beforeEachMigrate__log_it.sql", &f,
	                                 &why) == DBC_NAME_CALLBACK,
	      "a Flyway callback with a description");
	CHECK(!dbc_migrate_parse_filename(ctx, &sqldbc_dialect, "aftermath.sql", &f, &why),
	      "no callback");
	CHECK(dbc_migrate_parse_filename(ctx, &sqldbc_dialect, "3_users.sqlite3.up.sql", &f, &why) ==
	              DBC_NAME_MIGRATION &&
	          f.engine_specific && strcmp(f.name, "users") == 0,
	      "this engine's infix (popx)");
	CHECK(dbc_migrate_parse_filename(ctx, &sqldbc_dialect, "3_users.postgres.up.sql", &f, &why) ==
	          DBC_NAME_OTHER_ENGINE,
	      "another engine's infix");
	CHECK(dbc_migrate_parse_filename(ctx, &pgdbc_dialect, "3_users.postgres.down.sql", &f, &why) ==
	              DBC_NAME_MIGRATION &&
	          f.engine_specific && f.kind == DBC_FILE_DOWN,
	      "this engine's infix on PostgreSQL");
	CHECK(dbc_migrate_parse_filename(ctx, &sqldbc_dialect, "3_v1.2.up.sql", &f, &why) &&
	          !f.engine_specific && strcmp(f.name, "v1.2") == 0,
	      "a dot that is no engine infix stays in the name");
	CHECK(!dbc_migrate_parse_filename(ctx, &sqldbc_dialect, "3_.sqlite3.up.sql", &f, &why),
	      "no name before the infix");
	CHECK(dbc_migrate_parse_diesel(ctx, "2017-04-27-185017_create_users", "up.sql", &f, &why) &&
	          strcmp(f.version, "20170427185017") == 0 && strcmp(f.name, "create users") == 0 &&
	          strcmp(f.file, "2017-04-27-185017_create_users/up.sql") == 0,
	      "a diesel directory");
	CHECK(!dbc_migrate_diesel_dirname("create_users") && !dbc_migrate_diesel_dirname("1_x.d") &&
	          !dbc_migrate_diesel_dirname("1_") &&
	          dbc_migrate_diesel_dirname("00000000000000_setup"),
	      "diesel directory names");
}

static dbc_migration reg(const char *v, const char *name, const char *sum, bool down)
{
	dbc_migration m = {0};
	m.repeatable = v == NULL;
	m.version = (char *)v;
	m.version_text = (char *)v;
	m.name = (char *)name;
	m.checksum = (char *)sum;
	m.has_down = down;
	return m;
}

static dbc_applied app(const char *kind, const char *v, const char *name, const char *sum)
{
	dbc_applied a = {0};
	a.kind = (char *)kind;
	a.version = (char *)v;
	a.name = (char *)name;
	a.checksum = (char *)sum;
	return a;
}

static void test_states(dbc_ctx *ctx)
{
	dbc_migrate_set set;
	dbc_migrate_derived st;
	memset(&set, 0, sizeof(set));
	/* registered in scrambled order on purpose */
	dbc_migration m[] = {
	    reg("1.10", "ten", "v1:sha256:10", true), reg("2", "two", "v1:sha256:2", false),
	    reg("1.9", "nine", "v1:sha256:9", true),  reg("1.5", "late", "v1:sha256:5", true),
	    reg("1", "one", "v1:sha256:1x", true),    reg(NULL, "view", "v1:sha256:v2", false),
	    reg(NULL, "seed", "v1:sha256:s", false),  reg("3", "three", "v1:sha256:3", true)};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		dbc_migrate_set_add(ctx, &set, &m[i]);
	dbc_applied a[] = {app("versioned", "1", "one", "v1:sha256:1"),
	                   app("versioned", "1.9", "nine", "v1:sha256:9"),
	                   app("versioned", "1.10", "ten", "v1:sha256:10"),
	                   app("versioned", "1.20", "gone", "v1:sha256:20"),
	                   app("repeatable", NULL, "view", "v1:sha256:v1")};
	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++)
		dbc_migrate_set_add_applied(ctx, &set, &a[i]);
	CHECK(dbc_migrate_derive(ctx, &set, &st) == DBC_OK && st.nrows == 9, "derive: 9 rows");
	const char *want[][2] = {{"1", "changed"},    {"1.5", "out_of_order"}, {"1.9", "applied"},
	                         {"1.10", "applied"}, {"1.20", "missing"},     {"2", "pending"},
	                         {"3", "pending"},    {"seed", "pending"},     {"view", "outdated"}};
	bool ok = st.nrows == 9;
	for (int i = 0; ok && i < 9; i++) {
		const char *key = dbc_migrate_row_version(&st.rows[i])
		                      ? dbc_migrate_row_version(&st.rows[i])
		                      : dbc_migrate_row_name(&st.rows[i]);
		if (strcmp(key, want[i][0]) ||
		    strcmp(dbc_migrate_state_name(st.rows[i].state), want[i][1])) {
			printf("# row %d: %s %s\n", i, key, dbc_migrate_state_name(st.rows[i].state));
			ok = false;
		}
	}
	CHECK(ok, "states and apply order");
	CHECK_STR(st.current, "1.20", "current is the highest applied");
	CHECK(dbc_migrate_check_applicable(ctx, &set, &st, false) == DBC_ERROR &&
	          strstr(ctx->detail, "1 (one)") && strstr(ctx->detail, "1.20 (gone)"),
	      "changed and missing block apply, listed in detail");
	dbc_error_clear(ctx);

	/* repair the registry in memory: now only out-of-order remains */
	set.migs[0].checksum = "v1:sha256:1"; /* sorted: "1" is first */
	dbc_migration one = reg("1.20", "gone", "v1:sha256:20", false);
	dbc_migrate_set_add(ctx, &set, &one);
	dbc_migrate_derive(ctx, &set, &st);
	CHECK(dbc_migrate_check_applicable(ctx, &set, &st, false) == DBC_ERROR &&
	          strstr(ctx->message, "older than the current version 1.20"),
	      "out-of-order refused by default");
	dbc_error_clear(ctx);
	CHECK(dbc_migrate_check_applicable(ctx, &set, &st, true) == DBC_OK,
	      "out-of-order allowed by setting");

	dbc_migrate_row **plan;
	int n;
	dbc_migrate_plan_up(ctx, &st, NULL, false, &plan, &n);
	CHECK(n == 4 && strcmp(plan[0]->mig->version, "2") == 0 &&
	          strcmp(plan[1]->mig->version, "3") == 0 && strcmp(plan[2]->mig->name, "seed") == 0 &&
	          strcmp(plan[3]->mig->name, "view") == 0,
	      "plan: versioned in order, then repeatables");
	dbc_migrate_plan_up(ctx, &st, "2.0", true, &plan, &n);
	CHECK(n == 4 && strcmp(plan[0]->mig->version, "1.5") == 0 &&
	          strcmp(plan[1]->mig->version, "2") == 0,
	      "plan with target and out-of-order allowed");

	/* rollback planning: 1.20 has no down script */
	CHECK(dbc_migrate_plan_down(ctx, &st, NULL, &plan, &n) == DBC_ERROR &&
	          strstr(ctx->detail, "no down script"),
	      "rollback refuses a missing down script before running anything");
	dbc_error_clear(ctx);
	CHECK(dbc_migrate_plan_down(ctx, &st, "1.9", &plan, &n) == DBC_ERROR &&
	          strstr(ctx->message, "1 of the 2"),
	      "rollback to a target checks every step");
	dbc_error_clear(ctx);
	set.migs[set.nmigs - 1].has_down = true;
	for (int i = 0; i < set.nmigs; i++)
		if (set.migs[i].version && strcmp(set.migs[i].version, "1.20") == 0)
			set.migs[i].has_down = true;
	dbc_migrate_derive(ctx, &set, &st);
	CHECK(dbc_migrate_plan_down(ctx, &st, "1.9", &plan, &n) == DBC_OK && n == 2 &&
	          strcmp(plan[0]->mig->version, "1.20") == 0 &&
	          strcmp(plan[1]->mig->version, "1.10") == 0,
	      "rollback newest first down to the target");

	/* a baseline marker is applied, never missing, and cannot be rolled back */
	dbc_migrate_set b;
	memset(&b, 0, sizeof(b));
	dbc_applied marker = app("baseline", "5", "<< baseline >>", NULL);
	dbc_migrate_set_add_applied(ctx, &b, &marker);
	dbc_migration six = reg("6", "six", "v1:sha256:6", true);
	dbc_migrate_set_add(ctx, &b, &six);
	dbc_migrate_derive(ctx, &b, &st);
	CHECK(st.nrows == 2 && st.rows[0].state == DBC_MS_APPLIED &&
	          st.rows[1].state == DBC_MS_PENDING && strcmp(st.current, "5") == 0,
	      "baseline marker");
	CHECK(dbc_migrate_plan_down(ctx, &st, NULL, &plan, &n) == DBC_ERROR,
	      "baseline cannot be rolled back");
	dbc_error_clear(ctx);
}

static void test_many(dbc_ctx *ctx)
{
	/* 10,000 applied + 10,000 registered derive in one sort and merge */
	dbc_migrate_set set;
	dbc_migrate_derived st;
	memset(&set, 0, sizeof(set));
	for (int i = 10000; i >= 1; i--) {
		char *v = dbc_printf(ctx, "%d", i);
		dbc_migration m = reg(v, "m", "v1:sha256:x", false);
		dbc_applied a = app("versioned", v, "m", "v1:sha256:x");
		dbc_migrate_set_add(ctx, &set, &m);
		dbc_migrate_set_add_applied(ctx, &set, &a);
	}
	CHECK(dbc_migrate_derive(ctx, &set, &st) == DBC_OK && st.napplied == 10000 &&
	          strcmp(st.current, "10000") == 0,
	      "10,000 migrations derive");
}

/* The folder reader dbmigrate_load and the dbcare command share runs without
 * a database: a host with no engine (its query fails) reads and checks a
 * whole folder, and collects the bad files of another without raising. */
static void test_read_dir(dbc_ctx *ctx)
{
	dbc_migrate_dir dir;
	CHECK(dbc_migrate_read_dir(ctx, &sqldbc_dialect, "test/fixtures/migrations/flyway", &dir) ==
	              DBC_OK &&
	          dir.nbad == 0 && dir.n == 7 && dbc_migrate_dir_refuse(ctx, &dir, "flyway") == DBC_OK,
	      "read_dir: a Flyway folder without a database");
	CHECK(dir.n == 7 && strcmp(dir.files[0].version, "1") == 0 &&
	          dir.files[0].kind == DBC_FILE_UP && dbc_migrate_dir_down(&dir, 0) == &dir.files[1] &&
	          dir.files[6].kind == DBC_FILE_REPEATABLE && dbc_migrate_dir_down(&dir, 6) == NULL &&
	          strncmp(dir.files[0].checksum, "v1:sha256:", 10) == 0,
	      "read_dir: sorted, paired, checksummed");
	CHECK(dbc_migrate_read_dir(ctx, &sqldbc_dialect, "test/fixtures/migrations/bad", &dir) ==
	              DBC_OK &&
	          dir.nbad == 4 && dbc_migrate_dir_refuse(ctx, &dir, "bad") == DBC_ERROR &&
	          strstr(ctx->message, "4 migration file(s) in \"bad\" cannot be registered") &&
	          strstr(ctx->detail, "notes.sql: matches none of the accepted layouts"),
	      "read_dir: bad files collected, raised in one error");
	dbc_error_clear(ctx);
	CHECK(dbc_migrate_read_dir(ctx, &sqldbc_dialect, "test/fixtures/migrations/none", &dir) ==
	          DBC_ERROR,
	      "read_dir: a missing folder");
	dbc_error_clear(ctx);
}

/* The command's reader: the same files, order, pairing and checks, and no
 * checksum (the extension computes its own from each script). */
static void test_read_dir_unhashed(dbc_ctx *ctx)
{
	dbc_migrate_dir hashed, plain;
	CHECK(dbc_migrate_read_dir(ctx, &sqldbc_dialect, "test/fixtures/migrations/flyway", &hashed) ==
	              DBC_OK &&
	          dbc_migrate_read_dir_unhashed(ctx, &sqldbc_dialect, "test/fixtures/migrations/flyway",
	                                        &plain) == DBC_OK &&
	          plain.nbad == 0 && plain.n == hashed.n,
	      "read_dir_unhashed: the same Flyway folder");
	bool same = plain.n == hashed.n;
	for (int i = 0; same && i < plain.n; i++)
		same = plain.files[i].kind == hashed.files[i].kind &&
		       strcmp(plain.files[i].script, hashed.files[i].script) == 0 &&
		       plain.files[i].no_transaction == hashed.files[i].no_transaction &&
		       plain.files[i].checksum == NULL && hashed.files[i].checksum != NULL;
	CHECK(same, "read_dir_unhashed: same scripts in the same order, no checksum");
	CHECK(dbc_migrate_read_dir_unhashed(ctx, &sqldbc_dialect, "test/fixtures/migrations/bad",
	                                    &plain) == DBC_OK &&
	          plain.nbad == 4 && dbc_migrate_dir_refuse(ctx, &plain, "bad") == DBC_ERROR &&
	          strstr(ctx->detail, "notes.sql: matches none of the accepted layouts"),
	      "read_dir_unhashed: bad files refused as by read_dir");
	dbc_error_clear(ctx);
}

/* The apply's lint gate and its run share one analysis per script; a
 * migration given another script (a copy reused) is analysed afresh. */
static void test_script_info_once(dbc_ctx *ctx)
{
	dbc_migration m = {.script = dbc_strdup(ctx, "CREATE TABLE a (x);\nCREATE INDEX i ON a (x);")};
	const dbc_script_info *first = NULL, *again = NULL, *other = NULL;
	CHECK(dbc_migrate_script_info(ctx, &m, &first) == DBC_OK && first && first->nstmts == 2 &&
	          dbc_migrate_script_info(ctx, &m, &again) == DBC_OK && again == first,
	      "script_info: analysed once, the same analysis handed out again");
	dbc_migration copy = m;
	copy.script = dbc_strdup(ctx, "DROP TABLE a;");
	CHECK(dbc_migrate_script_info(ctx, &copy, &other) == DBC_OK && other != first &&
	          other->nstmts == 1 && first->nstmts == 2,
	      "script_info: another script is analysed afresh");
}

/* The live schema of the rebuild test: orders, and views that name it
 * plainly, inside a dollar-quoted body (pg_dump's form: the quote's tag
 * touches the name), or not at all. */
static int rebuild_schema(dbc_ctx *ctx, dbc_schema *s)
{
	static const char *const views[][2] = {
	    {"v_plain", "CREATE VIEW v_plain AS SELECT id FROM orders"},
	    {"v_dollar", "CREATE VIEW v_dollar AS SELECT run($$SELECT id FROM orders$$) AS n"},
	    {"v_other", "CREATE VIEW v_other AS SELECT id FROM orders_archive"},
	};
	dbc_table *t = dbc_schema_add_table(s, NULL, "orders");
	if (!t || !dbc_table_add_column(ctx, t, "id") || !dbc_table_add_column(ctx, t, "total"))
		return DBC_ERROR;
	for (size_t i = 0; i < sizeof views / sizeof views[0]; i++) {
		dbc_object *o = dbc_schema_add_object(s, "view", NULL, views[i][0]);
		if (!o || !(o->definition = dbc_strdup(ctx, views[i][1])))
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* The rebuild drops every view naming the table and makes it again, by
 * the generator's token rule: a name inside a dollar quote counts. */
static void test_rebuild_views(void)
{
	dbc_host host = unit_host;
	host.read_schema = rebuild_schema;
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &host, NULL);
	char *script = NULL;
	int rc = dbc_migrate_rebuild_script(
	    &ctx, NULL, "orders", "CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL NOT NULL)",
	    &script);
	CHECK(rc == DBC_OK && script, "rebuild: a script for orders");
	script = script ? script : "";
	CHECK(strstr(script, "DROP VIEW \"v_plain\";") &&
	          strstr(script, "CREATE VIEW v_plain AS SELECT id FROM orders;"),
	      "rebuild: a view naming the table dropped and made again");
	CHECK(strstr(script, "DROP VIEW \"v_dollar\";") &&
	          strstr(script, "SELECT run($$SELECT id FROM orders$$) AS n;"),
	      "rebuild: a view naming the table inside a dollar quote too");
	CHECK(!strstr(script, "v_other"), "rebuild: a view of another table left alone");
	dbc_ctx_finish(&ctx);
}

int main(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	test_versions(&ctx);
	test_checksums(&ctx);
	test_scripts(&ctx);
	test_filenames(&ctx);
	test_states(&ctx);
	test_many(&ctx);
	test_read_dir(&ctx);
	test_read_dir_unhashed(&ctx);
	test_script_info_once(&ctx);
	test_rebuild_views();
	dbc_ctx_finish(&ctx);
	return unit_done();
}
