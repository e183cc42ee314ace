/*
 * desired_statements.c — the desired schema is a description, not a program
 * (docs/schema-as-code.md, docs/security.md): before any of it runs, the
 * server's own parser (raw_parser) splits it and each statement's node kind
 * decides. Schema statements run in the scratch place (CREATE, ALTER, DROP,
 * COMMENT ON of tables, indexes, views, sequences, types, domains,
 * functions, operators, triggers, rules, policies, statistics, schemas,
 * extensions),
 * and the GRANT and REVOKE of tables, columns, sequences and routines
 * (the plan gives the rights they leave: generate_rights_plan.c).
 * What a schema dump carries that the model does not hold is read and left
 * out (blanked, so lines keep their numbers): CREATE SCHEMA name (the
 * scratch place makes every schema the file names beforehand), CREATE
 * EXTENSION and COMMENT ON EXTENSION (extensions are shared, not mapped:
 * one not installed is made by the caller before the file runs and
 * planned, generate_extensions.c; one installed that a whole database's
 * pg_dump leaves out is dropped by the plan), owners
 * (ALTER ... OWNER TO), pg_dump's preamble
 * (SET of a timeout or client_encoding, SELECT pg_catalog.set_config(
 * 'search_path', '', false)). The few session settings a schema file sets
 * for its own reading (check_function_bodies, standard_conforming_strings,
 * search_path, ...) run, undone with the scratch place. Everything else is
 * refused before anything runs, by a dbcare: error naming the statement:
 * DO, COPY, SELECT, CALL, INSERT, UPDATE, DELETE, MERGE, CREATE TABLE AS, a
 * materialized view WITH DATA, SET ROLE and other settings, roles and
 * their membership, default privileges, rights on other objects (schemas,
 * types, the database), event triggers, publications,
 * transaction control.
 */
#include "pg/host/glue.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/transam.h"
#include "catalog/pg_extension.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "tcop/utility.h"
#include "utils/builtins.h"

#include <string.h>

typedef enum { RUN, LEAVE_OUT, REFUSE } verdict;

/* Settings a schema file sets for its own reading: run (and undone). */
static const char *const read_settings[] = {"check_function_bodies",
                                            "standard_conforming_strings",
                                            "xmloption",
                                            "client_min_messages",
                                            "row_security",
                                            "default_tablespace",
                                            "search_path",
                                            "default_with_oids",
                                            "default_table_access_method",
                                            "escape_string_warning",
                                            NULL};
/* pg_dump's preamble settings that would loosen the caller's session: not run. */
static const char *const left_settings[] = {
    "statement_timeout",    "lock_timeout",    "idle_in_transaction_session_timeout",
    "idle_session_timeout", "client_encoding", NULL};

