-- dbcheck_constraints on harder keys: composite foreign keys, WITHOUT ROWID
-- tables, a self reference, a parent named in another case, a missing parent.
.headers on
.mode list
PRAGMA foreign_keys = OFF;

-- Composite key, and a child that is WITHOUT ROWID: the sample shows the
-- child's primary key instead of a rowid.
CREATE TABLE regions (country TEXT, code TEXT, PRIMARY KEY (country, code)) WITHOUT ROWID;
CREATE TABLE shops (
  country TEXT, region TEXT, shop_no INTEGER,
  PRIMARY KEY (country, shop_no),
  FOREIGN KEY (country, region) REFERENCES Regions   -- SQLite matches table names in any case
) WITHOUT ROWID;
INSERT INTO regions VALUES ('SE', 'AB'), ('SE', 'M'), ('NO', '03');
INSERT INTO shops VALUES
  ('SE', 'AB', 1),     -- fine
  ('SE', 'Z', 2),      -- no region SE/Z
  ('NO', 'AB', 3),     -- AB exists, but not in NO
  ('NO', NULL, 4),     -- a NULL key part: never a violation (MATCH SIMPLE)
  ('DK', '84', 5);     -- no region DK/84
SELECT * FROM dbcheck_constraints('shops');

-- SQLite parses MATCH FULL but enforces every foreign key as MATCH SIMPLE, and
-- dbcheck follows the engine: the partly NULL key (4) is not reported.
CREATE TABLE shops_full (
  country TEXT, region TEXT,
  FOREIGN KEY (country, region) REFERENCES regions MATCH FULL);
INSERT INTO shops_full VALUES ('SE', 'AB'), ('NO', NULL), ('XX', 'YY');
SELECT constraint_name, violations, sample FROM dbcheck_constraints('shops_full');

-- A self reference: employees whose manager is gone.
CREATE TABLE staff (id INTEGER PRIMARY KEY, boss INTEGER REFERENCES staff (id));
INSERT INTO staff VALUES (1, NULL), (2, 1), (3, 2), (4, 99), (5, 4);
SELECT constraint_name, violations, sample FROM dbcheck_constraints('staff');

-- A parent table that was never created: every non-NULL key is a violation.
CREATE TABLE payments (id INTEGER PRIMARY KEY, invoice INTEGER REFERENCES invoices (id));
INSERT INTO payments VALUES (1, 1), (2, NULL), (3, 3);
SELECT constraint_name, violations, sample FROM dbcheck_constraints('payments');

-- A foreign key that names no columns of a parent without a primary key is
-- not checkable (SQLite calls it a "foreign key mismatch"): a clear error.
CREATE TABLE loose (v INTEGER);
CREATE TABLE points_to_loose (v INTEGER REFERENCES loose);
SELECT * FROM dbcheck_constraints('points_to_loose');

-- Text keys compare with the parent's collation, as SQLite's own check does.
CREATE TABLE codes (code TEXT COLLATE NOCASE PRIMARY KEY);
CREATE TABLE uses (code TEXT REFERENCES codes);
INSERT INTO codes VALUES ('abc');
INSERT INTO uses VALUES ('ABC'), ('abd');
SELECT constraint_name, violations, sample FROM dbcheck_constraints('uses');
PRAGMA foreign_key_check(uses);
