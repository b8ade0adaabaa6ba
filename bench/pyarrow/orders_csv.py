"""Reference side of bench/csv-to-parquet.ts: pyarrow reads the orders CSV with the contract's
schema (tests/fixtures/contracts/orders.yaml, explicit types, no inference) and writes Parquet
with zstd, the same compression dativo's bench job uses. Benchmarks only; run it in the venv that
bench/setup-pyarrow.sh builds.

    bench/.data/pyarrow-venv/bin/python bench/pyarrow/orders_csv.py <in.csv> <out.parquet>
"""

import sys

import pyarrow as pa
import pyarrow.csv as csv
import pyarrow.parquet as pq

SCHEMA = {
    "order_id": pa.int64(),
    "customer_uuid": pa.string(),
    "customer_name": pa.string(),
    "email": pa.string(),
    "country": pa.string(),
    "amount": pa.decimal128(12, 2),
    "quantity": pa.int64(),
    "unit_price": pa.float64(),
    "is_active": pa.bool_(),
    "order_date": pa.date32(),
    "updated_at": pa.timestamp("ms"),
    "note": pa.string(),
}


def main(src: str, dst: str) -> None:
    table = csv.read_csv(src, convert_options=csv.ConvertOptions(column_types=SCHEMA, strings_can_be_null=True))
    pq.write_table(table, dst, compression="zstd")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