static bool listed(const char *const *list, const char *name)
{
	for (int i = 0; name && list[i]; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

static verdict of_setting(const VariableSetStmt *s)
{
	if (s->kind != VAR_SET_VALUE && s->kind != VAR_SET_DEFAULT && s->kind != VAR_RESET)
		return REFUSE;
	if (listed(read_settings, s->name))
		return RUN;
	return listed(left_settings, s->name) ? LEAVE_OUT : REFUSE;
}

static bool is_const(Node *n)
{
	return n && IsA(n, A_Const);
}

/* pg_dump's SELECT pg_catalog.set_config('search_path', '', false): a call
 * of set_config on constants, for search_path, and nothing else. */
static bool is_dump_search_path(const SelectStmt *s)
{
	if (s->fromClause || s->whereClause || s->withClause || s->groupClause || s->havingClause ||
	    s->op != SETOP_NONE || list_length(s->targetList) != 1)
		return false;
	ResTarget *rt = linitial_node(ResTarget, s->targetList);
	if (!rt->val || !IsA(rt->val, FuncCall))
		return false;
	FuncCall *f = (FuncCall *)rt->val;
	const char *name = strVal(llast(f->funcname));
	if (strcmp(name, "set_config") != 0 || list_length(f->args) != 3 ||
	    (list_length(f->funcname) == 2 &&
	     strcmp(strVal(linitial(f->funcname)), "pg_catalog") != 0) ||
	    list_length(f->funcname) > 2)
		return false;
	ListCell *lc;
	foreach (lc, f->args)
		if (!is_const(lfirst(lc)))
			return false;
	A_Const *what = linitial_node(A_Const, f->args);
	return !what->isnull && IsA(&what->val, String) &&
	       strcmp(strVal(&what->val), "search_path") == 0;
}

/* An ALTER TABLE whose every command gives an owner. */
static bool only_owner(const AlterTableStmt *s)
{
	ListCell *lc;
	foreach (lc, s->cmds)
		if (lfirst_node(AlterTableCmd, lc)->subtype != AT_ChangeOwner)
			return false;
	return s->cmds != NIL;
}

/* A schema is made in the scratch place beforehand, by its name
 * (pgdbc_scratch_desired): its CREATE SCHEMA is left out. One that holds
 * its objects, or is named by its AUTHORIZATION alone, is refused. */
static verdict of_schema(const CreateSchemaStmt *s)
{
	return s->schemaname && s->schemaElts == NIL ? LEAVE_OUT : REFUSE;
}

/* The rights of tables (views, columns), sequences and routines run
 * there and are planned (generate_rights_plan.c); the other GRANT and
 * REVOKE forms, default privileges and role membership are refused. */
static verdict of_grant(const GrantStmt *g)
{
	if (g->targtype != ACL_TARGET_OBJECT && g->targtype != ACL_TARGET_ALL_IN_SCHEMA)
		return REFUSE;
	switch (g->objtype) {
	case OBJECT_TABLE:
	case OBJECT_SEQUENCE:
	case OBJECT_FUNCTION:
	case OBJECT_PROCEDURE:
	case OBJECT_ROUTINE:
		return g->grantor ? REFUSE : RUN;
	default:
		return REFUSE;
	}
}

static verdict of_stmt(Node *n)
{
	switch (nodeTag(n)) {
	case T_CreateStmt:
	case T_IndexStmt:
	case T_ViewStmt:
	case T_CreateSeqStmt:
	case T_AlterSeqStmt:
	case T_CompositeTypeStmt:
	case T_CreateEnumStmt:
	case T_CreateRangeStmt:
	case T_AlterEnumStmt:
	case T_AlterTypeStmt:
	case T_CreateDomainStmt:
	case T_AlterDomainStmt:
	case T_CreateFunctionStmt:
	case T_AlterFunctionStmt:
	case T_CreateTrigStmt:
	case T_RuleStmt:
	case T_CreatePolicyStmt:
	case T_AlterPolicyStmt:
	case T_CreateStatsStmt:
	case T_AlterStatsStmt:
	case T_CreateCastStmt:
	case T_DropStmt:
	case T_RenameStmt:
	case T_AlterObjectSchemaStmt:
	case T_DefineStmt: /* aggregates, types, collations, operators */
		return RUN;
	case T_CreateSchemaStmt:
		return of_schema((CreateSchemaStmt *)n);
	case T_CreateExtensionStmt:
		/* extensions are the database's, shared with the scratch place:
		 * one installed already is left out (pg_dump writes it); another
		 * is made there by the caller before the file runs, and planned
		 * (generate_extensions.c), never by the one-time role */
		return LEAVE_OUT;
	case T_CommentStmt:
		/* an extension's comment is the extension's, as it is (pg_dump
		 * writes it with every extension, dbcare's own included); the
		 * one-time role may not set it, nor would the plan */
		return ((CommentStmt *)n)->objtype == OBJECT_EXTENSION ? LEAVE_OUT : RUN;
	case T_AlterTableStmt:
		return only_owner((AlterTableStmt *)n) ? LEAVE_OUT : RUN;
	case T_AlterOwnerStmt:
		return LEAVE_OUT; /* owners: not in the model, not the file's to give */
	case T_GrantStmt:
		return of_grant((GrantStmt *)n);
	case T_VariableSetStmt:
		return of_setting((VariableSetStmt *)n);
	case T_SelectStmt:
		return is_dump_search_path((SelectStmt *)n) ? LEAVE_OUT : REFUSE;
	case T_CreateTableAsStmt: {
		const CreateTableAsStmt *c = (CreateTableAsStmt *)n;
		return c->objtype == OBJECT_MATVIEW && c->into && c->into->skipData ? RUN : REFUSE;
	}
	default:
		return REFUSE;
	}
}

static const char *why_refused(Node *n)
{
	switch (nodeTag(n)) {
	case T_DoStmt:
	case T_CallStmt:
		return "runs code";
	case T_CopyStmt:
		return "reads or writes data, files or programs";
	case T_InsertStmt:
	case T_UpdateStmt:
	case T_DeleteStmt:
	case T_MergeStmt:
		return "writes rows, which a schema has none of";
	case T_SelectStmt:
	case T_CreateTableAsStmt:
		return "runs a query (a materialized view is declared WITH NO DATA)";
	case T_VariableSetStmt:
		return "sets a session setting a schema does not need";
	case T_CreateEventTrigStmt:
	case T_AlterEventTrigStmt:
		return "makes an event trigger, which runs on every DDL command of the database";
	case T_GrantStmt:
		return "gives or takes rights the generator does not plan (it plans the rights of "
		       "tables, columns, sequences and routines, granted by their owner): write it in "
		       "a migration of its own";
	case T_AlterDefaultPrivilegesStmt:
		return "sets default privileges, which the generator does not plan: write it in a "
		       "migration of its own";
	case T_GrantRoleStmt:
		return "grants or revokes a role's membership, which is not the schema's: write it in "
		       "a migration of its own";
	case T_CreateSchemaStmt:
		return "makes a schema by its owner's name or with objects inside (write CREATE SCHEMA "
		       "name, then each object by a statement of its own)";
	case T_CreatePublicationStmt:
	case T_AlterPublicationStmt:
		return "makes or changes a publication, which is the database's (logical replication), "
		       "and the generator does not plan it: write it in a migration of its own";
	default:
		return "is not a schema statement";
	}
}

static bool listed_ext(const dbc_strlist *l, const char *name)
{
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->items[i], name) == 0)
			return true;
	return false;
}

