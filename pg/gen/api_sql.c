/*
 * api_sql.c — the build's generator over the API table (core/api/functions.h),
 * run by the Makefile (never part of a module):
 *
 *   api_sql install < (pg/sql, in order)  the install script: the SQL copied,
 *        each marker line "-- dbcare:api <part>" replaced by the CREATE
 *        FUNCTION, COMMENT, REVOKE and GRANT statements of that part's
 *        PostgreSQL functions, in table order
 *   api_sql pg-expect                  one line per PostgreSQL function, as
 *        test/script/pg_api_parity.sh reads them back from pg_proc
 *   api_sql sqlite-expect              one line per SQLite registration, as
 *        test/script/sqlite_api_parity.sh reads them back from
 *        pragma_function_list and pragma_table_xinfo
 *   api_sql read-only                  the signatures (as regprocedure
 *        prints them) of the VOLATILE functions marked read-only: those
 *        test/script/pg_standby.sh expects to run on a standby
 *   api_sql sweep                      per SQL-callable PostgreSQL function,
 *        its signature and, when every argument has a default, the call
 *        without arguments: test/script/pg_interrupt_sweep.sh needs
 *        hand-written arguments only for the others
 *   api_sql stanza ID...               the statements of the named entries,
 *        to append to the newest upgrade script when a function is added
 *        (make api-stanza ID=...); test/script/pg_upgrade.sh fails while
 *        the upgrade script lacks them
 *
 *   api_sql upgrade|book-stanza|book-expect   the bookkeeping catalogue's
 *        (pg/gen/book_sql.c); install also replaces each "-- dbcare:book
 *        <table>" line by that table's statements
 *
 * It refuses an inconsistent table (dbc_api_check), a marker of an unknown
 * part, and a part with PostgreSQL functions but no marker or two.
 */
#include "api/api.h"
#include "book_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const volatility_words[] = {
    [DBC_VOLATILE] = "VOLATILE", [DBC_STABLE] = "STABLE", [DBC_IMMUTABLE] = "IMMUTABLE"};
static const char volatility_letters[] = {
    [DBC_VOLATILE] = 'v', [DBC_STABLE] = 's', [DBC_IMMUTABLE] = 'i'};

/* name or dbcare.name */
static void print_name(FILE *out, const dbc_api_fn *fn)
{
	if (fn->schema)
		fprintf(out, "%s.", fn->schema);
	fputs(fn->name, out);
}

/* name(type, type): how COMMENT, REVOKE and GRANT name a signature */
static void print_signature(FILE *out, const dbc_api_fn *fn)
{
	print_name(out, fn);
	fputc('(', out);
	for (int k = 0; k < fn->nargs; k++)
		fprintf(out, "%s%s", k ? ", " : "", dbc_api_type_name(fn->args[k].type));
	fputc(')', out);
}

static void print_quoted(FILE *out, const char *s)
{
	fputc('\'', out);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', out);
		fputc(*s, out);
	}
	fputc('\'', out);
}

/* Names are always quoted: an argument may be a keyword ("from", "table"). */
static void print_columns(FILE *out, const dbc_api_column *cols, int n, bool defaults)
{
	for (int k = 0; k < n; k++) {
		fputs(k ? ", " : "", out);
		if (cols[k].name[0])
			fprintf(out, "\"%s\" ", cols[k].name);
		fputs(dbc_api_type_name(cols[k].type), out);
		if (defaults && cols[k].default_sql)
			fprintf(out, " DEFAULT %s", cols[k].default_sql);
	}
}

