-- Seed data is a migration too; it has no down script on purpose.
INSERT INTO customers (id, email, name) VALUES (1, 'ada@example.com', 'Ada Lovelace');
INSERT INTO orders (id, customer_id, total_cents) VALUES (1, 1, 1250), (2, 1, 4999);
