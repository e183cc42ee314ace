-- The integrity check holds every table's schema code to the allow-list
-- before PRAGMA quick_check / integrity_check evaluates it on this
-- connection: dbcare_* tables too. random() is built in but not pure, so it
-- is refused (subtype() too: it is no pure function of the list) and the pragma runs on a read-only connection of its own; the
-- caller's ignore_check_constraints is never touched. (The hostile cases,
-- with functions that record their calls, are in
-- test/script/sqlite_health_integrity_vet.sh.)
.headers on
.mode list
CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER CHECK (v > 0));
INSERT INTO t (v) VALUES (1), (2);
SELECT name, status, message FROM dbhealth_checks('full') WHERE name = 'integrity';
CREATE TABLE dbcare_x (x INTEGER CONSTRAINT c_rand CHECK (x = 1 OR random() IS NOT NULL));
INSERT INTO dbcare_x VALUES (1), (2);
SELECT name, status, message FROM dbhealth_checks('standard') WHERE name = 'integrity';
SELECT name, status, message FROM dbhealth_checks('full') WHERE name = 'integrity';
CREATE INDEX t_expr ON t (abs(v) + subtype(v));
SELECT name, status, message FROM dbhealth_checks('full') WHERE name = 'integrity';
PRAGMA ignore_check_constraints;
INSERT INTO t (v) VALUES (0);
SELECT count(*) AS rows_of_t FROM t;
