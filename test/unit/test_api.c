/*
 * test_api.c — the API table (core/api/functions.h): every entry passes the
 * consistency check the generator builds with, entries that break a rule are
 * refused with the rule, and the derived answers (SQLite argument counts,
 * the read-only VOLATILE functions pg/host/readonly.c lets run on a standby) are
 * the ones the engines had before the table.
 */
#include "api/api.h"
#include "unit.h"

#include <string.h>

int main(void)
{
	int bad = 0;
	for (int i = 0; i < DBC_API_NFUNCTIONS; i++) {
		const char *why = dbc_api_check(&dbc_api_functions[i]);
		if (why) {
			printf("#   %s: %s\n", dbc_api_functions[i].id, why);
			bad++;
		}
	}
	CHECK(bad == 0, "every entry of the table is consistent");
	CHECK_STR(dbc_api_functions[DBC_API_dbmigrate_script_direction].name, "dbmigrate_script",
	          "two signatures of one name have two ids");

	/* rules the generator refuses to build on */
	dbc_api_fn f = dbc_api_functions[DBC_API_dbhealth_growth]; /* STABLE, one defaulted arg */
	f.id = "test_read_only";
	f.flags |= DBC_API_READ_ONLY;
	f.flags &= ~DBC_API_MONITOR;
	CHECK_STR(dbc_api_check(&f), "only a VOLATILE function can be marked read-only",
	          "read-only needs VOLATILE");
	f = dbc_api_functions[DBC_API_dbmigrate_add];
	f.id = "test_order";
	dbc_api_column args[2] = {DBC_OPT("a", DBC_T_TEXT, "NULL"), DBC_ARG("b", DBC_T_TEXT)};
	f.args = args;
	f.nargs = 2;
	f.name = "test_order";
	CHECK_STR(dbc_api_check(&f), "an argument without a default follows one with a default",
	          "defaults only trailing");
	f = dbc_api_functions[DBC_API_dbmigrate_script];
	f.id = "test_overlap";
	CHECK_STR(dbc_api_check(&f),
	          "two SQLite signatures of one name take the same number of arguments",
	          "SQLite signatures of one name must differ in argument count");
	f = dbc_api_functions[DBC_API_dbcheck_relations];
	f.id = "test_pure_table";
	f.flags |= DBC_API_PURE;
	f.volatility = DBC_IMMUTABLE;
	CHECK_STR(dbc_api_check(&f), "only a scalar SQLite function can be pure",
	          "a virtual table is never pure");
	f = dbc_api_functions[DBC_API_dbcare_get];
	f.id = "test_generic_time";
	f.returns = DBC_T_TIMESTAMPTZ;
	CHECK_STR(dbc_api_check(&f),
	          "a CORE_SCALAR function returns text, jsonb, integer, bigint, double precision "
	          "or boolean",
	          "the generic glue encodes only the types it knows");
	f = dbc_api_functions[DBC_API_dbmigrate_trace];
	f.id = "test_rule_glue";
	dbc_api_column ruled[1] = {DBC_ARG_R("n", DBC_T_INT8, DBC_RULE_POSITIVE)};
	f.args = ruled;
	f.nargs = 1;
	CHECK_STR(dbc_api_check(&f), "argument rules are checked by the generic glue only",
	          "a rule on a function with its own glue would not be checked");
	f = dbc_api_functions[DBC_API_dbretain_apply];
	f.id = "test_rule_type";
	dbc_api_column text_rule[1] = {DBC_OPT_R("s", DBC_T_TEXT, "NULL", DBC_RULE_POSITIVE)};
	f.args = text_rule;
	f.nargs = 1;
	CHECK_STR(dbc_api_check(&f), "only an integer argument can be positive or not negative",
	          "a numeric rule on a text argument is refused");

	/* dbc_api_args: one error text per rule, the same for both engines */
	dbc_ctx ctx;
	/* out holds every argument a function takes (dbhealth_report: 3) */
	dbc_value raw[DBC_API_MAX_ARGS], out[DBC_API_MAX_ARGS];
	const dbc_api_fn *apply = &dbc_api_functions[DBC_API_dbretain_apply];
	dbc_ctx_init(&ctx, &unit_host, NULL);
	raw[0] = dbc_null();
	raw[1] = dbc_int(0);
	CHECK(dbc_api_args(&ctx, apply, DBC_API_FIRST(2), raw, out) == DBC_ERROR &&
	          strcmp(ctx.message, "argument \"max_rows\" must be a positive integer") == 0 &&
	          strcmp(ctx.sqlstate, DBC_SQLSTATE_BAD_ARGUMENT) == 0,
	      "dbretain_apply: max_rows 0 breaks DBC_RULE_POSITIVE, with its one text");
	dbc_ctx_finish(&ctx);
	dbc_ctx_init(&ctx, &unit_host, NULL);
	raw[1] = dbc_text("12");
	CHECK(dbc_api_args(&ctx, apply, DBC_API_FIRST(2), raw, out) == DBC_OK &&
	          out[0].type == DBC_NULL && out[1].type == DBC_INT && out[1].i == 12,
	      "a NULL whose default is NULL stays NULL; an integer given as text is read");
	raw[1] = dbc_text("x");
	CHECK(dbc_api_args(&ctx, apply, DBC_API_FIRST(2), raw, out) == DBC_ERROR &&
	          strcmp(ctx.message, "argument \"max_rows\" must be an integer") == 0,
	      "a bigint argument given as other text: must be an integer");
	dbc_ctx_finish(&ctx);
	dbc_ctx_init(&ctx, &unit_host, NULL);
	CHECK(dbc_api_args(&ctx, apply, 0, raw, out) == DBC_OK && out[0].type == DBC_NULL &&
	          out[1].type == DBC_NULL,
	      "arguments left out get their defaults");
	const dbc_api_fn *report = &dbc_api_functions[DBC_API_dbhealth_report];
	raw[0] = dbc_null();
	CHECK(dbc_api_args(&ctx, report, DBC_API_FIRST(1), raw, out) == DBC_OK &&
	          out[0].type == DBC_TEXT && strcmp(out[0].s, "standard") == 0,
	      "DBC_RULE_NULL_IS_DEFAULT: a NULL mode is 'standard'");
	const dbc_api_fn *enable = &dbc_api_functions[DBC_API_dbsoftdelete_enable];
	raw[0] = dbc_text("t");
	raw[1] = dbc_null();
	CHECK(dbc_api_args(&ctx, enable, DBC_API_FIRST(2), raw, out) == DBC_ERROR &&
	          strcmp(ctx.message, "argument \"column\" must not be NULL") == 0,
	      "a NULL for an argument whose default is not NULL names it");
	dbc_ctx_finish(&ctx);
	dbc_ctx_init(&ctx, &unit_host, NULL);
	const dbc_api_fn *script = &dbc_api_functions[DBC_API_dbmigrate_script_direction];
	raw[0] = dbc_text("rollback");
	raw[1] = dbc_null();
	CHECK(dbc_api_args(&ctx, script, DBC_API_FIRST(2), raw, out) == DBC_OK &&
	          out[1].type == DBC_NULL,
	      "DBC_RULE_NULL_OK: dbmigrate_script(direction, NULL) passes the NULL target");
	raw[0] = dbc_null();
	CHECK(dbc_api_args(&ctx, script, DBC_API_FIRST(2), raw, out) == DBC_ERROR &&
	          strcmp(ctx.message, "argument \"direction\" must not be NULL") == 0,
	      "a NULL direction, without the rule, names it");
	dbc_ctx_finish(&ctx);

	/* derived answers */
	CHECK(dbc_api_required_args(&dbc_api_functions[DBC_API_dbmigrate_add]) == 3 &&
	          dbc_api_functions[DBC_API_dbmigrate_add].nargs == 4,
	      "dbmigrate_add: 3 or 4 arguments on SQLite");
	/* dbmigrate_assert: its VOLATILE signature (with a bookmark) is
	 * read-only, its STABLE one writes nothing either */
	const char *read_only[] = {"dbcheck_constraints", "dbcheck_orphans",   "dbhealth_checks",
	                           "dbhealth_gauges",     "dbhealth_metrics",  "dbhealth_queries",
	                           "dbhealth_report",     "dbhealth_samples",  "dbhealth_score",
	                           "dbmaintain_plan",     "dbmigrate_pending", "dbmigrate_assert",
	                           "dbmigrate_bookmark",  "dbmigrate_wait"};
	int nread_only = 0;
	for (int i = 0; i < DBC_API_NFUNCTIONS; i++)
		nread_only += (dbc_api_functions[i].flags & DBC_API_READ_ONLY) != 0;
	bool all = nread_only == 14;
	for (int i = 0; i < 14; i++)
		all = all && dbc_api_read_only_volatile(read_only[i]);
	CHECK(all, "the fourteen read-only VOLATILE functions, and no other");
	CHECK(!dbc_api_read_only_volatile("dbhealth_snapshot") &&
	          !dbc_api_read_only_volatile("dbmaintain_run") &&
	          !dbc_api_read_only_volatile("dbmigrate_apply") &&
	          !dbc_api_read_only_volatile("no_such_function"),
	      "writers and unknown names are not read-only");
	return unit_done();
}
