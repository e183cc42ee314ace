-- Hostile input to dbhealth_* and dbmonitor_*: NULL and bad modes, invalid
-- UTF-8, 1 MB arguments, out-of-range numbers. A clear "dbcare:" error or a
-- correct result, never a crash.
.headers on
.mode list
CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
INSERT INTO t (v) VALUES ('keep me');

SELECT dbhealth_score(NULL) BETWEEN 0 AND 100 AS score_null_mode;
SELECT dbhealth_score('');
SELECT dbhealth_score('QUICK') BETWEEN 0 AND 100 AS upper_case_mode;
SELECT dbhealth_score('quick; DROP TABLE t; --');
SELECT dbhealth_score(CAST(x'ff' AS TEXT));
SELECT dbhealth_score(printf('%.*c', 1000000, 'x'));
SELECT json_valid(dbhealth_report(NULL)) AS report_null_mode;
SELECT dbhealth_report(42);
SELECT length(dbhealth_metrics(NULL)) > 0 AS metrics_null_mode;
SELECT dbhealth_metrics('bogus');
SELECT count(*) > 0 AS checks_null_mode FROM dbhealth_checks(NULL);
SELECT count(*) FROM dbhealth_checks('bogus');
SELECT json_valid(dbhealth_growth(NULL)) AS growth_null_days;
SELECT dbhealth_growth(-1);
SELECT dbhealth_growth(0);
SELECT dbhealth_growth('abc');
SELECT dbhealth_growth(9223372036854775807);
SELECT dbmonitor_start(NULL);
SELECT dbmonitor_start(-5);
SELECT dbmonitor_start('abc');
SELECT dbmonitor_stop() AS stopped_without_start;

-- health.ignore with hostile names changes what is reported, nothing else.
SELECT dbcare_set('health.ignore', 'x"; DROP TABLE t; --,' || CAST(x'ff' AS TEXT)) AS previous;
SELECT dbhealth_score() BETWEEN 0 AND 100 AS score_with_hostile_ignore;

SELECT * FROM t;
SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT GLOB 'dbcare_*' AND name NOT GLOB 'sqlite_*' ORDER BY name;
