/**
 * `column_sizes` of a data file as Iceberg-java computes them: per leaf column (by its Parquet
 * field id), the compressed bytes of its chunks summed over the row groups, read from the file's
 * footer. hyparquet parses the footer (Thrift); only the footer bytes are read from disk.
 */
import { open } from 'node:fs/promises';
import { parquetMetadata, type SchemaElement } from 'hyparquet';

/** Field id → encoded (compressed) bytes, for the leaf columns that carry a field id. */
export async function columnSizesOf(file: string): Promise<Map<number, number>> {
  const footer = await readFooter(file);
  const md = parquetMetadata(footer);
  const idByPath = leafFieldIds(md.schema);
  const sizes = new Map<number, number>();
  for (const rg of md.row_groups) {
    for (const chunk of rg.columns) {
      const meta = chunk.meta_data;
      const id = meta && idByPath.get(meta.path_in_schema.join('\u001f'));
      if (meta && id !== undefined) sizes.set(id, (sizes.get(id) ?? 0) + Number(meta.total_compressed_size));
    }
  }
  return sizes;
}

/** The footer, its length and the closing magic (what parquetMetadata parses). */
export async function readFooter(file: string): Promise<Uint8Array> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const tail = Buffer.alloc(8);
    await fh.read(tail, 0, 8, size - 8);
    const length = tail.readUInt32LE(0);
    if (length + 8 > size) throw new Error(`${file}: Parquet footer length ${length} exceeds the file`);
    const buf = Buffer.alloc(length + 8);
    await fh.read(buf, 0, length + 8, size - 8 - length);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } finally {
    await fh.close();
  }
}

/** Leaf path (names below the root, joined) → field id, from the flattened schema elements. */
function leafFieldIds(schema: SchemaElement[]): Map<string, number> {
  const out = new Map<string, number>();
  let i = 1; // element 0 is the root
  const walk = (prefix: string[], count: number) => {
    for (let n = 0; n < count && i < schema.length; n++) {
      const el = schema[i++] as SchemaElement;
      const p = [...prefix, el.name];
      if (el.num_children) walk(p, el.num_children);
      else if (el.field_id !== undefined) out.set(p.join('\u001f'), el.field_id);
    }
  };
  walk([], schema[0]?.num_children ?? 0);
  return out;
}
