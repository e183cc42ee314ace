/*
 * test_core.c — unit tests of the engine-free core: SHA-256 vectors and
 * a file's digest by path, the arena and buffers, JSON escaping, canonical snapshots, diff wording,
 * settings validation, DDL text reading and name quoting.
 */
#include "schema/ddl_text.h"
#include "base/json.h"
#include "schema/schema.h"
#include "settings/settings.h"
#include "base/sha256.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static void test_sha256(dbc_ctx *ctx)
{
	char hex[65];
	dbc_sha256_hex(ctx, "", 0, hex);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	          "sha256 of empty");
	dbc_sha256_hex(ctx, "abc", 3, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	          "sha256 of abc");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	dbc_sha256_hex(ctx, two, strlen(two), hex);
	CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	          "sha256 of two blocks");
}

/* The digest of a file by its path: the open's flags (O_NOFOLLOW refuses a
 * link), the open's error named by what, errno for the errno callers. */
static void test_path_sha256(dbc_ctx *ctx)
{
	const char *tmpdir = getenv("TMPDIR");
	char dir[256], file[300], link[300], hex[65];
	snprintf(dir, sizeof dir, "%s/dbc-sha-XXXXXX", tmpdir && tmpdir[0] ? tmpdir : "/tmp");
	if (!mkdtemp(dir)) {
		CHECK(false, "path_sha256: a scratch folder");
		return;
	}
	snprintf(file, sizeof file, "%s/abc", dir);
	snprintf(link, sizeof link, "%s/link", dir);
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0600);
	bool made = fd >= 0 && write(fd, "abc", 3) == 3;
	if (fd >= 0)
		close(fd);
	made = made && symlink(file, link) == 0;
	CHECK(made, "path_sha256: a file and a link to it");
	const char *abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	CHECK(dbc_path_sha256(ctx, file, 0, "f", NULL, NULL, hex) == DBC_OK && strcmp(hex, abc) == 0,
	      "path_sha256: the file's digest");
	CHECK(dbc_path_sha256(ctx, link, 0, "l", NULL, NULL, hex) == DBC_OK && strcmp(hex, abc) == 0,
	      "path_sha256: a link followed without O_NOFOLLOW");
	errno = 0;
	CHECK(dbc_path_sha256(ctx, link, O_NOFOLLOW, "backup l", NULL, NULL, hex) == DBC_ERROR &&
	          errno == ELOOP && strncmp(ctx->message, "cannot read backup l: ", 22) == 0 &&
	          strcmp(ctx->sqlstate, DBC_SQLSTATE_BAD_ARGUMENT) == 0,
	      "path_sha256: O_NOFOLLOW refuses a link, the error names what");
	dbc_error_clear(ctx);
	CHECK(dbc_path_sha256(ctx, file, 0, NULL, NULL, NULL, hex) == DBC_ERROR,
	      "path_sha256: no name (out of memory) is an error");
	CHECK(dbc_path_sha256_errno(&unit_host, file, O_NOFOLLOW, NULL, NULL, hex) == 0 && errno == 0 &&
	          strcmp(hex, abc) == 0,
	      "path_sha256_errno: the digest, errno 0");
	unlink(file);
	CHECK(dbc_path_sha256_errno(&unit_host, file, 0, NULL, NULL, hex) == -1 && errno == ENOENT,
	      "path_sha256_errno: a missing file, errno the open's");
	unlink(link);
	rmdir(dir);
}

static void test_buffers(dbc_ctx *ctx)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < 1000; i++)
		dbc_buf_appendf(&b, "%d,", i);
	char *s = dbc_buf_finish(&b);
	CHECK(s && strncmp(s, "0,1,2,", 6) == 0 && strlen(s) == b.len, "buffer grows across blocks");
	void *big = dbc_alloc(ctx, 1 << 20);
	CHECK(big != NULL, "large arena allocation");
	CHECK(dbc_printf(ctx, "%s-%d", "x", 7) && strcmp(dbc_printf(ctx, "%s-%d", "x", 7), "x-7") == 0,
	      "printf");
	CHECK(dbc_error(ctx, "22023", "first %d", 1) == DBC_ERROR && ctx->failed,
	      "error sets the slot");
	dbc_error(ctx, "55000", "second");
	CHECK_STR(ctx->message, "first 1", "first error wins");
	CHECK_STR(ctx->sqlstate, "22023", "sqlstate kept");
	dbc_error_clear(ctx);
	CHECK(!ctx->failed, "error cleared");
}

