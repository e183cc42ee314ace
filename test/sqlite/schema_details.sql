-- The snapshot keeps what changes how a SQLite table behaves although the
-- column list does not show it: AUTOINCREMENT, a column's COLLATE and an
-- INTEGER PRIMARY KEY DESC (which is not the rowid). A migration that only
-- adds or drops one of them is schema drift.
.headers on
.mode list

CREATE TABLE invoices (InvoiceId INTEGER PRIMARY KEY AUTOINCREMENT,
                       BillingCountry TEXT COLLATE NOCASE, Total NUMERIC);
CREATE TABLE lines (LineId INTEGER PRIMARY KEY DESC, InvoiceId INTEGER);
CREATE TABLE plain (LineId INTEGER PRIMARY KEY, InvoiceId INTEGER);
SELECT key AS table_name, json_extract(value, '$.options') AS options,
       json_extract(value, '$.columns[1].collation') AS second_column_collation
  FROM json_each(dbschema_snapshot(), '$.table') ORDER BY 1;

-- Each removed alone is seen by the diff.
CREATE TEMP TABLE before AS SELECT dbschema_snapshot() AS s;
DROP TABLE invoices;
CREATE TABLE invoices (InvoiceId INTEGER PRIMARY KEY, BillingCountry TEXT, Total NUMERIC);
DROP TABLE lines;
CREATE TABLE lines (LineId INTEGER PRIMARY KEY, InvoiceId INTEGER);
SELECT d.* FROM before, dbschema_diff(before.s, dbschema_snapshot()) AS d ORDER BY 2;
