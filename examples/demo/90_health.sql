-- The health report of the demo database, pretty-printed
SELECT json_extract(r, '$.score') AS score, json_extract(r, '$.status') AS status,
       json_extract(r, '$.mode') AS mode, json_extract(r, '$.engine_version') AS sqlite
  FROM (SELECT dbhealth_report() AS r);
SELECT name, status, penalty, message, hint FROM dbhealth_checks;
SELECT key AS metric, value FROM json_each(dbhealth_report(), '$.metrics');
