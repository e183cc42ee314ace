-- The snapshot keeps what changes how a SQLite table behaves although the
-- column list does not show it: AUTOINCREMENT, a column's COLLATE, an
-- INTEGER PRIMARY KEY DESC (which is not the rowid) and ON CONFLICT clauses. A migration that only
-- adds or drops one of them is schema drift.
.headers on
.mode list

CREATE TABLE invoices (InvoiceId INTEGER PRIMARY KEY AUTOINCREMENT,
                       BillingCountry TEXT COLLATE NOCASE, Total NUMERIC);
CREATE TABLE lines (LineId INTEGER PRIMARY KEY DESC, InvoiceId INTEGER);
CREATE TABLE plain (LineId INTEGER PRIMARY KEY, InvoiceId INTEGER);
CREATE TABLE tags (TagId INTEGER PRIMARY KEY ON CONFLICT REPLACE,
                   Name TEXT NOT NULL ON CONFLICT IGNORE UNIQUE ON CONFLICT FAIL,
                   Owner TEXT REFERENCES tags ON DELETE CASCADE NOT NULL,
                   UNIQUE (Name, Owner) ON CONFLICT ROLLBACK,
                   CHECK (Name <> '') ON CONFLICT ABORT);
SELECT key AS table_name, json_extract(value, '$.options') AS options,
       json_extract(value, '$.columns[1].collation') AS second_column_collation
  FROM json_each(dbschema_snapshot(), '$.table') ORDER BY 1;
SELECT key AS constraint_name, json_extract(value, '$.on_conflict') AS on_conflict
  FROM json_each(dbschema_snapshot(), '$.table.tags.constraints') ORDER BY 1;
SELECT json_extract(value, '$.name') AS column_name,
       json_extract(value, '$.not_null_on_conflict') AS not_null_on_conflict
  FROM json_each(dbschema_snapshot(), '$.table.tags.columns');

-- Each removed alone is seen by the diff.
CREATE TEMP TABLE before AS SELECT dbschema_snapshot() AS s;
DROP TABLE invoices;
CREATE TABLE invoices (InvoiceId INTEGER PRIMARY KEY, BillingCountry TEXT, Total NUMERIC);
DROP TABLE lines;
CREATE TABLE lines (LineId INTEGER PRIMARY KEY, InvoiceId INTEGER);
DROP TABLE tags;
CREATE TABLE tags (TagId INTEGER PRIMARY KEY, Name TEXT NOT NULL UNIQUE,
                   Owner TEXT REFERENCES tags ON DELETE CASCADE NOT NULL,
                   UNIQUE (Name, Owner), CHECK (Name <> ''));
SELECT d.* FROM before, dbschema_diff(before.s, dbschema_snapshot()) AS d ORDER BY 2;
