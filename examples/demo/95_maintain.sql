-- Maintenance: the statements that repair what the health report found, then the safe ones run
SELECT object, action, statement, safety, outside_transaction FROM dbmaintain_plan();
SELECT object, action, status, round(duration_ms, 2) AS ms FROM dbmaintain_run();
SELECT name, status FROM dbhealth_checks WHERE status NOT IN ('ok', 'skipped');
