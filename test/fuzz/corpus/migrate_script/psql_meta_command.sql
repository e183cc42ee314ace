CREATE TABLE t (id int);
\! touch pwned
