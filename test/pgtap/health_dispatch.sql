-- health_dispatch: every health check of the catalogue that applies to
-- PostgreSQL is answered by a gatherer. dbhealth_checks('full') has one row
-- per check dbcare_settings lists (health.<check>.enabled: the catalogue's
-- view of what applies here), and none of them is a check
-- nobody gathered (a name the glue does not know, once silently "does not
-- apply", now a build error or the row "no gatherer").
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
BEGIN;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

SELECT plan(3);

CREATE SCHEMA tap_dispatch;
CREATE TABLE tap_dispatch.parent (id int PRIMARY KEY);
CREATE TABLE tap_dispatch.child (id int PRIMARY KEY, parent_id int REFERENCES tap_dispatch.parent (id));

CREATE TEMP TABLE answered AS
    SELECT name, status, message FROM dbhealth_checks('full');

SELECT ok((SELECT count(*) FROM dbcare_settings WHERE key LIKE 'health.%.enabled') > 0,
          'dbcare_settings lists the health checks');

SELECT set_eq($$SELECT name FROM answered$$,
              $$SELECT substr(key, 8, length(key) - 15) FROM dbcare_settings
                WHERE key LIKE 'health.%.enabled'$$,
              'one report row per catalogue check that applies to PostgreSQL');

SELECT is_empty($$SELECT name, status, message FROM answered
                  WHERE message LIKE 'does not apply%' OR message LIKE '%no gatherer%'$$,
                'every check is gathered: none is left to a fallback');

SELECT * FROM finish();
ROLLBACK;
