-- Re-applied whenever this file changes, after the versioned migrations.
DROP VIEW IF EXISTS customer_totals;
CREATE VIEW customer_totals AS
    SELECT c.id, c.email, count(o.id) AS orders, coalesce(sum(o.total_cents), 0) AS total_cents
    FROM customers c
    LEFT JOIN orders o ON o.customer_id = c.id
    GROUP BY c.id, c.email;
