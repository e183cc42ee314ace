/*
 * test_api.c — the API table (core/api/functions.h): every entry passes the
 * consistency check the generator builds with, entries that break a rule are
 * refused with the rule, and the derived answers (SQLite argument counts,
 * the read-only VOLATILE functions pg/readonly.c lets run on a standby) are
 * the ones the engines had before the table.
 */
#include "api/api.h"
#include "unit.h"

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
	f.id = "test_generic_json";
	f.returns = DBC_T_JSONB;
	CHECK_STR(dbc_api_check(&f), "a CORE_SCALAR function returns text, integer, bigint or boolean",
	          "the generic glue encodes only simple types");

	f = dbc_api_functions[DBC_API_dbcare_settings];
	f.id = "test_table_args";
	f.args = args + 1;
	f.nargs = 1;
	CHECK_STR(dbc_api_check(&f), "a CORE_TABLE function takes no arguments",
	          "the generic table glue passes no arguments");

	/* derived answers */
	CHECK(dbc_api_required_args(&dbc_api_functions[DBC_API_dbmigrate_add]) == 3 &&
	          dbc_api_functions[DBC_API_dbmigrate_add].nargs == 4,
	      "dbmigrate_add: 3 or 4 arguments on SQLite");
	const char *read_only[] = {"dbcheck_constraints", "dbcheck_orphans", "dbhealth_checks",
	                           "dbhealth_metrics",    "dbhealth_report", "dbhealth_score",
	                           "dbmaintain_plan"};
	int nread_only = 0;
	for (int i = 0; i < DBC_API_NFUNCTIONS; i++)
		nread_only += (dbc_api_functions[i].flags & DBC_API_READ_ONLY) != 0;
	bool all = nread_only == 7;
	for (int i = 0; i < 7; i++)
		all = all && dbc_api_read_only_volatile(read_only[i]);
	CHECK(all, "the seven read-only VOLATILE functions, and no other");
	CHECK(!dbc_api_read_only_volatile("dbhealth_snapshot") &&
	          !dbc_api_read_only_volatile("dbmaintain_run") &&
	          !dbc_api_read_only_volatile("dbmigrate_apply") &&
	          !dbc_api_read_only_volatile("no_such_function"),
	      "writers and unknown names are not read-only");
	return unit_done();
}
