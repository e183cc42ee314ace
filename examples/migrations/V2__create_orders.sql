CREATE TABLE orders (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    total_cents INTEGER NOT NULL CHECK (total_cents >= 0),
    placed_at   TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
-- Foreign keys want an index on the referencing side.
CREATE INDEX orders_customer ON orders (customer_id);
