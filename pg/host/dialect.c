/*
 * dialect.c — what the core needs to know about PostgreSQL, as data (dbc.h:
 * dbc_dialect), and PostgreSQL's own policy the core applies through it
 * (the privilege hints). No PostgreSQL header: the unit tests link this
 * file too. Fields left out are false or NULL: every table has a schema and
 * no rowid, names match exactly, CREATE refuses a foreign key without a
 * unique parent key, plain "IS NULL" reads the rows, DELETE ... RETURNING
 * counts, and one aggregate statement counts a constraint's violations.
 *
 * Built into the module and, as data with no engine header, into the
 * command and the unit tests (Makefile: CLI_CORE, DIALECT_SRC).
 */
#include "api/api.h"
#include "base/dbc.h"
#include "book/book.h"
#include "migrate/migrate.h"

static const char *const infixes[] = {"postgres", "postgresql", NULL};
static const char *const foreign_infixes[] = {"sqlite3", "sqlite", NULL};
static const char *const temporal_words[] = {"timestamp", "date", NULL};
/* The reloptions of tables and views PostgreSQL 15 reads with parse_bool. */
static const char *const boolean_options[] = {
    "security_barrier",           "security_invoker",
    "autovacuum_enabled",         "toast.autovacuum_enabled",
    "user_catalog_table",         "vacuum_truncate",
    "toast.vacuum_truncate",      "vacuum_index_cleanup",
    "toast.vacuum_index_cleanup", NULL};

/* The lock each kind of statement takes on its table: the lock table of
 * PostgreSQL 15's documentation ("Explicit Locking"). */
#define AX "ACCESS EXCLUSIVE"

static const char *const lint_locks[DBC_LOP_COUNT] = {
    [DBC_LOP_CREATE_INDEX] = "SHARE",
    [DBC_LOP_DROP_INDEX] = AX,
    [DBC_LOP_ADD_COLUMN] = AX,
    [DBC_LOP_ALTER_TYPE] = AX,
    [DBC_LOP_SET_NOT_NULL] = AX,
    [DBC_LOP_ADD_FOREIGN_KEY] = "SHARE ROW EXCLUSIVE",
    [DBC_LOP_ADD_CHECK] = AX,
    [DBC_LOP_ADD_UNIQUE] = AX,
    [DBC_LOP_VALIDATE] = "SHARE UPDATE EXCLUSIVE",
    [DBC_LOP_DROP_COLUMN] = AX,
    [DBC_LOP_RENAME_TABLE] = AX,
    [DBC_LOP_RENAME_COLUMN] = AX,
    [DBC_LOP_ALTER_CONSTRAINT] = AX,
    [DBC_LOP_ALTER_OTHER] = AX,
    [DBC_LOP_DROP_TABLE] = AX,
    [DBC_LOP_TRUNCATE] = AX,
    [DBC_LOP_VACUUM_FULL] = AX,
    [DBC_LOP_CLUSTER] = AX,
};

/* What a backup's logical verification reads (dbc_dialect.content_query):
 * per table its row count and the sum of a 64-bit hash of each row's text.
 * query_to_xml runs the per-table count and sum (dynamic SQL with the
 * reader's rights, as pg_dump reads the tables), so no row leaves the
 * server; the same server computes both sides of a comparison, and the
 * settings that shape the text (dates, times, floats, bytea, intervals)
 * are pinned. No code of a table's owner runs: the text is record_out
 * called by name, never CAST(row AS text), which would call a cast the
 * owner of the row type may have made with the reader's rights; row
 * security is off (no policy runs: a role it would filter fails instead
 * of reading fewer rows); the types' output functions are the server's (a
 * base type needs a superuser). Ordinary tables (relkind r: a partitioned
 * table's rows are its partitions'), not temporary, outside the system
 * schemas, not an extension's member (CREATE EXTENSION remakes those). */
static const dbc_dialect_setting content_settings[] = {
    {"search_path", DBC_PG_PINNED_SEARCH_PATH},
    {"DateStyle", "ISO, YMD"},
    {"TimeZone", "UTC"},
    {"IntervalStyle", "postgres"},
    {"extra_float_digits", "3"},
    {"bytea_output", "hex"},
    {"row_security", "off"},
};
static const char content_query[] =
    "SELECT CAST(coalesce(pg_catalog.jsonb_object_agg(name, pg_catalog.jsonb_build_object("
    "  'rows', CAST(CAST(x[1] AS text) AS bigint), 'hash', CAST(x[2] AS text))), '{}') AS text)"
    " FROM (SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS name,"
    "   pg_catalog.xpath('/row/*/text()', pg_catalog.query_to_xml(pg_catalog.format("
    "    'SELECT pg_catalog.count(*) AS n, coalesce(pg_catalog.sum("
    "       pg_catalog.hashtextextended(pg_catalog.textin(pg_catalog.record_out(t)), 0)), 0) AS h"
    "    FROM ONLY %I.%I t',"
    "    n.nspname, c.relname), false, true, '')) AS x"
    "  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    "  WHERE c.relkind = 'r' AND c.relpersistence <> 't'"
    "    AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'"
    "    AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d"
    "     WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid"
    "       AND d.deptype = 'e')) s";