static int line_at(const char *sql, int off)
{
	int line = 1;
	for (int i = 0; i < off && sql[i]; i++)
		line += sql[i] == '\n';
	return line;
}

/* [*loc, *loc + *len) of a statement, blanks and comments before it skipped. */
static void statement_span(const char *sql, const RawStmt *rs, int *loc, int *len)
{
	int at = rs->stmt_location > 0 ? rs->stmt_location : 0;
	int n = rs->stmt_len > 0 ? rs->stmt_len : (int)strlen(sql + at);
	for (;;) {
		while (n > 0 && (sql[at] == ' ' || sql[at] == '\t' || sql[at] == '\n' || sql[at] == '\r'))
			at++, n--;
		if (n < 2 || sql[at] != '-' || sql[at + 1] != '-')
			break;
		while (n > 0 && sql[at] != '\n')
			at++, n--;
	}
	*loc = at;
	*len = n;
}

static int refused(dbc_ctx *ctx, const char *sql, Node *n, int loc, int len)
{
	char *shown = dbc_strndup(ctx, sql + loc, (size_t)(len > 80 ? 80 : len));
	for (char *c = shown; c && *c; c++)
		if (*c == '\n' || *c == '\r' || *c == '\t')
			*c = ' ';
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
	          "the desired schema may hold only schema statements: line %d (%s%s) is %s, which %s",
	          line_at(sql, loc), shown ? shown : "", len > 80 ? "..." : "", CreateCommandName(n),
	          why_refused(n));
	dbc_error_hint(ctx, "A desired schema describes tables, indexes, views, types and functions; "
	                    "code, data, queries and settings belong in a migration.");
	return DBC_ERROR;
}

/* The statements of sql, parsed into *stmts (NIL: none, an empty desired
 * schema, which a plan reaches by dropping everything); false with the
 * parser's error as ctx's. */
static bool parsed(dbc_ctx *ctx, const char *sql, List **out)
{
	MemoryContext cxt = CurrentMemoryContext;
	List *volatile stmts = NIL;
	PG_TRY();
	{
		stmts = raw_parser(sql, RAW_PARSE_DEFAULT);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		ErrorData *ed = CopyErrorData();
		FlushErrorState();
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "the desired schema does not parse at line %d: %s",
		          line_at(sql, ed->cursorpos > 0 ? ed->cursorpos - 1 : 0), ed->message);
		FreeErrorData(ed);
		return false;
	}
	PG_END_TRY();
	*out = stmts;
	return true;
}

