/** DuckDB as the independent verifier: tests never read Parquet back with our own writer. */
import { DuckDBInstance } from '@duckdb/node-api';

export async function duck<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const inst = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const conn = await inst.connect();
  try {
    const reader = await conn.runAndReadAll(sql);
    return reader.getRowObjectsJS() as T[];
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}

/** Rows visible to `read_parquet('<dir>/**\/*.parquet')`, the architecture's definition of "visible". */
export async function visibleCount(dir: string): Promise<number> {
  const files = await duck<{ n: bigint }>(`SELECT count(*) AS n FROM glob('${dir}/**/*.parquet')`);
  if (Number(files[0]?.n ?? 0) === 0) return 0;
  const rows = await duck<{ n: bigint }>(`SELECT count(*) AS n FROM read_parquet('${dir}/**/*.parquet')`);
  return Number(rows[0]?.n ?? 0);
}