static void print_create(FILE *out, const dbc_api_fn *fn)
{
	bool procedure = fn->flags & DBC_API_PROCEDURE;
	const char *kind = procedure ? "PROCEDURE" : "FUNCTION";
	fprintf(out, "CREATE %s ", kind);
	print_name(out, fn);
	fputc('(', out);
	print_columns(out, fn->args, fn->nargs, true);
	fputc(')', out);
	if (fn->ncolumns > 0) {
		fputs("\n    RETURNS TABLE (", out);
		print_columns(out, fn->columns, fn->ncolumns, false);
		fputc(')', out);
	} else if (!procedure) {
		fprintf(out, " RETURNS %s", dbc_api_type_name(fn->returns));
	}
	fputs("\n    LANGUAGE c", out);
	if (!procedure)
		fprintf(out, " %s", volatility_words[fn->volatility]);
	if (fn->flags & DBC_API_STRICT)
		fputs(" STRICT", out);
	if (fn->flags & DBC_API_PARALLEL_SAFE)
		fputs(" PARALLEL SAFE", out);
	if (fn->flags & DBC_API_PARALLEL_UNSAFE)
		fputs(" PARALLEL UNSAFE", out);
	if (fn->flags & DBC_API_SECURITY_DEFINER)
		fputs(" SECURITY DEFINER", out);
	if (!(fn->flags & (DBC_API_CALLER_PATH | DBC_API_HOST_PATH)))
		fputs("\n    SET search_path = " DBC_PG_PINNED_SEARCH_PATH, out);
	fprintf(out, "\n    AS 'MODULE_PATHNAME', '%s';\n", fn->id);
	if (fn->comment) {
		fprintf(out, "COMMENT ON %s ", kind);
		print_signature(out, fn);
		fputs(" IS ", out);
		print_quoted(out, fn->comment);
		fputs(";\n", out);
	}
	if (fn->flags & DBC_API_PRIVATE) {
		fprintf(out, "REVOKE ALL ON %s ", kind);
		print_signature(out, fn);
		fputs(" FROM PUBLIC;\n", out);
	}
	if (fn->flags & DBC_API_MONITOR) {
		fprintf(out, "GRANT EXECUTE ON %s ", kind);
		print_signature(out, fn);
		fputs(" TO pg_monitor;\n", out);
	}
}

static int emit_part(FILE *out, const char *part)
{
	int p = 0;
	while (p < DBC_PART_COUNT && strcmp(dbc_api_part_name((dbc_api_part)p), part) != 0)
		p++;
	if (p == DBC_PART_COUNT) {
		fprintf(stderr, "api_sql: marker of an unknown part \"%s\"\n", part);
		return -1;
	}
	fprintf(out, "-- The %s functions, generated from core/api/functions.h.\n", part);
	for (int i = 0; i < DBC_API_NFUNCTIONS; i++) {
		const dbc_api_fn *fn = &dbc_api_functions[i];
		if ((fn->engines & DBC_ON_PG) && fn->part == (dbc_api_part)p) {
			fputc('\n', out);
			print_create(out, fn);
		}
	}
	return p;
}

static int install(FILE *in, FILE *out)
{
	static const char marker[] = "-- dbcare:api ";
	static const char book_marker[] = "-- dbcare:book ";
	int placed[DBC_PART_COUNT] = {0};
	char line[4096];
	while (fgets(line, sizeof(line), in)) {
		if (strncmp(line, book_marker, sizeof(book_marker) - 1) == 0) {
			line[strcspn(line, "\r\n")] = '\0';
			if (book_sql_marker(out, line + sizeof(book_marker) - 1) != 0)
				return 1;
			continue;
		}
		if (strncmp(line, marker, sizeof(marker) - 1) != 0) {
			fputs(line, out);
			continue;
		}
		line[strcspn(line, "\r\n")] = '\0';
		int p = emit_part(out, line + sizeof(marker) - 1);
		if (p < 0)
			return 1;
		placed[p]++;
	}
	for (int i = 0; i < DBC_API_NFUNCTIONS; i++) {
		const dbc_api_fn *fn = &dbc_api_functions[i];
		if ((fn->engines & DBC_ON_PG) && placed[fn->part] != 1) {
			fprintf(stderr, "api_sql: part %s has %d marker lines \"%s%s\" in pg/sql/, not one\n",
			        dbc_api_part_name(fn->part), placed[fn->part], marker,
			        dbc_api_part_name(fn->part));
			return 1;
		}
	}
	return book_sql_all_placed();
}

