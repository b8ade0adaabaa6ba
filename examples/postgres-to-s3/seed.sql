-- The example's source table: 50 orders, one updated every hour from 2024-03-01.
--   psql -v table=examples.orders -f examples/postgres-to-s3/seed.sql
-- (with the PG* variables of .run/postgres.env; the table name defaults to examples.orders)
\if :{?table}
\else
  \set table examples.orders
\endif
CREATE SCHEMA IF NOT EXISTS examples;
DROP TABLE IF EXISTS :table;
CREATE TABLE :table (
  id         bigint PRIMARY KEY,
  customer   text NOT NULL,
  amount     numeric(12,2) NOT NULL,
  paid       boolean NOT NULL,
  updated_at timestamp(6) NOT NULL
);
INSERT INTO :table (id, customer, amount, paid, updated_at)
SELECT n, 'customer-' || (n % 7), round((n * 12.5)::numeric, 2), n % 3 <> 0,
       timestamp '2024-03-01 00:00:00' + n * interval '1 hour'
FROM generate_series(1, 50) AS n;
