CREATE TABLE t (id INTEGER);
.shell touch pwned
SELECT 1;
