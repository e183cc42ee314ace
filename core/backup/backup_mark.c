/*
 * backup_mark.c — dbbackup_mark(label): a named restore point, the same
 * call on both engines. The row (table backup_marks) keeps the label, the
 * moment, the schema fingerprint and the audit chains' heads (what the
 * audit log had reached: a restore to the mark gives a log whose heads are
 * these), and what a restore stops at:
 *  - where the engine makes backup files (SQLite), a backup taken for the
 *    mark: incremental on the newest chain when there is one, full
 *    otherwise, sealed (compressed, encrypted) as the call's seal asks
 *    like any backup; a restore to the mark restores that backup's chain;
 *  - where the engine keeps a WAL (PostgreSQL), a restore point of that
 *    name (pg_create_restore_point) and its LSN; a restore to the mark
 *    replays the archive up to it (pgBackRest --type=name).
 * A label is unique: a second mark of the same name is refused before
 * anything is taken. The row is written last, in a savepoint: no row
 * names a backup or a restore point that was not made.
 */
#include "backup/backup_private.h"

#include "audit/audit.h"
#include "base/json.h"
#include "schema/schema.h"

#include <string.h>

#define LABEL_MAX 63 /* PostgreSQL's restore point names: MAXFNAMELEN - 1 */

static int check_label(dbc_ctx *ctx, const char *label)
{
	size_t n = strlen(label);
	if (n == 0 || n > LABEL_MAX)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "a restore point's label has 1 to %d characters, not %zu", LABEL_MAX, n);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)label[i] < 0x20 || label[i] == 0x7f)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "a restore point's label has no control characters");
	return DBC_OK;
}

static int take_flag(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx, (void)ncol, (void)c;
	*(bool *)arg = true;
	return DBC_OK;
}

static int take_head(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	json_t *heads = arg;
	if (ncol < 3)
		return DBC_OK;
	json_t *h = json_object();
	if (!h ||
	    !dbc_json_set(h, "hash", c[1].type == DBC_TEXT ? dbc_json_str(c[1].s) : json_null()) ||
	    !dbc_json_set(h, "id", c[2].type == DBC_INT ? json_integer(c[2].i) : json_null()) ||
	    json_object_set_new(heads, c[0].type == DBC_TEXT ? c[0].s : "", h) != 0)
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return DBC_OK;
}

/* {"<chain>": {"hash": ..., "id": ...}, ...}: "" the log's chain, else a
 * table's; {} where nothing is audited. */
static json_t *audit_heads(dbc_ctx *ctx, const dbc_audit_hooks *audit)
{
	json_t *heads = json_object();
	bool exists = true;
	if (!heads)
		return NULL;
	if (audit && audit->tables_exist && audit->tables_exist(ctx, &exists) != DBC_OK)
		return NULL;
	if (audit && audit->heads && exists && audit->heads(ctx, audit, take_head, heads) != DBC_OK) {
		json_decref(heads);
		return NULL;
	}
	return heads;
}

typedef struct mark_row {
	const char *label, *fingerprint, *heads, *lsn;
	int64_t backup_id;
} mark_row;

static int insert_mark(dbc_ctx *ctx, void *arg)
{
	mark_row *m = arg;
	char *sql =
	    dbc_printf(ctx,
	               "INSERT INTO %sbackup_marks (label, created_at, fingerprint, audit_heads,"
	               " backup_id, lsn) VALUES ($1, %s, $2, $3, CAST($4 AS bigint),"
	               " CAST($5 AS text))",
	               ctx->host->book_prefix, ctx->host->dialect->now);
	dbc_value p[5] = {dbc_text(m->label), dbc_text(m->fingerprint), dbc_text(m->heads),
	                  m->backup_id ? dbc_int(m->backup_id) : dbc_null(),
	                  m->lsn ? dbc_text(m->lsn) : dbc_null()};
	bool any = false;
	return sql ? ctx->host->query(ctx, sql, 5, p, take_flag, &any) : DBC_ERROR;
}

