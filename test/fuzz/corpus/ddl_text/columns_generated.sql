CREATE TABLE generated_cols (
  a INTEGER, b INT GENERATED ALWAYS AS (a + 1) STORED, c AS (a * 2), d generated always as (3) virtual,
  e TEXT AS (upper('x')) STORED NOT NULL, f AS ((a)) VIRTUAL, g INT DEFAULT 4
);
