/*
 * test_backup_tool.c — core/backup/backup_tool.c, the flow of a backup a
 * tool makes outside the database, with hooks that log each step and fail
 * where told: the order is copy, read back, seal or publish, describe,
 * record; the moment the tool opens is closed exactly once; a step that
 * fails stops the flow before anything later (nothing published before
 * its read back, nothing recorded before its publication) and the
 * temporary file is released on every path; a published file whose
 * record failed is removed when the record is known not committed and
 * kept, named in the error, when it may have been; a tool that keeps its
 * copy takes no file name and no seal.
 */
#include "backup/backup_tool.h"
#include "unit.h"

typedef struct fake {
	char log[512];
	const char *fail_at; /* the step that fails (NULL: none) */
	bool maybe_recorded; /* what a failing record says of its row */
	int temps, released;
} fake;

static int step(dbc_ctx *ctx, fake *f, const char *name)
{
	size_t n = strlen(f->log);
	snprintf(f->log + n, sizeof f->log - n, "%s%s", n ? " " : "", name);
	if (f->fail_at && strcmp(f->fail_at, name) == 0)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "%s failed", name);
	return DBC_OK;
}

static int t_begin(dbc_ctx *ctx, void *arg, dbc_backup_made *made)
{
	made->fingerprint = "fp";
	made->database = "app";
	made->identity = "id-app";
	return step(ctx, arg, "begin");
}

static int t_copy(dbc_ctx *ctx, void *arg, const char *file, dbc_backup_made *made)
{
	(void)made;
	return step(ctx, arg, file ? "copy" : "copy-kept");
}

static int t_end(dbc_ctx *ctx, void *arg, bool ok)
{
	return step(ctx, arg, ok ? "commit" : "rollback");
}

static int t_read_back(dbc_ctx *ctx, void *arg, const char *file, dbc_backup_made *made)
{
	if (!file)
		made->location = "repo:label";
	return step(ctx, arg, "read-back");
}

static int f_check(dbc_ctx *ctx, void *arg, const char *path)
{
	(void)path;
	return step(ctx, arg, "check");
}

static int f_temp(dbc_ctx *ctx, void *arg, const char *path, bool plain, char **tmp)
{
	fake *f = arg;
	(void)path;
	*tmp = dbc_strdup(ctx, plain ? "scratch" : "tmp");
	f->temps++;
	return step(ctx, arg, plain ? "scratch" : "temp");
}

static int f_seal(dbc_ctx *ctx, void *arg, const char *plain, const char *path, const char *db,
                  const char *identity, unsigned flags)
{
	(void)plain, (void)path;
	bool origin = strcmp(db, "app") == 0 && (!identity || strcmp(identity, "id-app") == 0);
	return step(ctx, arg, origin && flags ? "seal" : "seal-wrong");
}

static int f_publish(dbc_ctx *ctx, void *arg, const char *tmp, const char *path)
{
	(void)tmp, (void)path;
	return step(ctx, arg, "publish");
}

static int f_describe(dbc_ctx *ctx, void *arg, const char *path, dbc_backup_made *made)
{
	made->location = (char *)path;
	made->bytes = 42;
	return step(ctx, arg, "describe");
}

static void f_release(dbc_ctx *ctx, void *arg, char *tmp)
{
	(void)ctx, (void)tmp;
	((fake *)arg)->released++;
}

static void f_remove(dbc_ctx *ctx, void *arg, const char *path)
{
	fake *f = arg;
	size_t n = strlen(f->log);
	(void)ctx;
	snprintf(f->log + n, sizeof f->log - n, " remove:%s", path);
}

static int r_record(dbc_ctx *ctx, void *arg, const char *kind, const dbc_backup_made *made,
                    char **json, bool *maybe_recorded)
{
	*maybe_recorded = ((fake *)arg)->maybe_recorded;
	*json = dbc_printf(ctx, "%s %s %lld %s", kind, made->location, (long long)made->bytes,
	                   made->fingerprint ? made->fingerprint : "-");
	return step(ctx, arg, "record");
}

/* Runs the flow with every hook logging into f; the json (or NULL). */
static char *run(dbc_ctx *ctx, fake *f, bool writes_file, const char *path, unsigned seal, int *rc)
{
	dbc_backup_tool tool = {.kind = writes_file ? "dump" : "repo",
	                        .writes_file = writes_file,
	                        .arg = f,
	                        .begin = t_begin,
	                        .copy = t_copy,
	                        .end = t_end,
	                        .read_back = t_read_back};
	dbc_backup_files files = {.arg = f,
	                          .check_target = f_check,
	                          .make_temp = f_temp,
	                          .seal = f_seal,
	                          .publish = f_publish,
	                          .describe = f_describe,
	                          .release = f_release,
	                          .remove = f_remove};
	dbc_backup_recorder rec = {f, r_record};
	char *json = NULL;
	*rc = dbc_backup_tool_run(ctx, &tool, &files, &rec, path, seal, &json);
	return json;
}

