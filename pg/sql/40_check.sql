-- dbcare extension script, part 40: constraint checks, declared relations,
-- orphans. Reading functions run with the caller's rights on the checked
-- tables; the ones that change data or bookkeeping are not for PUBLIC.

CREATE TABLE dbcare.relations (
    name           text CONSTRAINT dbcare_relations_pkey PRIMARY KEY,
    child_schema   text,
    child_table    text NOT NULL,
    child_columns  text NOT NULL,
    parent_schema  text,
    parent_table   text NOT NULL,
    parent_columns text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE dbcare.relations IS 'relations declared with dbcheck_add_relation (logical foreign keys)';
SELECT pg_catalog.pg_extension_config_dump('dbcare.relations', '');
GRANT SELECT ON dbcare.relations TO pg_monitor;

-- Not STRICT: a NULL table means every table.
CREATE FUNCTION dbcheck_constraints("table" text DEFAULT NULL)
    RETURNS TABLE (table_name text, constraint_name text, kind text, violations bigint,
                   sample jsonb)
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbcheck_constraints';
COMMENT ON FUNCTION dbcheck_constraints(text) IS 'every declared constraint verified against the stored rows';

CREATE FUNCTION dbcheck_relations()
    RETURNS TABLE (name text, child_table text, child_columns text, parent_table text,
                   parent_columns text)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbcheck_relations';
COMMENT ON FUNCTION dbcheck_relations() IS 'relations declared with dbcheck_add_relation';

-- The API's "table dbcheck_relations": SELECT * FROM dbcheck_relations works too.
CREATE VIEW dbcheck_relations AS SELECT * FROM dbcheck_relations();
COMMENT ON VIEW dbcheck_relations IS 'relations declared with dbcheck_add_relation';
GRANT SELECT ON dbcheck_relations TO pg_monitor;

CREATE FUNCTION dbcheck_orphans()
    RETURNS TABLE (relation text, child_table text, parent_table text, orphans bigint,
                   sample jsonb)
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbcheck_orphans';
COMMENT ON FUNCTION dbcheck_orphans() IS 'child rows without parent, per foreign key and declared relation';

-- Not STRICT: NULL arguments are errors that name them.
CREATE FUNCTION dbcheck_add_relation(name text, child_table text, child_columns text,
                                     parent_table text, parent_columns text)
    RETURNS text
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbcheck_add_relation';
COMMENT ON FUNCTION dbcheck_add_relation(text, text, text, text, text) IS 'declares a relation the schema does not enforce';
REVOKE ALL ON FUNCTION dbcheck_add_relation(text, text, text, text, text) FROM PUBLIC;

CREATE FUNCTION dbcheck_drop_relation(name text) RETURNS boolean
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbcheck_drop_relation';
COMMENT ON FUNCTION dbcheck_drop_relation(text) IS 'forgets a declared relation; false when there was none';
REVOKE ALL ON FUNCTION dbcheck_drop_relation(text) FROM PUBLIC;

CREATE FUNCTION dbcheck_cleanup_orphans(dry_run boolean DEFAULT true) RETURNS bigint
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbcheck_cleanup_orphans';
COMMENT ON FUNCTION dbcheck_cleanup_orphans(boolean) IS 'deletes (or with dry_run only counts) orphan rows, all or nothing';
REVOKE ALL ON FUNCTION dbcheck_cleanup_orphans(boolean) FROM PUBLIC;

-- The evaluator of a domain CHECK on a column's value, called by the
-- statements dbcheck_constraints() runs: it runs the domain's code as the
-- domain's owner and refuses to run outside such a check (pg/check_domain.c).
-- STABLE (it only reads) and PARALLEL UNSAFE: a parallel worker is no check.
CREATE FUNCTION dbcheck_domain_value_holds(anyelement, oid)
    RETURNS boolean
    LANGUAGE c STRICT STABLE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbcheck_domain_value_holds';
COMMENT ON FUNCTION dbcheck_domain_value_holds(anyelement, oid) IS 'whether a domain CHECK accepts a value (internal to dbcheck_constraints)';
