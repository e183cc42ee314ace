-- dbcheck_constraints: every declared constraint checked against the stored
-- rows, whether or not SQLite enforced it when they were written.
.headers on
.mode list

-- An application that never turned on PRAGMA foreign_keys, and rows written
-- while CHECK constraints were switched off.
PRAGMA foreign_keys = OFF;
PRAGMA ignore_check_constraints = ON;

CREATE TABLE customers (
  id INTEGER PRIMARY KEY,
  email TEXT UNIQUE,
  country TEXT NOT NULL,
  CONSTRAINT email_has_at CHECK (email LIKE '%@%')
);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER REFERENCES customers,            -- the parent's primary key
  customer_email TEXT REFERENCES customers (email),    -- a UNIQUE, non-key column
  qty INTEGER CHECK (qty > 0),
  note TEXT CHECK (note <> '')
);

INSERT INTO customers VALUES (1, 'ann@example.org', 'SE'), (2, 'bob@example.org', 'NO'),
                             (3, 'no-at-sign', 'DK');
INSERT INTO orders VALUES
  (10, 1, 'ann@example.org', 1, NULL),   -- fine: a NULL note passes its CHECK
  (11, 9, 'bob@example.org', 2, 'x'),    -- customer 9 does not exist
  (12, NULL, NULL, 3, 'y'),              -- NULL keys are never violations
  (13, 2, 'eve@example.org', 0, ''),     -- unknown email, qty 0, empty note
  (14, 8, 'ann@example.org', -5, 'z');   -- customer 8 does not exist, qty < 0

-- One row per constraint, with the number of offending rows and up to five
-- of their rowids. Unnamed constraints get stable names: <table>_fk_<n>,
-- <table>_check_<n>, <table>_<columns>_key, <table>_pkey, <table>_<column>_not_null.
SELECT * FROM dbcheck_constraints;

-- The same for one table; the table is a hidden argument.
SELECT constraint_name, kind, violations FROM dbcheck_constraints('orders') WHERE violations > 0;
SELECT constraint_name, violations FROM dbcheck_constraints WHERE "table" = 'customers';

-- The sample is JSON: feed it to json_each to look at the rows.
SELECT o.* FROM dbcheck_constraints('orders') AS c, json_each(c.sample) AS j
  JOIN orders AS o ON o.rowid = j.value
 WHERE c.constraint_name = 'orders_fk_0';

-- A PRIMARY KEY of a rowid table lets NULLs in (an old SQLite quirk, kept
-- for compatibility); each row with a NULL key part is a violation. The sample
-- of UNIQUE and PRIMARY KEY rows shows the offending key values.
CREATE TABLE tags (name TEXT, lang TEXT, PRIMARY KEY (name, lang));
INSERT INTO tags VALUES ('red', 'en'), ('rot', NULL), ('rouge', NULL), ('red', 'fr');
SELECT * FROM dbcheck_constraints('tags');

-- NOT NULL columns cannot be bypassed in SQLite, so they report 0 here.
SELECT constraint_name, violations FROM dbcheck_constraints WHERE kind = 'not_null';

-- A table that does not exist is an error naming the argument.
SELECT * FROM dbcheck_constraints('nosuch');