/* A default as pg_get_expr prints it: a NULL or a quoted literal with its
 * type's cast, a number or boolean as written. */
static void print_default(FILE *out, const dbc_api_column *arg)
{
	if (strcmp(arg->default_sql, "NULL") == 0 || arg->default_sql[0] == '\'')
		fprintf(out, "%s::%s", arg->default_sql, dbc_api_type_name(arg->type));
	else
		fputs(arg->default_sql, out);
}

/* name:type, ... (the same form the parity test builds from pg_proc) */
static void print_typed(FILE *out, const dbc_api_column *cols, int n)
{
	for (int k = 0; k < n; k++)
		fprintf(out, "%s%s:%s", k ? ", " : "", cols[k].name, dbc_api_type_name(cols[k].type));
}

/* name | kind | args | defaults | result | volatility | strict | security
 * definer | parallel | config | PUBLIC may execute | pg_monitor granted |
 * comment, tab-separated */
static void pg_expect(FILE *out)
{
	for (int i = 0; i < DBC_API_NFUNCTIONS; i++) {
		const dbc_api_fn *fn = &dbc_api_functions[i];
		bool first = true;
		if (!(fn->engines & DBC_ON_PG))
			continue;
		print_name(out, fn);
		fprintf(out, "\t%c\t", fn->flags & DBC_API_PROCEDURE ? 'p' : 'f');
		print_typed(out, fn->args, fn->nargs);
		fputc('\t', out);
		for (int k = 0; k < fn->nargs; k++) {
			if (!fn->args[k].default_sql)
				continue;
			fputs(first ? "" : ", ", out);
			print_default(out, &fn->args[k]);
			first = false;
		}
		fputc('\t', out);
		if (fn->ncolumns > 0) {
			fputs("TABLE(", out);
			print_typed(out, fn->columns, fn->ncolumns);
			fputc(')', out);
		} else {
			fputs(dbc_api_type_name(fn->returns), out);
		}
		fprintf(out, "\t%c\t%c\t%c\t%c\t%s\t%c\t%c\t%s\n", volatility_letters[fn->volatility],
		        fn->flags & DBC_API_STRICT ? 't' : 'f',
		        fn->flags & DBC_API_SECURITY_DEFINER ? 't' : 'f',
		        fn->flags & DBC_API_PARALLEL_SAFE ? 's' : 'u',
		        fn->flags & (DBC_API_CALLER_PATH | DBC_API_HOST_PATH)
		            ? ""
		            : "search_path=" DBC_PG_PINNED_SEARCH_PATH,
		        fn->flags & DBC_API_PRIVATE ? 'f' : 't', fn->flags & DBC_API_MONITOR ? 't' : 'f',
		        fn->comment ? fn->comment : "");
	}
}

/* "function <name> <narg> <flags>" per registration, "table <name>
 * <column,...> <argument,...>" per virtual table */
static void sqlite_expect(FILE *out)
{
	for (int i = 0; i < DBC_API_NFUNCTIONS; i++) {
		const dbc_api_fn *fn = &dbc_api_functions[i];
		if (fn->engines & DBC_ON_SQLITE_SCALAR) {
			for (int n = dbc_api_required_args(fn); n <= fn->nargs; n++)
				fprintf(out, "function %s %d %s\n", fn->name, fn->flags & DBC_API_VARIADIC ? -1 : n,
				        fn->flags & DBC_API_PURE        ? "deterministic,innocuous"
				        : fn->flags & DBC_API_INNOCUOUS ? "innocuous"
				                                        : "directonly");
		} else if (fn->engines & DBC_ON_SQLITE_TABLE) {
			fprintf(out, "table %s ", fn->name);
			for (int k = 0; k < fn->ncolumns; k++)
				fprintf(out, "%s%s", k ? "," : "", fn->columns[k].name);
			fputc(' ', out);
			for (int k = 0; k < fn->nargs; k++)
				fprintf(out, "%s%s", k ? "," : "", fn->args[k].name);
			fputc('\n', out);
		}
	}
}