static void test_json(dbc_ctx *ctx)
{
	json_t *o = json_object();
	dbc_json_set(o, "q\"uote", dbc_json_str("line\nbreak \"q\" \x01 tab\t"));
	dbc_json_set(o, "bad\xff", dbc_json_str("caf\xc3\xa9 \xff\xfe"));
	char *s = dbc_json_dump(ctx, o, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	CHECK_STR(
	    s, "{\"bad?\":\"caf\xc3\xa9 ??\",\"q\\\"uote\":\"line\\nbreak \\\"q\\\" \\u0001 tab\\t\"}",
	    "escaping and invalid UTF-8 replaced");
	json_t *bad = dbc_json_parse(ctx, "{", "argument \"x\"");
	CHECK(!bad && ctx->failed && strstr(ctx->message, "argument \"x\" is not valid JSON"),
	      "parse error names the argument");
	dbc_error_clear(ctx);
}

/* The same schema added in two orders. */
static char *build(dbc_ctx *ctx, bool reverse)
{
	dbc_schema s;
	dbc_schema_init(&s, ctx);
	for (int k = 0; k < 2; k++) {
		int which = reverse ? 1 - k : k;
		if (which == 0) {
			dbc_table *t = dbc_schema_add_table(&s, "app", "users");
			dbc_column *c = dbc_table_add_column(ctx, t, "id");
			c->type = "integer";
			c->not_null = true;
			c = dbc_table_add_column(ctx, t, "email");
			c->type = "text";
			dbc_constraint *pk =
			    dbc_table_add_constraint(ctx, t, DBC_CON_PRIMARY_KEY, "users_pkey");
			dbc_strlist_add(ctx, &pk->columns, "id");
			dbc_constraint *u = dbc_table_add_constraint(ctx, t, DBC_CON_UNIQUE, "users_email_key");
			dbc_strlist_add(ctx, &u->columns, "email");
			if (reverse) { /* constraints listed the other way round */
				dbc_constraint tmp = t->constraints[0];
				t->constraints[0] = t->constraints[1];
				t->constraints[1] = tmp;
			}
		} else {
			dbc_index *ix = dbc_schema_add_index(&s, "app", "users_email");
			ix->table = "users";
			ix->method = "btree";
			dbc_strlist_add(ctx, &ix->keys, "email");
			dbc_object *v = dbc_schema_add_object(&s, "view", "app", "active_users");
			v->definition = "SELECT 1";
		}
	}
	char *out = NULL;
	dbc_schema_snapshot_json(&s, &out);
	return out;
}

static void test_snapshot(dbc_ctx *ctx)
{
	char *a = build(ctx, false), *b = build(ctx, true);
	CHECK(a && b && strcmp(a, b) == 0, "snapshot does not depend on creation order");
	CHECK(a && strstr(a, "\"app.users\"") && strstr(a, "\"view\":{\"app.active_users\""),
	      "qualified names, type sections");
	char *fa, *fb;
	dbc_schema_fingerprint_of(ctx, a, &fa);
	dbc_schema_fingerprint_of(ctx, b, &fb);
	CHECK(fa && fb && strlen(fa) == 64 && strcmp(fa, fb) == 0, "fingerprints equal");
}

static int count_rows(dbc_ctx *ctx, const char *a, const char *b, dbc_rows *rows)
{
	return dbc_schema_diff(ctx, a, b, rows) == DBC_OK ? rows->nrows : -1;
}

static void test_diff(dbc_ctx *ctx)
{
	const char *a =
	    "{\"format\":1,\"table\":{\"t\":{\"columns\":[{\"name\":\"a\",\"type\":\"int\"},"
	    "{\"name\":\"b\",\"type\":\"text\"}],\"kind\":\"table\"}},\"index\":{\"i\":{}}}";
	const char *b =
	    "{\"format\":1,\"table\":{\"t\":{\"columns\":[{\"name\":\"a\",\"type\":\"bigint\"},"
	    "{\"name\":\"c\",\"type\":\"text\"}],\"kind\":\"table\"}},\"view\":{\"v\":{}}}";
	dbc_rows rows;
	CHECK(count_rows(ctx, a, b, &rows) == 3, "three differences");
	if (rows.nrows != 3) {
		printf("# %s\n", ctx->message ? ctx->message : "?");
		return;
	}
	const dbc_value *r = rows.cells;
	CHECK_STR(r[0].s, "index", "removed index first (sorted by type)");
	CHECK_STR(r[2].s, "removed", "index removed");
	CHECK_STR(r[4].s, "table", "then the table");
	CHECK_STR(r[7].s, "columns.a.type: \"int\" -> \"bigint\"; columns.b: removed; columns.c: added",
	          "detail names each column change");
	CHECK_STR(r[8].s, "view", "view section only in one side");
	CHECK_STR(r[10].s, "added", "view added");
	CHECK(count_rows(ctx, a, a, &rows) == 0, "no difference with itself");
	CHECK(count_rows(ctx, "{\"format\":1,\"engine\":\"sqlite\"}",
	                 "{\"format\":1,\"engine\":\"postgresql\"}", &rows) == -1 &&
	          strstr(ctx->message, "different engines"),
	      "different engines refused");
	dbc_error_clear(ctx);
	CHECK(count_rows(ctx, "{\"format\":1}", "{\"table\":{}}", &rows) == -1 &&
	          strstr(ctx->message, "\"to\""),
	      "wrong shape names the argument");
	dbc_error_clear(ctx);
}

static void test_settings(dbc_ctx *ctx)
{
	dbc_setting_list cat;
	CHECK(dbc_settings_catalog(ctx, &cat) == DBC_OK && cat.n >= 3, "catalogue loads");
	for (int i = 1; i < cat.n; i++)
		if (strcmp(cat.defs[i - 1].key, cat.defs[i].key) >= 0)
			CHECK(0, "catalogue sorted and unique");
	const dbc_setting_def *d = dbc_settings_find(&cat, "migrate.out_of_order");
	char *v;
	CHECK(d && dbc_setting_normalise(ctx, d, "ALLOW", &v) == DBC_OK && strcmp(v, "allow") == 0,
	      "choice normalised");
	CHECK(dbc_setting_normalise(ctx, d, "sometimes", &v) == DBC_ERROR && ctx->hint &&
	          strstr(ctx->hint, "refuse|allow"),
	      "bad choice refused with the choices");
	dbc_error_clear(ctx);
	d = dbc_settings_find(&cat, "migrate.lock_timeout_ms");
	CHECK(d && dbc_setting_normalise(ctx, d, "250", &v) == DBC_OK && strcmp(v, "250") == 0,
	      "integer accepted");
	CHECK(dbc_setting_normalise(ctx, d, "-1", &v) == DBC_ERROR, "below minimum refused");
	dbc_error_clear(ctx);
	CHECK(dbc_setting_normalise(ctx, d, "1.5", &v) == DBC_ERROR, "fraction refused for an integer");
	dbc_error_clear(ctx);
	CHECK(dbc_setting_normalise(ctx, d, "12abc", &v) == DBC_ERROR, "trailing garbage refused");
	dbc_error_clear(ctx);
	d = dbc_settings_find(&cat, "health.ignore");
	CHECK(d && dbc_setting_normalise(ctx, d, " a , b,,c ", &v) == DBC_OK && strcmp(v, "a,b,c") == 0,
	      "list trimmed");
	CHECK(dbc_setting_get(ctx, "no.such.key", &v) == DBC_ERROR &&
	          strstr(ctx->message, "unknown setting"),
	      "unknown key");
	dbc_error_clear(ctx);
}

static void test_ddl(dbc_ctx *ctx)
{
	dbc_ddl_table t;
	const char *sql = "CREATE TABLE \"we\"\"ird\" (\n"
	                  "  id INTEGER CONSTRAINT pk PRIMARY KEY, -- comment, with (parens\n"
	                  "  [order] TEXT DEFAULT ('a,b') CHECK ([order] <> 'x)'),\n"
	                  "  p INT REFERENCES parent(id) ON DELETE CASCADE,\n"
	                  "  price NUMERIC(10, 2) /* c */ CHECK (price >= 0),\n"
	                  "  CONSTRAINT two FOREIGN KEY (p, \"order\") REFERENCES parent (a, b),\n"
	                  "  UNIQUE (p, [order]),\n"
	                  "  CHECK (p   >\n 1)\n)";
	CHECK(dbc_ddl_parse_table(ctx, sql, &t) == DBC_OK, "parses");
	CHECK(t.n == 7, "seven constraints found");
	if (t.n == 7) {
		CHECK(t.items[0].kind == DBC_CON_PRIMARY_KEY && strcmp(t.items[0].name, "pk") == 0,
		      "named column primary key");
		CHECK(t.items[1].kind == DBC_CON_CHECK && strcmp(t.items[1].expr, "[order] <> 'x)'") == 0 &&
		          strcmp(t.items[1].columns.items[0], "order") == 0,
		      "column check with tricky string");
		CHECK(t.items[2].kind == DBC_CON_FOREIGN_KEY && t.items[2].name == NULL,
		      "column foreign key");
		CHECK_STR(t.items[3].expr, "price >= 0", "check after a type with a comma and a comment");
		CHECK(t.items[4].kind == DBC_CON_FOREIGN_KEY && strcmp(t.items[4].name, "two") == 0 &&
		          t.items[4].columns.n == 2 && strcmp(t.items[4].columns.items[1], "order") == 0,
		      "table foreign key with quoted column");
		CHECK(t.items[5].kind == DBC_CON_UNIQUE && t.items[5].columns.n == 2, "table unique");
		CHECK_STR(t.items[6].expr, "p > 1", "table check normalised");
	}
	CHECK(dbc_ddl_parse_table(ctx, "CREATE TABLE x AS SELECT 1", &t) == DBC_OK && t.n == 0,
	      "CREATE TABLE AS");
	CHECK_STR(dbc_sql_normalise(ctx, "  SELECT  'a  b' ,\n\t\"x  y\" -- c\n FROM t  "),
	          "SELECT 'a  b' , \"x  y\" FROM t", "normalise keeps literals");
	CHECK_STR(dbc_ddl_index_predicate(ctx, "CREATE INDEX i ON t (f(a)) WHERE a > 1  AND b"),
	          "a > 1 AND b", "partial index predicate");
	CHECK(dbc_ddl_index_predicate(ctx, "CREATE INDEX i ON t (a)") == NULL, "no predicate");
	CHECK(dbc_ddl_parse_table(ctx, "CREATE TABLE t (a CHECK (", &t) == DBC_OK,
	      "truncated text does not crash");
}

static void test_quoting(dbc_ctx *ctx)
{
	CHECK_STR(dbc_quoted_name(ctx, "s\"x", "t; DROP"), "\"s\"\"x\".\"t; DROP\"",
	          "qualified name quoted part by part");
	CHECK_STR(dbc_quoted_name(ctx, NULL, "plain"), "\"plain\"", "unqualified name");
	dbc_strlist l = {0};
	dbc_strlist_split(ctx, &l, " a, b ,c");
	CHECK(l.n == 3 && strcmp(l.items[1], "b") == 0, "comma split trims");
}

int main(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	test_sha256(&ctx);
	test_path_sha256(&ctx);
	test_buffers(&ctx);
	test_json(&ctx);
	test_snapshot(&ctx);
	test_diff(&ctx);
	test_settings(&ctx);
	test_ddl(&ctx);
	test_quoting(&ctx);
	dbc_ctx_finish(&ctx);
	return unit_done();
}
