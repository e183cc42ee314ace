-- Migrations: load examples/migrations, look at the plan, apply, then status and history
SELECT dbmigrate_load('examples/migrations') AS migrations_registered;
SELECT * FROM dbmigrate_plan;
SELECT dbmigrate_apply() AS applied;
SELECT version, name, kind, state FROM dbmigrate_status;
SELECT id, version, name, kind, direction, success, fingerprint IS NOT NULL AS fingerprinted
  FROM dbmigrate_history;
SELECT * FROM customer_totals;
SELECT dbmigrate_current() AS current, dbmigrate_assert('4') AS ready_for_app_v4;