/* name(type,type) as regprocedure's text prints it (dbcare.name outside
 * the extension's schema) */
static void print_regprocedure(FILE *out, const dbc_api_fn *fn)
{
	print_name(out, fn);
	fputc('(', out);
	for (int k = 0; k < fn->nargs; k++)
		fprintf(out, "%s%s", k ? "," : "", dbc_api_type_name(fn->args[k].type));
	fputs(")", out);
}

static void read_only(FILE *out)
{
	for (int i = 0; i < DBC_API_NFUNCTIONS; i++) {
		const dbc_api_fn *fn = &dbc_api_functions[i];
		if ((fn->engines & DBC_ON_PG) && (fn->flags & DBC_API_READ_ONLY)) {
			print_regprocedure(out, fn);
			fputc('\n', out);
		}
	}
}

/* signature TAB call (empty when an argument has no default) */
static void sweep(FILE *out)
{
	for (int i = 0; i < DBC_API_NFUNCTIONS; i++) {
		const dbc_api_fn *fn = &dbc_api_functions[i];
		if (!(fn->engines & DBC_ON_PG) || fn->returns == DBC_T_TRIGGER ||
		    (fn->flags & DBC_API_PROCEDURE))
			continue;
		print_regprocedure(out, fn);
		fputc('\t', out);
		if (dbc_api_required_args(fn) == 0) {
			print_name(out, fn);
			fputs("()", out);
		}
		fputc('\n', out);
	}
}

static int stanza(FILE *out, int n, char **ids)
{
	for (int k = 0; k < n; k++) {
		int i = 0;
		while (i < DBC_API_NFUNCTIONS && strcmp(dbc_api_functions[i].id, ids[k]) != 0)
			i++;
		if (i == DBC_API_NFUNCTIONS || !(dbc_api_functions[i].engines & DBC_ON_PG)) {
			fprintf(stderr, "api_sql: no PostgreSQL entry with id \"%s\"\n", ids[k]);
			return 1;
		}
		fputc('\n', out);
		print_create(out, &dbc_api_functions[i]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int bad = 0;
	for (int i = 0; i < DBC_API_NFUNCTIONS; i++) {
		const char *why = dbc_api_check(&dbc_api_functions[i]);
		if (why) {
			fprintf(stderr, "api_sql: core/api/functions.h: %s: %s\n", dbc_api_functions[i].id,
			        why);
			bad = 1;
		}
	}
	if (bad || book_sql_check() != 0)
		return 1;
	if (argc == 3 && strcmp(argv[1], "book-stanza") == 0) {
		book_sql_stanza(stdout, argv[2]);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "upgrade") == 0)
		return book_sql_upgrade(stdin, stdout, argv[2]);
	if (argc == 3 && strcmp(argv[1], "book-expect") == 0)
		return book_sql_expect(stdout, argv[2]);
	if (argc == 2 && strcmp(argv[1], "book-added-sqlite") == 0) {
		book_sql_added_sqlite(stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "install") == 0)
		return install(stdin, stdout);
	if (argc == 2 && strcmp(argv[1], "pg-expect") == 0) {
		pg_expect(stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "sqlite-expect") == 0) {
		sqlite_expect(stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "read-only") == 0) {
		read_only(stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "sweep") == 0) {
		sweep(stdout);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "stanza") == 0)
		return stanza(stdout, argc - 2, argv + 2);
	fprintf(stderr,
	        "usage: api_sql install|pg-expect|sqlite-expect|read-only|sweep|stanza ID...|"
	        "upgrade VERSION|book-stanza VERSION|book-expect pg|sqlite|book-added-sqlite\n");
	return 2;
}