/* ALTER COLUMN TYPE through a shadow column (dbc_online_shadow). What the
 * swap carries over to the shadow column, what refuse names instead:
 *   - an index whose keys or INCLUDE list name the column (not an
 *     expression or partial index, not an exclusion constraint's, the
 *     column's operator class its type's default): a copy on the shadow
 *     built CONCURRENTLY before the swap (carried_index_build), renamed in
 *     it; a PRIMARY KEY or UNIQUE constraint added again USING that index;
 *   - foreign keys from or to the column (the other table an ordinary
 *     one) and CHECK constraints: added again NOT VALID in the swap, then
 *     validated when they were (carried_validate);
 *   - views whose query names it (plain views nothing else depends on):
 *     created again with their options, owner, grants and comments;
 *   - policies and triggers that name it: created again as they were;
 *   - a sequence the column owns: owned by the new column.
 * Refused: any other object that depends on the column (rules,
 * materialized views, extended statistics, another column's generation
 * expression), a table partitioned, inherited or typed, an identity or
 * generated column, and row security that hides rows from the migrating
 * role (the batches would miss them). The shadow is added last: a column
 * that was not the table's last ends last (PostgreSQL keeps no other
 * place for a new column). */
/* clang-format off */
#define CARRIED_INDEX(ix) \
	"EXISTS (SELECT FROM pg_catalog.pg_index i WHERE i.indexrelid = " ix " AND i.indrelid = t " \
	"AND i.indexprs IS NULL AND i.indpred IS NULL AND k = ANY (i.indkey::pg_catalog.int2[]) " \
	"AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint x WHERE x.conindid = i.indexrelid " \
	"AND x.contype = 'x') AND coalesce((SELECT p.opcdefault FROM pg_catalog.pg_opclass p " \
	"WHERE p.oid = (i.indclass::pg_catalog.oid[])[pg_catalog.array_position(" \
	"i.indkey::pg_catalog.int2[], k)]), true))"
#define CLASS(name) "'pg_catalog." name "'::pg_catalog.regclass"
/* a dependency row d on the column (t, attnum k) that the swap carries */
#define CARRIED \
	"(d.classid = " CLASS("pg_class") " AND " CARRIED_INDEX("d.objid") ") " \
	"OR (d.classid = " CLASS("pg_class") " AND d.deptype = 'a' AND EXISTS (SELECT FROM " \
	"pg_catalog.pg_class sq WHERE sq.oid = d.objid AND sq.relkind = 'S')) " \
	"OR (d.classid = " CLASS("pg_constraint") " AND EXISTS (SELECT FROM pg_catalog.pg_constraint " \
	"x JOIN pg_catalog.pg_class r ON r.oid = x.conrelid WHERE x.oid = d.objid AND r.relkind = " \
	"'r' AND (x.contype IN ('c', 'f') OR (x.contype IN ('p', 'u') AND " \
	CARRIED_INDEX("x.conindid") ")))) " \
	"OR (d.classid = " CLASS("pg_rewrite") " AND EXISTS (SELECT FROM pg_catalog.pg_rewrite w " \
	"JOIN pg_catalog.pg_class v ON v.oid = w.ev_class WHERE w.oid = d.objid AND w.rulename = " \
	"'_RETURN' AND v.relkind = 'v' AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend e " \
	"WHERE e.refclassid = " CLASS("pg_class") " AND e.refobjid = v.oid AND e.deptype IN ('n', " \
	"'a') AND NOT (e.classid = " CLASS("pg_rewrite") " AND e.objid IN (SELECT u.oid FROM " \
	"pg_catalog.pg_rewrite u WHERE u.ev_class = v.oid))))) " \
	"OR d.classid = " CLASS("pg_policy") " " \
	"OR (d.classid = " CLASS("pg_trigger") " AND EXISTS (SELECT FROM pg_catalog.pg_trigger tg " \
	"WHERE tg.oid = d.objid AND tg.tgrelid = t AND NOT tg.tgisinternal AND tg.tgconstraint = 0))"
/* clang-format on */

