-- dbhealth_snapshot records size and score; dbhealth_growth fits bytes per day.
.headers on
.mode list

-- No snapshot yet (and no bookkeeping table): growth has nulls.
SELECT dbhealth_growth() AS growth;
SELECT count(*) AS dbcare_tables FROM sqlite_schema WHERE name LIKE 'dbcare\_%' ESCAPE '\';

CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
SELECT json_extract(s, '$.mode') AS mode, json_extract(s, '$.score') AS score,
       json_extract(s, '$.status') AS status, json_extract(s, '$.tables') AS tables,
       json_extract(s, '$.size_bytes') > 0 AS has_size, length(json_extract(s, '$.taken_at')) AS iso_length
  FROM (SELECT dbhealth_snapshot() AS s);
SELECT count(*) AS snapshots FROM dbcare_health_snapshots;

-- One sample: still nulls.
SELECT json_extract(g, '$.samples') AS samples, json_extract(g, '$.bytes_per_day') AS per_day
  FROM (SELECT dbhealth_growth(30) AS g);

-- Pretend the database was 100 kB smaller every day for the last 10 days.
UPDATE dbcare_health_snapshots SET size_bytes = 1000000;
INSERT INTO dbcare_health_snapshots (taken_at, mode, score, status, size_bytes)
  SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || d || ' days'), 'quick', 100, 'healthy',
         1000000 - d * 100000
  FROM (SELECT 1 AS d UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5
        UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9);
-- A sample outside the window is left out.
INSERT INTO dbcare_health_snapshots (taken_at, mode, score, status, size_bytes)
  VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-400 days'), 'quick', 100, 'healthy', 5);
SELECT json_extract(g, '$.samples') AS samples,
       round(json_extract(g, '$.bytes_per_day')) AS per_day,
       json_extract(g, '$.current_size_bytes') AS current,
       round(json_extract(g, '$.projected_size_bytes_30d') / 1000.0) AS in_30d_kb,
       round(json_extract(g, '$.projected_size_bytes_90d') / 1000.0) AS in_90d_kb
  FROM (SELECT dbhealth_growth(30) AS g);
-- The sample three days back sits on the 3-day window's edge (it was taken
-- a few milliseconds before the call's "now", or in the same millisecond on
-- a fast machine): a minute further back it is out, whatever the timing.
UPDATE dbcare_health_snapshots
   SET taken_at = strftime('%Y-%m-%dT%H:%M:%fZ', taken_at, '-1 minute')
 WHERE size_bytes = 700000;
SELECT json_extract(dbhealth_growth(3), '$.samples') AS last_3_days;

SELECT dbhealth_growth(0);
SELECT dbhealth_growth('x');