static void test_order(void)
{
	dbc_ctx ctx;
	fake f = {0};
	int rc;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	char *json = run(&ctx, &f, true, "/b/app.dump", 0, &rc);
	CHECK(rc == DBC_OK, "a plain file backup succeeds");
	CHECK_STR(f.log, "check temp begin copy commit read-back publish describe record",
	          "plain: copy, read back, publish, describe, record");
	CHECK_STR(json, "dump /b/app.dump 42 fp", "the record holds the published file");
	CHECK(f.temps == 1 && f.released == 1, "plain: the temporary file released");

	memset(&f, 0, sizeof f);
	json = run(&ctx, &f, true, "/b/app.dump", DBC_BACKUP_SEAL_ZSTD, &rc);
	CHECK(rc == DBC_OK, "a sealed file backup succeeds");
	CHECK_STR(f.log, "check scratch begin copy commit read-back seal describe record",
	          "sealed: the copy in a scratch file, read back, then sealed (no plain publish)");
	CHECK(f.released == 1, "sealed: the scratch file released");

	memset(&f, 0, sizeof f);
	json = run(&ctx, &f, false, NULL, 0, &rc);
	CHECK(rc == DBC_OK, "a kept backup succeeds");
	CHECK_STR(f.log, "begin copy-kept commit read-back record",
	          "kept: no file step, the tool's read back names it");
	CHECK_STR(json, "repo repo:label -1 fp", "kept: recorded where the tool names it");
	dbc_ctx_finish(&ctx);
}

static void test_failures(void)
{
	static const struct {
		const char *fail_at, *log;
	} cases[] = {
	    {"check", "check"},
	    {"begin", "check temp begin"},
	    {"copy", "check temp begin copy rollback"},
	    {"commit", "check temp begin copy commit"},
	    {"read-back", "check temp begin copy commit read-back"},
	    {"publish", "check temp begin copy commit read-back publish"},
	    /* unrecorded: the published file removed, the name free again */
	    {"describe", "check temp begin copy commit read-back publish describe remove:/b/app.dump"},
	    {"record", "check temp begin copy commit read-back publish describe record "
	               "remove:/b/app.dump"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		dbc_ctx ctx;
		fake f = {.fail_at = cases[i].fail_at};
		int rc;
		char name[128];
		dbc_ctx_init(&ctx, &unit_host, NULL);
		char *json = run(&ctx, &f, true, "/b/app.dump", 0, &rc);
		snprintf(name, sizeof name, "%s fails: the flow stops there", cases[i].fail_at);
		CHECK(rc == DBC_ERROR && json == NULL, name);
		snprintf(name, sizeof name, "%s fails: nothing after it", cases[i].fail_at);
		CHECK_STR(f.log, cases[i].log, name);
		snprintf(name, sizeof name, "%s fails: every temporary file released", cases[i].fail_at);
		CHECK(f.released == f.temps, name);
		dbc_ctx_finish(&ctx);
	}
}

/* A record that may have been committed (the connection lost around its
 * COMMIT): the file stays, and the error says so with its name, after
 * the record's own error. */
static void test_record_maybe_committed(void)
{
	dbc_ctx ctx;
	fake f = {.fail_at = "record", .maybe_recorded = true};
	int rc;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	char *json = run(&ctx, &f, true, "/b/app.dump", 0, &rc);
	CHECK(rc == DBC_ERROR && json == NULL, "maybe committed: the flow fails");
	CHECK_STR(f.log, "check temp begin copy commit read-back publish describe record",
	          "maybe committed: the published file is not removed");
	CHECK(ctx.message && strstr(ctx.message, "record failed; ") == ctx.message &&
	          strstr(ctx.message, "the backup file /b/app.dump is kept") != NULL,
	      "maybe committed: the error keeps the record's and names the file kept");
	dbc_ctx_finish(&ctx);
}

/* A tool that keeps its copy: a failed record removes nothing, and the
 * error names the copy the tool still holds. */
static void test_kept_record_fails(void)
{
	dbc_ctx ctx;
	fake f = {.fail_at = "record"};
	int rc;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	run(&ctx, &f, false, NULL, 0, &rc);
	CHECK(rc == DBC_ERROR, "kept, record fails: the flow fails");
	CHECK_STR(f.log, "begin copy-kept commit read-back record", "kept: nothing removed");
	CHECK(ctx.message && strstr(ctx.message, "record failed; the backup repo:label stays where "
	                                         "repo keeps it, unrecorded") == ctx.message,
	      "kept: the error names the unrecorded copy the tool holds");
	dbc_ctx_finish(&ctx);
}

static void test_refusals(void)
{
	dbc_ctx ctx;
	fake f = {0};
	int rc;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	run(&ctx, &f, false, "/b/x", 0, &rc);
	CHECK(rc == DBC_ERROR && f.log[0] == '\0', "a kept backup takes no file name");
	run(&ctx, &f, false, NULL, DBC_BACKUP_SEAL_ENCRYPT, &rc);
	CHECK(rc == DBC_ERROR && f.log[0] == '\0', "a kept backup takes no seal");
	dbc_error_clear(&ctx);
	run(&ctx, &f, true, "", 0, &rc);
	CHECK(rc == DBC_ERROR && f.log[0] == '\0', "a file backup needs a name");
	dbc_ctx_finish(&ctx);
}

int main(void)
{
	test_order();
	test_failures();
	test_record_maybe_committed();
	test_kept_record_fails();
	test_refusals();
	return unit_done();
}