static const dbc_online_shadow online_shadow = {
    .refuse =
        "DECLARE t pg_catalog.regclass := pg_catalog.to_regclass(%1$s); k pg_catalog.int2; "
        "why pg_catalog.text; fix pg_catalog.text; "
        "BEGIN SELECT a.attnum INTO k FROM pg_catalog.pg_attribute a WHERE a.attrelid = t "
        "AND a.attname = %2$s AND NOT a.attisdropped; "
        "IF k IS NOT NULL THEN SELECT x.why, x.fix INTO why, fix FROM ("
        "SELECT 1 AS o, 'the table is partitioned, a partition, inherits or is inherited, or is "
        "of a composite type' AS why, 'Run the migration without --online.' AS fix "
        "WHERE EXISTS (SELECT FROM pg_catalog.pg_class r WHERE r.oid = t AND (r.relkind <> 'r' "
        "OR r.reloftype <> 0)) OR EXISTS (SELECT FROM pg_catalog.pg_inherits i "
        "WHERE i.inhrelid = t OR i.inhparent = t) "
        "UNION ALL SELECT 2, 'it is an identity or generated column', "
        "'Run the migration without --online.' WHERE EXISTS (SELECT FROM "
        "pg_catalog.pg_attribute a WHERE a.attrelid = t AND a.attnum = k "
        "AND (a.attidentity <> '' OR a.attgenerated <> '')) "
        "UNION ALL SELECT 4, 'row security applies to the current role on the table (the "
        "batches would not see every row)', 'Run the migration as the table''s owner (without "
        "FORCE ROW LEVEL SECURITY) or as a role with BYPASSRLS.' "
        "WHERE pg_catalog.row_security_active(t) "
        "UNION ALL SELECT 5, pg_catalog.string_agg(pg_catalog.pg_describe_object(d.classid, "
        "d.objid, d.objsubid), ', ' ORDER BY d.classid, d.objid) || ' depend(s) on it', "
        "'Drop them before the ALTER and create them again after it, in the migration, or run "
        "the migration without --online (the swap carries plain indexes, keys, foreign keys, "
        "checks, plain views nothing else uses, policies, triggers and an owned sequence).' "
        "FROM pg_catalog.pg_depend d WHERE d.refclassid = 'pg_catalog.pg_class'::pg_catalog."
        "regclass AND d.refobjid = t AND d.refobjsubid = k AND d.deptype IN ('n', 'a') "
        "AND NOT (d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass AND d.objid IN "
        "(SELECT f.oid FROM pg_catalog.pg_attrdef f WHERE f.adrelid = t AND f.adnum = k)) "
        "AND NOT (" CARRIED ") "
        "HAVING pg_catalog.count(*) > 0) x ORDER BY x.o LIMIT 1; "
        "IF why IS NOT NULL THEN RAISE EXCEPTION USING ERRCODE = 'feature_not_supported', "
        "MESSAGE = pg_catalog.format('migrate --online cannot change the type of column %%I "
        "of %%s through a shadow column: %%s', %2$s, t, why), HINT = fix; END IF; "
        "END IF; END;",
    /* with USING: the backfill's own UPDATE (the shadow NULL before it,
     * set by it, every other column as it was: no BEFORE trigger of the
     * table changed the row) computed the value from this row: the
     * function returns at once. A row another trigger changed is converted
     * again here. */
    .sync_body = "#variable_conflict use_column\nDECLARE dbcare_rest record; BEGIN "
                 "IF TG_OP = 'UPDATE' AND pg_catalog.num_nulls(OLD.%1$s) = 1 AND "
                 "pg_catalog.num_nulls(NEW.%1$s) = 0 THEN dbcare_rest := NEW; "
                 "dbcare_rest.%1$s := NULL; IF dbcare_rest OPERATOR(pg_catalog.*=) OLD THEN "
                 "RETURN NEW; END IF; END IF; NEW.%1$s := %2$s; RETURN NEW; END",
    /* no USING: an assignment, converted by PL/pgSQL (an assignment cast
     * found by the types' OIDs, else the types' text output and input: no
     * name is looked up, so no search_path is pinned). Each call costs about a third of sync_body's
     * under its pinned search_path (a client's single-row UPDATE about 24,000 instructions more
     * than with no trigger, against 42,000; a row of the backfill 10,000, against 26,000), so a row
     * the backfill filled is simply converted again. */
    .sync_column_body = "BEGIN NEW.%1$s := NEW.%2$s; RETURN NEW; END",
    .sync_using = "(SELECT %1$s FROM (SELECT NEW.*) AS %2$s)",
    .sync_function = "CREATE FUNCTION %1$s() RETURNS trigger LANGUAGE plpgsql %3$sAS %2$s",
    .sync_pinned = "SET search_path FROM CURRENT ",
    .sync_revoke = "REVOKE ALL ON FUNCTION %1$s() FROM PUBLIC",
    .sync_trigger = "CREATE TRIGGER %1$s BEFORE INSERT OR UPDATE ON %2$s FOR EACH ROW "
                    "EXECUTE FUNCTION %3$s()",
    .sync_always = "ALTER TABLE %2$s ENABLE ALWAYS TRIGGER %1$s",
    /* num_nulls: the value itself NULL, never a row value of NULL fields */
    .unfilled = "pg_catalog.num_nulls(%1$s) = 1 AND pg_catalog.num_nulls(%2$s) = 0",
    .not_null =
        "SELECT pg_catalog.format('ALTER TABLE %%s ADD CONSTRAINT %%I CHECK (%%I IS NOT NULL) "
        "NOT VALID', a.attrelid::pg_catalog.regclass, %4$s, %3$s) FROM pg_catalog.pg_attribute a "
        "WHERE a.attrelid = pg_catalog.to_regclass(%1$s) AND a.attname = %2$s AND a.attnotnull "
        "AND NOT a.attisdropped AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint k "
        "WHERE k.conrelid = a.attrelid AND k.conname = %4$s)",
    .validate = "SELECT pg_catalog.format('ALTER TABLE %%s VALIDATE CONSTRAINT %%I', "
                "k.conrelid::pg_catalog.regclass, k.conname) FROM pg_catalog.pg_constraint k "
                "WHERE k.conrelid = pg_catalog.to_regclass(%1$s) AND k.conname = %2$s "
                "AND NOT k.convalidated",
    /* the copies of the column's indexes on the shadow, built
     * CONCURRENTLY under a name of the old index's OID: an invalid one a
     * killed build left is dropped first, a valid one is not built again */
    .carried_index_build =
        "SELECT y.s FROM (SELECT t, (SELECT a.attnum FROM pg_catalog.pg_attribute a "
        "WHERE a.attrelid = r.t AND a.attname = %2$s AND NOT a.attisdropped) AS k "
        "FROM (SELECT pg_catalog.to_regclass(%1$s) AS t) r) m, LATERAL ("
        "SELECT 1 AS o, j.indexrelid AS x, pg_catalog.format('DROP INDEX CONCURRENTLY %%s', "
        "j.indexrelid::pg_catalog.regclass) AS s FROM pg_catalog.pg_index j "
        "JOIN pg_catalog.pg_class jc ON jc.oid = j.indexrelid WHERE j.indrelid = m.t "
        "AND NOT j.indisvalid AND jc.relname LIKE 'dbcare\\_online\\_ix\\_%%' "
        "UNION ALL SELECT 2, i.indexrelid, pg_catalog.format("
        "'CREATE %%sINDEX CONCURRENTLY IF NOT EXISTS %%I ON %%s USING %%I (%%s)%%s%%s%%s%%s', "
        "CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END, 'dbcare_online_ix_' || i.indexrelid, "
        "m.t, am.amname, c.keys, ' INCLUDE (' || c.incl || ')', "
        "CASE WHEN i.indnullsnotdistinct THEN ' NULLS NOT DISTINCT' ELSE '' END, "
        "' WITH (' || pg_catalog.array_to_string(ic.reloptions, ', ') || ')', "
        "CASE WHEN ic.reltablespace <> 0 THEN ' TABLESPACE ' || pg_catalog.quote_ident("
        "(SELECT sp.spcname FROM pg_catalog.pg_tablespace sp WHERE sp.oid = ic.reltablespace)) "
        "ELSE '' END) "
        "FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
        "JOIN pg_catalog.pg_am am ON am.oid = ic.relam, LATERAL (SELECT "
        "pg_catalog.string_agg(CASE WHEN e.a = m.k THEN pg_catalog.quote_ident(%3$s) "
        "ELSE pg_catalog.quote_ident(at.attname) || CASE WHEN e.coll <> 0 AND e.coll <> "
        "at.attcollation THEN ' COLLATE ' || CAST(e.coll::pg_catalog.regcollation AS "
        "pg_catalog.text) ELSE '' END || CASE WHEN NOT p.opcdefault THEN pg_catalog.format("
        "' %%I.%%I', pn.nspname, p.opcname) ELSE '' END END || CASE WHEN e.opt & 1 = 1 THEN "
        "' DESC' || CASE WHEN e.opt & 2 = 0 THEN ' NULLS LAST' ELSE '' END "
        "WHEN e.opt & 2 = 2 THEN ' NULLS FIRST' ELSE '' END, ', ' ORDER BY e.n) "
        "FILTER (WHERE e.n <= i.indnkeyatts) AS keys, pg_catalog.string_agg(CASE WHEN e.a = m.k "
        "THEN pg_catalog.quote_ident(%3$s) ELSE pg_catalog.quote_ident(at.attname) END, ', ' "
        "ORDER BY e.n) FILTER (WHERE e.n > i.indnkeyatts) AS incl "
        "FROM ROWS FROM (pg_catalog.unnest(i.indkey::pg_catalog.int2[]), pg_catalog.unnest("
        "i.indoption::pg_catalog.int2[]), pg_catalog.unnest(i.indclass::pg_catalog.oid[]), "
        "pg_catalog.unnest(i.indcollation::pg_catalog.oid[])) WITH ORDINALITY "
        "AS e(a, opt, cls, coll, n) JOIN pg_catalog.pg_attribute at ON at.attrelid = i.indrelid "
        "AND at.attnum = e.a LEFT JOIN pg_catalog.pg_opclass p ON p.oid = e.cls "
        "LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = p.opcnamespace) c "
        "WHERE i.indrelid = m.t AND " CARRIED_INDEX("ic.oid") ") y ORDER BY y.o, y.x",
    /* the constraints the swap added again NOT VALID that were valid: the
     * swap recorded them (%1$s version, %2$d the record's step) */
    .carried_validate =
        "SELECT pg_catalog.format('ALTER TABLE %%s VALIDATE CONSTRAINT %%I', "
        "x.conrelid::pg_catalog.regclass, x.conname) FROM pg_catalog.json_array_elements("
        "CAST(coalesce(dbmigrate_online_done(%1$s)::pg_catalog.json -> %1$s ->> '%2$d', '[]') "
        "AS pg_catalog.json)) e JOIN pg_catalog.pg_constraint x ON x.conrelid = "
        "pg_catalog.to_regclass(e ->> 0) AND x.conname = e ->> 1 WHERE NOT x.convalidated "
        "ORDER BY x.oid",
    /* the carried objects: pre, what goes before the old column is
     * dropped (views, policies, triggers, constraints, indexes, a
     * sequence's owner, in that order); post, what comes after the
     * rename, each object's statements put first, so in the reverse
     * order; val, the constraints to validate, recorded. They are read
     * twice: pass 1 before the lock, pass 2 under it. What the swap does
     * is pass 2's alone; pass 1 parses its queries (PL/pgSQL keeps each
     * parsed statement for the block's run) and reads the catalog's pages,
     * so that the clients queued behind the lock wait for pass 2's reads
     * from a warm cache, not for a cold parse of a dozen catalog joins
     * (pass 2 still plans its parameterized queries: their first runs get
     * custom plans). The loop's variable is the loop's own. */
    .swap =
        "DECLARE t pg_catalog.regclass := pg_catalog.to_regclass(%1$s); c record; g record; "
        "ob record; k pg_catalog.int2; s pg_catalog.text; pre pg_catalog.text[]; "
        "post pg_catalog.text[]; val pg_catalog.jsonb; "
        "BEGIN FOR pass IN 1..2 LOOP "
        "IF pass = 2 THEN EXECUTE pg_catalog.format('LOCK TABLE %%s IN ACCESS EXCLUSIVE MODE', "
        "t); END IF; "
        "pre := '{}'; post := '{}'; val := '[]'; "
        "%7$s "
        "SELECT a.attnum, a.attnotnull, a.attstattarget, a.attoptions, a.attacl, "
        "pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS def, "
        "pg_catalog.col_description(a.attrelid, a.attnum) AS note INTO c "
        "FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef d "
        "ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE a.attrelid = t AND a.attname = %2$s AND NOT a.attisdropped; "
        "k := c.attnum; "
        "SELECT CAST(i.indexrelid::pg_catalog.regclass AS pg_catalog.text) INTO s "
        "FROM pg_catalog.pg_index i WHERE i.indrelid = t AND k = ANY "
        "(i.indkey::pg_catalog.int2[]) AND NOT EXISTS (SELECT FROM pg_catalog.pg_index j "
        "JOIN pg_catalog.pg_class jc ON jc.oid = j.indexrelid WHERE j.indrelid = t "
        "AND jc.relname = 'dbcare_online_ix_' || i.indexrelid AND j.indisvalid) LIMIT 1; "
        "IF s IS NOT NULL THEN RAISE EXCEPTION USING ERRCODE = "
        "'object_not_in_prerequisite_state', MESSAGE = pg_catalog.format('migrate --online "
        "cannot swap column %%I of %%s: index %%s has no copy on the shadow column', %2$s, t, "
        "s), HINT = 'Undo the run with dbcare rollback, then run it again.'; END IF; "
        /* views */
        "FOR ob IN SELECT v.oid, CAST(v.oid::pg_catalog.regclass AS pg_catalog.text) AS name, "
        "pg_catalog.pg_get_viewdef(v.oid) AS def, v.reloptions, v.relacl, "
        "pg_catalog.pg_get_userbyid(v.relowner) AS owner, "
        "pg_catalog.obj_description(v.oid, 'pg_class') AS note FROM pg_catalog.pg_class v "
        "WHERE v.relkind = 'v' AND v.oid IN (SELECT w.ev_class FROM pg_catalog.pg_depend d "
        "JOIN pg_catalog.pg_rewrite w ON w.oid = d.objid WHERE d.classid = "
        "'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.refclassid = "
        "'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = t AND d.refobjsubid = k) "
        "ORDER BY v.oid LOOP "
        "pre := pre || pg_catalog.format('DROP VIEW %%s', ob.name); "
        "post := pg_catalog.array_remove(ARRAY[pg_catalog.format('CREATE VIEW %%s%%s AS %%s', "
        "ob.name, ' WITH (' || pg_catalog.array_to_string(ob.reloptions, ', ') || ')', ob.def), "
        "pg_catalog.format('ALTER VIEW %%s OWNER TO %%I', ob.name, ob.owner), "
        "pg_catalog.format('COMMENT ON VIEW %%s IS %%L', ob.name, ob.note)], NULL) "
        "|| ARRAY(SELECT pg_catalog.format('COMMENT ON COLUMN %%s.%%I IS %%L', ob.name, "
        "a.attname, pg_catalog.col_description(ob.oid, a.attnum)) FROM pg_catalog.pg_attribute "
        "a WHERE a.attrelid = ob.oid AND a.attnum > 0 AND pg_catalog.col_description(ob.oid, "
        "a.attnum) IS NOT NULL ORDER BY a.attnum) "
        "|| ARRAY(SELECT pg_catalog.format('GRANT %%s%%s ON %%s TO %%s%%s', x.privilege_type, "
        "' (' || pg_catalog.quote_ident(x.col) || ')', ob.name, CASE WHEN x.grantee = 0 "
        "THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(x.grantee)) END, "
        "CASE WHEN x.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) FROM ("
        "SELECT NULL::pg_catalog.name AS col, (pg_catalog.aclexplode(ob.relacl)).* UNION ALL "
        "SELECT a.attname, (pg_catalog.aclexplode(a.attacl)).* FROM pg_catalog.pg_attribute a "
        "WHERE a.attrelid = ob.oid AND a.attnum > 0) x) || post; END LOOP; "
        /* policies */
        "FOR ob IN SELECT p.polname, pg_catalog.format('CREATE POLICY %%I ON %%s AS %%s FOR %%s "
        "TO %%s', p.polname, t, CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE "
        "'RESTRICTIVE' END, CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' "
        "WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END, (SELECT "
        "pg_catalog.string_agg(CASE WHEN o = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident("
        "pg_catalog.pg_get_userbyid(o)) END, ', ') FROM pg_catalog.unnest(p.polroles) o)) "
        "|| coalesce(' USING (' || pg_catalog.pg_get_expr(p.polqual, p.polrelid) || ')', '') "
        "|| coalesce(' WITH CHECK (' || pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) "
        "|| ')', '') AS def, pg_catalog.obj_description(p.oid, 'pg_policy') AS note "
        "FROM pg_catalog.pg_policy p WHERE p.polrelid = t AND EXISTS (SELECT FROM "
        "pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_policy'::pg_catalog.regclass "
        "AND d.objid = p.oid AND d.refobjid = t AND d.refobjsubid = k) ORDER BY p.oid LOOP "
        "pre := pre || pg_catalog.format('DROP POLICY %%I ON %%s', ob.polname, t); "
        "post := pg_catalog.array_remove(ARRAY[ob.def, pg_catalog.format("
        "'COMMENT ON POLICY %%I ON %%s IS %%L', ob.polname, t, ob.note)], NULL) || post; "
        "END LOOP; "
        /* triggers */
        "FOR ob IN SELECT tg.tgname, tg.tgenabled, pg_catalog.pg_get_triggerdef(tg.oid) AS def, "
        "pg_catalog.obj_description(tg.oid, 'pg_trigger') AS note FROM pg_catalog.pg_trigger tg "
        "WHERE tg.tgrelid = t AND NOT tg.tgisinternal AND EXISTS (SELECT FROM "
        "pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_trigger'::pg_catalog.regclass "
        "AND d.objid = tg.oid AND d.refobjid = t AND d.refobjsubid = k) ORDER BY tg.oid LOOP "
        "pre := pre || pg_catalog.format('DROP TRIGGER %%I ON %%s', ob.tgname, t); "
        "post := pg_catalog.array_remove(ARRAY[ob.def, CASE WHEN ob.tgenabled <> 'O' THEN "
        "pg_catalog.format('ALTER TABLE %%s %%s TRIGGER %%I', t, CASE ob.tgenabled WHEN 'D' "
        "THEN 'DISABLE' WHEN 'R' THEN 'ENABLE REPLICA' ELSE 'ENABLE ALWAYS' END, ob.tgname) "
        "END, pg_catalog.format("
        "'COMMENT ON TRIGGER %%I ON %%s IS %%L', ob.tgname, t, ob.note)], NULL) || post; "
        "END LOOP; "
        /* CHECK and foreign keys, from the column or to it */
        "FOR ob IN SELECT x.conname, CAST(x.conrelid::pg_catalog.regclass AS pg_catalog.text) "
        "AS rel, x.convalidated, pg_catalog.pg_get_constraintdef(x.oid) AS def, "
        "pg_catalog.obj_description(x.oid, 'pg_constraint') AS note "
        "FROM pg_catalog.pg_constraint x WHERE x.contype IN ('c', 'f') AND ((x.conrelid = t "
        "AND k = ANY (x.conkey)) OR (x.confrelid = t AND k = ANY (x.confkey))) "
        "ORDER BY x.oid LOOP "
        "pre := pre || pg_catalog.format('ALTER TABLE %%s DROP CONSTRAINT %%I', ob.rel, "
        "ob.conname); "
        "post := pg_catalog.array_remove(ARRAY[pg_catalog.format('ALTER TABLE %%s ADD "
        "CONSTRAINT %%I %%s%%s', ob.rel, ob.conname, ob.def, CASE WHEN ob.convalidated THEN "
        "' NOT VALID' ELSE '' END), pg_catalog.format('COMMENT ON CONSTRAINT %%I ON %%s IS "
        "%%L', ob.conname, ob.rel, ob.note)], NULL) || post; "
        "IF ob.convalidated THEN val := val || pg_catalog.jsonb_build_array("
        "pg_catalog.jsonb_build_array(ob.rel, ob.conname)); END IF; END LOOP; "
        /* indexes: the copy renamed, a key added again using it */
        "FOR ob IN SELECT i.indexrelid, ic.relname, n.nspname, x.conname, x.contype, "
        "x.condeferrable, x.condeferred, i.indisclustered, i.indisreplident, "
        "pg_catalog.obj_description(i.indexrelid, 'pg_class') AS inote, "
        "pg_catalog.obj_description(x.oid, 'pg_constraint') AS cnote "
        "FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace LEFT JOIN "
        "pg_catalog.pg_constraint x ON x.conindid = i.indexrelid AND x.conrelid = t "
        "AND x.contype IN ('p', 'u') WHERE i.indrelid = t AND k = ANY "
        "(i.indkey::pg_catalog.int2[]) ORDER BY i.indexrelid LOOP "
        "pre := pre || CASE WHEN ob.conname IS NULL THEN pg_catalog.format('DROP INDEX "
        "%%I.%%I', ob.nspname, ob.relname) ELSE pg_catalog.format('ALTER TABLE %%s DROP "
        "CONSTRAINT %%I', t, ob.conname) END; "
        "post := pg_catalog.array_remove(ARRAY[pg_catalog.format('ALTER TABLE %%I.%%I RENAME "
        "COLUMN %%I TO %%I', ob.nspname, 'dbcare_online_ix_' || ob.indexrelid, %3$s, %2$s), "
        "pg_catalog.format('ALTER INDEX %%I.%%I RENAME "
        "TO %%I', ob.nspname, 'dbcare_online_ix_' || ob.indexrelid, ob.relname), "
        "CASE WHEN ob.conname IS NOT NULL THEN "
        "pg_catalog.format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s USING INDEX %%I%%s', t, "
        "ob.conname, CASE ob.contype WHEN 'p' THEN 'PRIMARY KEY' ELSE 'UNIQUE' END, ob.relname, "
        "CASE WHEN ob.condeferred THEN ' DEFERRABLE INITIALLY DEFERRED' WHEN ob.condeferrable "
        "THEN ' DEFERRABLE' ELSE '' END) END, pg_catalog.format('COMMENT ON INDEX %%I.%%I IS "
        "%%L', ob.nspname, coalesce(ob.conname, ob.relname), ob.inote), CASE WHEN ob.cnote IS NOT "
        "NULL THEN pg_catalog.format('COMMENT ON CONSTRAINT %%I ON %%s IS %%L', ob.conname, t, "
        "ob.cnote) END, CASE WHEN "
        "ob.indisclustered THEN pg_catalog.format('ALTER TABLE %%s CLUSTER ON %%I', t, "
        "coalesce(ob.conname, ob.relname)) END, CASE WHEN ob.indisreplident THEN "
        "pg_catalog.format('ALTER TABLE %%s REPLICA IDENTITY USING INDEX %%I', t, "
        "coalesce(ob.conname, ob.relname)) END], NULL) || post; END LOOP; "
        /* a sequence the column owns */
        "FOR ob IN SELECT CAST(q.oid::pg_catalog.regclass AS pg_catalog.text) AS name "
        "FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class q ON q.oid = d.objid "
        "WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = t "
        "AND d.refobjsubid = k AND d.deptype = 'a' AND q.relkind = 'S' LOOP "
        "pre := pre || pg_catalog.format('ALTER SEQUENCE %%s OWNED BY NONE', ob.name); "
        "post := pg_catalog.format('ALTER SEQUENCE %%s OWNED BY %%s.%%I', ob.name, t, %2$s) "
        "|| post; END LOOP; "
        "END LOOP; "
        "EXECUTE pg_catalog.format('DROP TRIGGER %%I ON %%s', %4$s, t); "
        "EXECUTE pg_catalog.format('DROP FUNCTION %%s', %5$s); "
        "IF c.def IS NOT NULL THEN EXECUTE pg_catalog.format("
        "'ALTER TABLE %%s ALTER COLUMN %%I SET DEFAULT %%s', t, %3$s, c.def); END IF; "
        "IF c.attnotnull THEN EXECUTE pg_catalog.format("
        "'ALTER TABLE %%s ALTER COLUMN %%I SET NOT NULL', t, %3$s); "
        "EXECUTE pg_catalog.format('ALTER TABLE %%s DROP CONSTRAINT %%I', t, %6$s); END IF; "
        "IF c.attstattarget >= 0 THEN EXECUTE pg_catalog.format("
        "'ALTER TABLE %%s ALTER COLUMN %%I SET STATISTICS %%s', t, %3$s, c.attstattarget); "
        "END IF; "
        "IF c.attoptions IS NOT NULL THEN EXECUTE pg_catalog.format("
        "'ALTER TABLE %%s ALTER COLUMN %%I SET (%%s)', t, %3$s, "
        "pg_catalog.array_to_string(c.attoptions, ', ')); END IF; "
        "IF c.note IS NOT NULL THEN EXECUTE pg_catalog.format("
        "'COMMENT ON COLUMN %%s.%%I IS %%L', t, %3$s, c.note); END IF; "
        "FOR g IN SELECT x.privilege_type, x.is_grantable, CASE WHEN x.grantee = 0 "
        "THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(x.grantee)) END "
        "AS who FROM pg_catalog.aclexplode(c.attacl) x LOOP EXECUTE pg_catalog.format("
        "'GRANT %%s (%%I) ON %%s TO %%s%%s', g.privilege_type, %3$s, t, g.who, "
        "CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END); END LOOP; "
        "FOREACH s IN ARRAY pre LOOP EXECUTE s; END LOOP; "
        "EXECUTE pg_catalog.format('ALTER TABLE %%s DROP COLUMN %%I', t, %2$s); "
        "EXECUTE pg_catalog.format('ALTER TABLE %%s RENAME COLUMN %%I TO %%I', t, %3$s, %2$s); "
        "FOREACH s IN ARRAY post LOOP EXECUTE s; END LOOP; "
        "IF val <> '[]' THEN PERFORM dbmigrate_online_record(%8$s, %9$d, "
        "CAST(val AS pg_catalog.text)); END IF; "
        "END",
    .anonymous_block = "DO %1$s",
};

