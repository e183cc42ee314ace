-- The repeatable view reads orders: drop it first (PostgreSQL insists).
DROP VIEW IF EXISTS customer_totals;
DROP TABLE orders;
