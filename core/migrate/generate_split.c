/*
 * generate_split.c — the one rule that cuts a generated plan into
 * migrations: a run of steps alike in whether they run in a transaction.
 * dbcare generate writes each run as a migration file (a non-transactional
 * one marked -- dbcare:no-transaction), so dbcare migrate runs a
 * transactional run in a transaction of its own and the other's
 * statements each at top level, committing between them; the generator's
 * lint lints each run as that migration and its proof stands in for a
 * commit between two runs (generate_proof_steps.c), so all three cut the
 * plan where migrate will.
 */
#include "migrate/migrate.h"

int dbc_gen_migration_end(const bool *transactional, int n, int start)
{
	int end = start;
	while (end < n && transactional[end] == transactional[start])
		end++;
	return end;
}
