/*
 * generate_commit.c — the proof's stand-in for dbcare migrate's commit
 * between two migrations of a generated plan (dbc_host.proof_commit): the
 * proof runs in a subtransaction that is always rolled back, where
 * PostgreSQL keeps each enum label ALTER TYPE ... ADD VALUE added
 * unusable ("unsafe use of new value") until the transaction commits. A
 * migration that adds labels (a non-transactional one of its own) is
 * committed by migrate before the next one uses them; at that point of
 * the proof the labels the place added are taken as committed.
 *
 * Invariant: only the place's own labels are: the list is put back to
 * what it was when the place opened (the caller's labels, added earlier in
 * its transaction, stay unusable), and once more after the rollback (the
 * place's labels, rolled back, are no longer listed). The labels made
 * usable can only reach the place's own objects (its tables are empty and
 * rolled back with it), so no index outlives a label it holds, which is
 * what PostgreSQL's rule guards.
 */
#include "pg/host/glue.h"

#include "catalog/pg_enum.h"

int pgdbc_enums_note(dbc_ctx *ctx, pgdbc_enums *out)
{
	Size size = EstimateUncommittedEnumsSpace();
	out->uncommitted = dbc_alloc(ctx, size);
	if (!out->uncommitted)
		return DBC_ERROR;
	SerializeUncommittedEnums(out->uncommitted, size);
	return DBC_OK;
}

void pgdbc_enums_commit(const pgdbc_enums *noted)
{
	AtEOXact_Enum(); /* forgets the list (its memory is the transaction's) */
	RestoreUncommittedEnums(noted->uncommitted);
}
