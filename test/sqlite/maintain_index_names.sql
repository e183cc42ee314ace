-- The index dbmaintain_plan names for an unindexed foreign key on SQLite
-- (table_columns_idx) must be free: a table, view or index of that name
-- (SQLite's names compare without regard to case), or another index the
-- same plan creates, made the run fail on every call. The plan takes the
-- first free name of name, name_2, name_3, ...
.headers on
.mode list
CREATE TABLE customer (id INTEGER PRIMARY KEY);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customer (id));
CREATE TABLE ORDERS_CUSTOMER_ID_IDX (x);
CREATE VIEW orders_customer_id_idx_2 AS SELECT 1;
-- two tables whose table_columns names collide: a.b_c and a_b.c
CREATE TABLE a (id INTEGER PRIMARY KEY, b_c INTEGER REFERENCES customer (id));
CREATE TABLE a_b (id INTEGER PRIMARY KEY, c INTEGER REFERENCES customer (id));
INSERT INTO customer VALUES (1);
INSERT INTO orders VALUES (1, 1);
INSERT INTO a VALUES (1, 1);
INSERT INTO a_b VALUES (1, 1);
ANALYZE;
SELECT object, statement FROM dbmaintain_plan('quick') WHERE action = 'create_index'
 ORDER BY object;
SELECT object, status FROM dbmaintain_run('quick', 'create_index') WHERE action = 'create_index'
 ORDER BY object;
SELECT count(*) AS left_to_create FROM dbmaintain_plan('quick') WHERE action = 'create_index';