/* Whether sql is a whole database's pg_dump: pg_dump's heading, and (as
 * -n leaves every extension out) a CREATE EXTENSION among its statements. */
static bool whole_database_dump(const char *sql, List *extensions)
{
	return extensions != NIL && strstr(sql, "\n-- Dumped by pg_dump version ") != NULL;
}

/* A whole database's dump names every extension of its database: one this
 * database has that the file does not make goes (the plan drops it, with
 * allow_drop), into *drop, rather than being left in place in silence.
 * Those made with the database (plpgsql), which pg_dump never writes,
 * and dbcare aside. A file written by hand may name a few extensions
 * only. */
static int extensions_left(dbc_ctx *ctx, List *made, dbc_strlist *drop)
{
	Relation rel = table_open(ExtensionRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple tup;
	int rc = DBC_OK;
	while (rc == DBC_OK && HeapTupleIsValid(tup = systable_getnext(scan))) {
		Form_pg_extension e = (Form_pg_extension)GETSTRUCT(tup);
		bool named = e->oid < FirstNormalObjectId || strcmp(NameStr(e->extname), "dbcare") == 0;
		ListCell *lc;
		foreach (lc, made)
			named = named || strcmp((const char *)lfirst(lc), NameStr(e->extname)) == 0;
		if (!named)
			rc = dbc_strlist_add(ctx, drop, dbc_strdup(ctx, NameStr(e->extname)));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return rc;
}

/* A CREATE EXTENSION of one this database has not: into ext->make, with
 * the schema and version it names. */
static int wanted_extension(dbc_ctx *ctx, const CreateExtensionStmt *c, pgdbc_desired_ext *ext)
{
	const char *schema = "", *version = "";
	ListCell *lc;
	if (OidIsValid(get_extension_oid(c->extname, true)) || listed_ext(&ext->make, c->extname))
		return DBC_OK;
	foreach (lc, c->options) {
		DefElem *d = lfirst_node(DefElem, lc);
		if (strcmp(d->defname, "schema") == 0)
			schema = defGetString(d);
		else if (strcmp(d->defname, "new_version") == 0)
			version = defGetString(d);
	}
	return dbc_strlist_add(ctx, &ext->make, dbc_strdup(ctx, c->extname)) == DBC_OK &&
	               dbc_strlist_add(ctx, &ext->make_schema, dbc_strdup(ctx, schema)) == DBC_OK &&
	               dbc_strlist_add(ctx, &ext->make_version, dbc_strdup(ctx, version)) == DBC_OK
	           ? DBC_OK
	           : DBC_ERROR;
}

int pgdbc_desired_statements(dbc_ctx *ctx, const char *sql, char **runnable, int **starts,
                             int *nstarts, pgdbc_desired_ext *ext)
{
	List *extensions = NIL; /* the extensions the file makes */
	int n = 0;
	List *stmts;
	if (!parsed(ctx, sql, &stmts))
		return DBC_ERROR;
	char *out = dbc_strdup(ctx, sql);
	int *at = dbc_alloc(ctx, sizeof(int) * (size_t)(list_length(stmts) + 1));
	if (!out || !at)
		return DBC_ERROR;
	ListCell *lc;
	foreach (lc, stmts) {
		RawStmt *rs = lfirst_node(RawStmt, lc);
		int loc, len;
		statement_span(sql, rs, &loc, &len);
		verdict v = of_stmt(rs->stmt);
		if (v == REFUSE)
			return refused(ctx, sql, rs->stmt, loc, len);
		if (IsA(rs->stmt, CreateExtensionStmt)) {
			extensions = lappend(extensions, ((CreateExtensionStmt *)rs->stmt)->extname);
			if (wanted_extension(ctx, (CreateExtensionStmt *)rs->stmt, ext) != DBC_OK)
				return DBC_ERROR;
		}
		if (v == RUN)
			at[n++] = loc;
		else
			for (int i = loc; i < loc + len; i++)
				if (out[i] != '\n')
					out[i] = ' ';
	}
	if (whole_database_dump(sql, extensions) &&
	    extensions_left(ctx, extensions, &ext->drop) != DBC_OK)
		return DBC_ERROR;
	*runnable = out;
	*starts = at;
	*nstarts = n;
	return DBC_OK;
}
