-- dbmonitor: opt-in slow-statement recording on one connection, read by slow_queries.
.headers on
.mode list

-- Not running: the slow_queries check says how to start it.
SELECT name, status, message, hint FROM dbhealth_checks WHERE name = 'slow_queries';
SELECT count(*) AS recorded FROM dbmonitor_slow;
SELECT dbmonitor_stop() AS was_running;

-- dbmonitor needs the connection's trace callback, which SQLite can neither
-- report nor give back: a plain start refuses rather than replace one the
-- application may have set; the second argument says nothing else traces.
SELECT dbmonitor_start(0);
SELECT count(*) AS recorded FROM dbmonitor_slow;

-- Record every statement that takes at least 0 ms (a real threshold would be 100 or more).
SELECT dbmonitor_start(0, 1) AS started;
CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
INSERT INTO t SELECT i, 'value ' || (i * 7919 % 5000) FROM n;
SELECT count(*) AS n FROM t WHERE v LIKE '%12%' AND id > 0;
SELECT count(*) AS n FROM t WHERE v LIKE '%12%' AND id > 0;

-- The same text is one entry with its call count; slowest first.
SELECT calls, total_ms >= max_ms AS total_covers_max, length(last_at) AS iso_length
  FROM dbmonitor_slow WHERE sql LIKE 'SELECT count(*) AS n FROM t%';
SELECT count(*) > 0 AS has_entries FROM dbmonitor_slow;

-- More entries than health.slow_queries.warn (10 by default) warn; 0 makes any entry warn.
SELECT dbcare_set('health.slow_queries.warn', '0') AS previous;
SELECT name, status FROM dbhealth_checks WHERE name = 'slow_queries';

-- A new threshold keeps what was recorded; stop frees it and the check clears.
SELECT dbmonitor_start(100000) AS restarted;
SELECT dbmonitor_stop() AS was_running;
SELECT count(*) AS recorded FROM dbmonitor_slow;
SELECT name, status FROM dbhealth_checks WHERE name = 'slow_queries';

-- Arguments.
SELECT dbmonitor_start(-1);
SELECT dbmonitor_start(NULL);
SELECT dbmonitor_start(0, NULL);
SELECT dbmonitor_start(0, 'yes');
