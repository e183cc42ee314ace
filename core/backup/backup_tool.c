/*
 * backup_tool.c — the one backup flow (backup_tool.h): copy, read back,
 * seal, publish, record, for the module's page copy and the command's
 * tools alike. Memory: the ctx's arena; the hooks' own strings are theirs.
 */
#include "backup/backup_tool.h"

#include "base/clock.h"

#include <string.h>

/* The copy into file, inside the moment begin opened: end is called once,
 * whatever copy did. */
static int copy_in_moment(dbc_ctx *ctx, const dbc_backup_tool *tool, const char *file,
                          dbc_backup_made *made)
{
	if (tool->begin && tool->begin(ctx, tool->arg, made) != DBC_OK)
		return DBC_ERROR;
	double start = dbc_monotonic_ms();
	int rc = tool->copy(ctx, tool->arg, file, made);
	made->duration_ms = dbc_monotonic_ms() - start;
	/* the copy's error is the one said; end's only when the copy was made */
	if (tool->end && tool->end(ctx, tool->arg, rc == DBC_OK) != DBC_OK && rc == DBC_OK)
		rc = DBC_ERROR;
	return rc;
}

/* The error set so far (empty: its hook has said it), then what: what a
 * failed record leaves is said after why it failed. */
static int error_then(dbc_ctx *ctx, const char *what)
{
	const char *said = ctx->message ? ctx->message : "";
	char sqlstate[6];
	memcpy(sqlstate, ctx->sqlstate[0] ? ctx->sqlstate : DBC_SQLSTATE_INTERNAL, sizeof sqlstate);
	dbc_error_clear(ctx);
	if (!what)
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return dbc_error(ctx, sqlstate, "%s%s%s", said, said[0] ? "; " : "", what);
}

/* A record that failed: known not committed, the published file is
 * removed (nothing of the backup is left, the name is free again); maybe
 * committed, it is kept and the error says so, with its name. */
static int record_failed(dbc_ctx *ctx, const dbc_backup_files *files, const char *path,
                         bool maybe_recorded)
{
	if (!maybe_recorded) {
		files->remove(ctx, files->arg, path);
		return DBC_ERROR;
	}
	return error_then(ctx, dbc_printf(ctx,
	                                  "the backup file %s is kept: its record may have been "
	                                  "committed (dbcare backups lists it if so); a retry "
	                                  "needs another name",
	                                  path));
}

/* A copy the tool keeps (its repository): read back is its own listing,
 * which names what was made. */
static int kept_by_tool(dbc_ctx *ctx, const dbc_backup_tool *tool, const dbc_backup_recorder *rec,
                        dbc_backup_made *made, char **json)
{
	if (copy_in_moment(ctx, tool, NULL, made) != DBC_OK ||
	    tool->read_back(ctx, tool->arg, NULL, made) != DBC_OK)
		return DBC_ERROR;
	bool maybe_recorded = false;
	if (rec->record(ctx, rec->arg, tool->kind, made, json, &maybe_recorded) == DBC_OK)
		return DBC_OK;
	/* the tool's copy stays the tool's either way: said, with its name */
	return error_then(ctx, dbc_printf(ctx, "the backup %s stays where %s keeps it, %s",
	                                  made->location ? made->location : "made", tool->kind,
	                                  maybe_recorded ? "and its record may have been committed "
	                                                   "(dbcare backups lists it if so)"
	                                                 : "unrecorded"));
}

/* The copy made into tmp and read back; then, sealed, sealed as path
 * (the seal hook reads its own file back and publishes it), else tmp
 * published as path. */
static int copy_to_name(dbc_ctx *ctx, const dbc_backup_tool *tool, const dbc_backup_files *files,
                        const char *tmp, const char *path, unsigned seal, dbc_backup_made *made)
{
	if (copy_in_moment(ctx, tool, tmp, made) != DBC_OK ||
	    tool->read_back(ctx, tool->arg, tmp, made) != DBC_OK)
		return DBC_ERROR;
	if (seal)
		return files->seal(ctx, files->arg, tmp, path, made->database ? made->database : "",
		                   made->identity, seal);
	return files->publish(ctx, files->arg, tmp, path);
}

static int written_by_tool(dbc_ctx *ctx, const dbc_backup_tool *tool, const dbc_backup_files *files,
                           const dbc_backup_recorder *rec, const char *path, unsigned seal,
                           dbc_backup_made *made, char **json)
{
	if (!path || !path[0])
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "the backup path is empty");
	char *tmp = NULL;
	if (files->check_target(ctx, files->arg, path) != DBC_OK ||
	    (files->resolve && files->resolve(ctx, files->arg, path, (char **)&path) != DBC_OK) ||
	    files->make_temp(ctx, files->arg, path, seal != 0, &tmp) != DBC_OK)
		return DBC_ERROR;
	int rc = copy_to_name(ctx, tool, files, tmp, path, seal, made);
	files->release(ctx, files->arg, tmp); /* gone already once published */
	if (rc != DBC_OK)
		return DBC_ERROR; /* nothing published */
	/* what is recorded is the file under its name, as published */
	made->location = (char *)path;
	bool maybe_recorded = false;
	if ((files->describe && files->describe(ctx, files->arg, path, made) != DBC_OK) ||
	    rec->record(ctx, rec->arg, tool->kind, made, json, &maybe_recorded) != DBC_OK)
		return record_failed(ctx, files, made->location, maybe_recorded);
	return DBC_OK;
}

int dbc_backup_tool_run(dbc_ctx *ctx, const dbc_backup_tool *tool, const dbc_backup_files *files,
                        const dbc_backup_recorder *rec, const char *path, unsigned seal,
                        char **json)
{
	dbc_backup_made made = {.bytes = -1, .duration_ms = -1};
	int rc;
	*json = NULL;
	if (!tool->writes_file && (path || seal))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "a %s backup is kept by the tool: no file name, no seal", tool->kind);
	rc = tool->writes_file ? written_by_tool(ctx, tool, files, rec, path, seal, &made, json)
	                       : kept_by_tool(ctx, tool, rec, &made, json);
	if (rc != DBC_OK)
		*json = NULL; /* a failed flow describes nothing */
	return rc;
}
