/*
 * test_health_catalog.c — the health check catalogue is complete and indexed
 * by check id (designated initialisers leave a forgotten row zeroed: caught
 * here), names are unique and found again by name, and a check an engine
 * claims but does not gather is that check's "error" row, never a silent skip.
 */
#include "health/health.h"
#include "unit.h"

static int gathered;

static int ok_gather(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                     dbc_health_fact *fact)
{
	(void)ctx, (void)eng, (void)mode, (void)fact;
	gathered++;
	return DBC_OK;
}

static const dbc_health_result *result_of(const dbc_health_report *r, dbc_health_check_id id)
{
	for (int i = 0; i < r->nresults; i++)
		if (r->results[i].def->id == id)
			return &r->results[i];
	return NULL;
}

int main(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);

	CHECK(dbc_health_checks_count == DBC_HC_COUNT, "one catalogue row per check id");
	bool rows_ok = true, unique = true, found = true;
	for (int i = 0; i < DBC_HC_COUNT; i++) {
		const dbc_health_check_def *c = &dbc_health_checks_catalog[i];
		if ((int)c->id != i || !c->name || !*c->name || !c->engines || !c->description ||
		    !c->ok_message || !c->unit || !c->noun1 || !c->nounN) {
			rows_ok = false;
			printf("# row %d is incomplete or not at its id\n", i);
			continue;
		}
		for (int k = 0; k < i; k++)
			if (strcmp(dbc_health_checks_catalog[k].name, c->name) == 0)
				unique = false;
		if (dbc_health_find_check(c->name) != c)
			found = false;
	}
	CHECK(rows_ok, "every row is filled in and sits at its id");
	CHECK(unique, "check names are unique");
	CHECK(found, "every check is found again by its name");
	CHECK(dbc_health_find_check("statistic") == NULL, "a misspelled name finds nothing");
	CHECK(dbc_health_checks_catalog[DBC_HC_STATISTICS].id == DBC_HC_STATISTICS &&
	          strcmp(dbc_health_checks_catalog[DBC_HC_STATISTICS].name, "statistics") == 0,
	      "a row is reached by its id");

	/* An engine (the unit host speaks SQLite's dialect) that gathers every SQLite check but one:
	 * that one is an error row naming the defect, the others run. */
	dbc_health_gather_fn gatherers[DBC_HC_COUNT];
	for (int i = 0; i < DBC_HC_COUNT; i++)
		gatherers[i] = ok_gather;
	gatherers[DBC_HC_JOURNAL_MODE] = NULL;
	dbc_health_hooks eng = {
	    .database = "main",
	    .gatherers = gatherers,
	};
	dbc_health_report r;
	CHECK(dbc_health_run(&ctx, &eng, DBC_HEALTH_QUICK, &r) == DBC_OK, "the run completes");
	const dbc_health_result *jm = result_of(&r, DBC_HC_JOURNAL_MODE);
	CHECK(jm && jm->status == DBC_CHECK_ERROR, "the check without a gatherer is an error");
	CHECK_STR(jm ? jm->message : NULL, "no gatherer for the journal_mode check on this engine",
	          "its message names the check");
	const dbc_health_result *frag = result_of(&r, DBC_HC_FRAGMENTATION);
	CHECK(frag && frag->status == DBC_CHECK_OK, "a gathered check is ok");
	CHECK(gathered > 0, "the engine's gatherers ran");
	bool skipped_silently = false;
	for (int i = 0; i < r.nresults; i++)
		if (r.results[i].status == DBC_CHECK_SKIPPED && r.results[i].message &&
		    strncmp(r.results[i].message, "does not apply", 14) == 0)
			skipped_silently = true;
	CHECK(!skipped_silently, "no check is skipped as not applying");

	dbc_ctx_finish(&ctx);
	return unit_done();
}