const dbc_dialect pgdbc_dialect = {
    .name = "postgresql",
    .engine_bit = DBC_ENGINE_PG,
    .file_infixes = infixes,
    .foreign_file_infixes = foreign_infixes,

    .script_grammar = DBC_GRAMMAR_PSQL,
    .shell = "psql",
    .script_preamble = "-- Run with: psql -X -v ON_ERROR_STOP=1 -f <this file>\n"
                       "\\set ON_ERROR_STOP on\n",
    .script_begin = "BEGIN;\n",
    .script_skips = true, /* \gset and \if */
    .copy_in_hint = "Write the rows as INSERT ... VALUES statements, or COPY FROM a server "
                    "file (pg_read_server_files).",

    .table_inheritance = true,
    .default_schema = "public",
    .name_max = 63, /* NAMEDATALEN - 1 */
    .row_locator = "ctid::text",
    .partition_row_locator = "%stableoid::regclass::text || ' ' || %sctid::text",
    /* a valid unique index and attnotnull admit no violating row, whatever
     * triggers or session_replication_role say (check_run.c) */
    .enforced_binds_rows = true,
    .fk_match_full = true,
    .caller_owns_table = "SELECT c.relowner = (SELECT r.oid FROM pg_catalog.pg_roles r"
                         " WHERE r.rolname = CURRENT_USER)"
                         " FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass($1)",

    /* pg_monitor may read every column of the registry but the scripts */
    .column_privileges = true,
    /* the transaction's time: every row one call writes carries the same */
    /* a transaction that adds a CHECK holds an ACCESS EXCLUSIVE lock on its
     * table (CREATE TABLE, ALTER TABLE) or object (ALTER DOMAIN) until it
     * ends; pg_constraint's own lock is released at once */
    .constraints_busy =
        "SELECT 'process ' || l.pid || ' holds an ACCESS EXCLUSIVE lock on '"
        " || CASE WHEN l.locktype = 'relation' THEN CAST(CAST(l.relation AS pg_catalog.regclass)"
        " AS text) ELSE 'object ' || l.objid END"
        " FROM pg_catalog.pg_locks l WHERE l.granted AND l.mode = 'AccessExclusiveLock'"
        " AND l.locktype IN ('relation', 'object') AND l.pid <> pg_catalog.pg_backend_pid()"
        " AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d"
        " WHERE d.datname = pg_catalog.current_database()) LIMIT 1",
    .constraints_fresh = "SELECT CASE WHEN pg_catalog.current_setting('transaction_isolation')"
                         " = 'read committed' THEN 't' ELSE 'f' END",
    .session_role = "SELECT " DBC_PG_SESSION_ROLE,
    /* by OID: a name no role holds (dropped, renamed) is no row, never an
     * error, and only a superuser acts as it */
    .role_acts_as = "SELECT 't' FROM pg_catalog.pg_roles u WHERE u.rolname = $1 AND (u.rolsuper"
                    " OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles o WHERE o.rolname = $2"
                    " AND pg_catalog.pg_has_role(u.oid, o.oid, 'MEMBER')))",
    .table_owner = "SELECT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class c"
                   " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                   " WHERE n.nspname = $1 AND c.relname = $2",
    .monitor_role = "pg_monitor",
    .now = "pg_catalog.now()",
    .time_iso = "pg_catalog.to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
    .time_epoch = "CAST(pg_catalog.date_part('epoch', %s) AS double precision)",
    .time_hours_since =
        "CAST(pg_catalog.date_part('epoch', pg_catalog.now() - %s) / 3600 AS double precision)",
    .time_within_days = "%s >= pg_catalog.now() - $1 * interval '1 day'",
    .column_now = "pg_catalog.now()",

    .read_denied_hint = "GRANT pg_read_all_data TO %s; (or SELECT on the tables it names; "
                        "dbcare's own tables come with GRANT pg_monitor TO %s;)",
    .current_role_sql = "SELECT pg_catalog.quote_ident(current_user)",

    .concurrently = "CONCURRENTLY",
    .reindex_index = "REINDEX INDEX",
    .vacuum_table = true,
    .index_name_optional = true,
    .drop_in_call = true,

    .row_id = "ctid",
    .row_id_type = "pg_catalog.tid",
    .skip_locked = " FOR UPDATE OF %s SKIP LOCKED",
    .writable_cte = true,
    .dead_index_entries = true,
    .drops_constraints = true,
    .timestamp_type = "timestamp with time zone",
    .temporal_words = temporal_words,
    .boolean_options = boolean_options,
    .time_param_type = "timestamp with time zone",
    .json_param = "$%d::pg_catalog.jsonb",
    .time_param = "$%d::pg_catalog.timestamptz",

    .lint_locks = lint_locks,
    .exclusive_lock = AX,
    .not_valid = true,
    .online_steps = true,
    .online_index_leftover =
        "SELECT s FROM (SELECT CASE WHEN pg_catalog.to_regclass(%1$s) IS NULL THEN "
        "CAST(dbmigrate_online_record(%2$s, %3$d, 'absent') AS pg_catalog.text) END AS s "
        "UNION ALL SELECT format('DROP INDEX CONCURRENTLY %%s', "
        "i.indexrelid::pg_catalog.regclass) FROM pg_catalog.pg_index i "
        "WHERE i.indexrelid = pg_catalog.to_regclass(%1$s) AND NOT i.indisvalid AND "
        "(dbmigrate_online_done(%2$s)::pg_catalog.json -> %2$s ->> '%3$d') IS NOT NULL) x "
        "WHERE s LIKE 'DROP %%'",
    .online_index_build = "SELECT CASE WHEN (dbmigrate_online_done(%1$s)::pg_catalog.json -> %1$s "
                          "->> '%2$d') IS NOT NULL THEN %4$s ELSE %3$s END",
    .online_validate_latest =
        "SELECT format('ALTER TABLE %%s VALIDATE CONSTRAINT %%I', c.conrelid::pg_catalog.regclass, "
        "c.conname) FROM pg_catalog.pg_constraint c WHERE c.conrelid = "
        "pg_catalog.to_regclass(%s) AND c.contype = %s AND NOT c.convalidated "
        "ORDER BY c.oid DESC LIMIT 1",
    /* a TID Range Scan of pages [p, q): each row read once a pass */
    .online_backfill_range =
        "WITH dbcare_range AS MATERIALIZED (SELECT p, e, least(p OPERATOR(pg_catalog.+) "
        "greatest(%d OPERATOR(pg_catalog.*) coalesce($3::pg_catalog.int8, 100) "
        "OPERATOR(pg_catalog./) 100, 1), e) AS q "
        "FROM (SELECT $1::pg_catalog.int8 AS p, coalesce($2::pg_catalog.int8, "
        "pg_catalog.pg_relation_size(%s::pg_catalog.regclass) OPERATOR(pg_catalog./) "
        "pg_catalog.current_setting('block_size')::pg_catalog.int8) AS e) r), "
        "dbcare_batch AS (UPDATE %s SET %s = %s WHERE ctid OPERATOR(pg_catalog.>=) "
        "(SELECT pg_catalog.format('(%%s,0)', p)::pg_catalog.tid FROM dbcare_range) "
        "AND ctid OPERATOR(pg_catalog.<) "
        "(SELECT pg_catalog.format('(%%s,0)', q)::pg_catalog.tid FROM dbcare_range) "
        "AND %s RETURNING 1) "
        "SELECT (SELECT pg_catalog.count(*) FROM dbcare_batch), q, e FROM dbcare_range",
    /* a Seq Scan under one snapshot sees one version of every row, however
     * rows moved; EvalPlanQual follows a row updated since to its newest
     * version and checks it is still NULL */
    .online_backfill_probe = "WITH dbcare_batch AS (UPDATE %s SET %s = %s WHERE %s RETURNING 1) "
                             "SELECT pg_catalog.count(*) FROM dbcare_batch",
    .online_shadow = &online_shadow,
    .unique_using_index = true,
    .errors_unwind = true,
    .audit_table_chains = true,
    /* at as microseconds since 1970, the JSON columns as stored text */
    .audit_link_columns =
        "hash, prev_hash,"
        " ((pg_catalog.extract('epoch', at) * 1000000)::pg_catalog.int8)::pg_catalog.text,"
        " txid::pg_catalog.text, db_user, actor, operation, table_name,"
        " key::pg_catalog.text, old_values::pg_catalog.text, new_values::pg_catalog.text",
    /* the table's OID, and the column's attnum after it; '' is the
     * session's temporary schema (searched first, as PostgreSQL does) */
    .object_identity =
        "SELECT CASE WHEN c.relkind IN ('r', 'p') AND c.relpersistence <> 't' "
        "AND ($3 = '' OR a.attnum IS NOT NULL) THEN c.oid::pg_catalog.text || "
        "COALESCE(':' || a.attnum::pg_catalog.text, '') END, n.nspname::pg_catalog.text "
        "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = $3 "
        "AND a.attnum > 0 AND NOT a.attisdropped "
        "WHERE c.relname = $2 AND CASE WHEN $1 = '' THEN n.oid = pg_catalog.pg_my_temp_schema() "
        "ELSE n.nspname = $1 END",
    .content_query = content_query,
    .content_settings = content_settings,
    .ncontent_settings = (int)(sizeof content_settings / sizeof *content_settings),
};