int dbc_backup_mark(dbc_ctx *ctx, const dbc_backup_hooks *env, const struct dbc_audit_hooks *audit,
                    const char *label, const char *seal, char **json)
{
	unsigned seal_flags = 0;
	if (check_label(ctx, label) != DBC_OK)
		return DBC_ERROR;
	if (!env->copy && !env->restore_point)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "this engine keeps no restore points");
	/* checked before anything is taken: a seal this engine cannot make,
	 * or a key in the text, leaves no mark and no backup */
	if (seal && dbc_backup_parse_seal(ctx, seal, &seal_flags) != DBC_OK)
		return DBC_ERROR;
	if (seal && env->copy && !env->seal)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "this engine makes no sealed backups");
	if (seal && !env->copy) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "this engine's restore point is a WAL record, with no backup file to seal");
		dbc_error_hint(ctx, "Call dbbackup_mark(label) alone; seal the backups themselves (on "
		                    "PostgreSQL: dbcare backup --compress zstd --encrypt-key-file FILE, "
		                    "or pgBackRest's repository encryption).");
		return DBC_ERROR;
	}
	bool taken = false;
	/* the catalog's tables first (a changing call makes its part's) */
	char *sql =
	    dbc_printf(ctx, "SELECT 1 FROM %sbackup_marks WHERE label = $1", ctx->host->book_prefix);
	dbc_value p = dbc_text(label);
	if (!sql || dbc_book_ensure_part(ctx, "backup") != DBC_OK ||
	    ctx->host->query(ctx, sql, 1, &p, take_flag, &taken) != DBC_OK)
		return DBC_ERROR;
	if (taken) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "a restore point named \"%s\" exists already",
		          label);
		dbc_error_hint(ctx, "Labels are unique: choose another one (a date in it helps).");
		return DBC_ERROR;
	}
	/* what the database was at the mark: its schema and its audit log */
	char *fingerprint = NULL;
	json_t *heads = audit_heads(ctx, audit);
	if (!heads || dbc_schema_fingerprint(ctx, ctx->host->read_schema, &fingerprint) != DBC_OK) {
		json_decref(heads);
		return ctx->failed ? DBC_ERROR
		                   : dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	char *heads_text = dbc_json_dump(ctx, heads, DBC_JSON_REPORT);
	mark_row m = {.label = label, .fingerprint = fingerprint, .heads = heads_text};
	json_t *o = json_object();
	char *backup_json = NULL;
	if (!heads_text || !o)
		goto failed;
	if (env->copy) {
		/* a backup for the mark: on the newest chain when there is one */
		dbc_backup_base base;
		const char *method = "incremental";
		if (dbc_backup_find_base(ctx, env, &base) != DBC_OK) {
			if (strcmp(ctx->sqlstate, DBC_SQLSTATE_BAD_STATE) != 0)
				goto failed;
			dbc_error_clear(ctx);
			method = "full";
		}
		method = dbc_backup_method_text(strcmp(method, "incremental") == 0, seal_flags);
		if (dbc_backup_create_as(ctx, env, NULL, method, &backup_json, &m.backup_id) != DBC_OK)
			goto failed;
	} else if (env->restore_point(ctx, label, (char **)&m.lsn) != DBC_OK) {
		goto failed;
	}
	if (dbc_backup_catalog_in_savepoint(ctx, insert_mark, &m) != DBC_OK)
		goto failed;
	bool ok =
	    dbc_json_set(o, "label", dbc_json_str(label)) &&
	    dbc_json_set(o, "fingerprint", dbc_json_str(fingerprint)) &&
	    json_object_set(o, "audit_heads", heads) == 0 &&
	    (!m.lsn || dbc_json_set(o, "lsn", dbc_json_str(m.lsn))) &&
	    (!backup_json || dbc_json_set(o, "backup", json_loads(backup_json, JSON_DECODE_ANY, NULL)));
	json_decref(heads);
	heads = NULL;
	*json = ok ? dbc_json_dump(ctx, o, DBC_JSON_REPORT) : NULL;
	json_decref(o);
	if (!*json)
		return ctx->failed ? DBC_ERROR
		                   : dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return DBC_OK;
failed:
	json_decref(heads);
	json_decref(o);
	return ctx->failed ? DBC_ERROR : dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
}
