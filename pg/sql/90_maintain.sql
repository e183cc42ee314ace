-- dbcare extension script, part 90: maintenance and repair plans (docs/maintenance.md).
-- The history of dbmaintain_run lives in the bookkeeping schema and survives
-- pg_dump; reading it is for monitoring roles, running the plan for whom the
-- DBA grants it. The functions are declared in the API table; the build
-- writes their statements at the marker below.

CREATE TABLE dbcare.maintain_history (
    id           bigint GENERATED ALWAYS AS IDENTITY
        CONSTRAINT dbcare_maintain_history_pkey PRIMARY KEY,
    run          bigint NOT NULL,
    run_at       timestamptz NOT NULL DEFAULT now(),
    mode         text NOT NULL,
    object       text NOT NULL,
    action       text NOT NULL,
    statement    text,
    safety       text NOT NULL,
    status       text NOT NULL,
    duration_ms  double precision
);
COMMENT ON TABLE dbcare.maintain_history IS 'dbmaintain_run() records: every row of every run, what ran and how long it took';
SELECT pg_catalog.pg_extension_config_dump('dbcare.maintain_history', '');
SELECT pg_catalog.pg_extension_config_dump('dbcare.maintain_history_id_seq', '');
GRANT SELECT ON dbcare.maintain_history TO pg_monitor;

-- dbcare:api maintain
