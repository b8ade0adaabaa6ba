/**
 * The `connection` blocks the adapters read, as zod schemas. Loose on purpose for now: recipes and
 * the original's jobs carry keys that some adapters ignore, and the load step reports unknown keys
 * at the job level (see config/job-schema.ts). The keys listed are the ones the implementations read.
 */
import { z } from 'zod';

const str = z.string();
const anyMap = z.record(z.string(), z.unknown());
const portLike = z.union([z.number().int().positive(), str]);

/** Files come from `source.files`; a file source reads no connection keys. */
export const noConnection = z.looseObject({});

export const databaseConnection = z.looseObject({
  dsn: str.optional(),
  connection_string: str.optional(),
  url: str.optional(),
  uri: str.optional(),
  host: str.optional(),
  hostname: str.optional(),
  port: portLike.optional(),
  database: str.optional(),
  dbname: str.optional(),
  db: str.optional(),
  user: str.optional(),
  username: str.optional(),
  password: str.optional(),
  sslmode: str.optional(),
  ssl_mode: str.optional(),
});

export const apiConnection = z.looseObject({ base_url: str.optional() });

export const localConnection = z.looseObject({ path: str.optional() });

export const objectStoreConnection = z.looseObject({
  s3: anyMap.optional(),
  minio: anyMap.optional(),
  bucket: str.optional(),
  prefix: str.optional(),
  region: str.optional(),
  endpoint: str.optional(),
});

export const icebergConnection = z.looseObject({
  s3: anyMap.optional(),
  minio: anyMap.optional(),
  nessie: z.looseObject({ uri: str.optional() }).optional(),
  rest: anyMap.optional(),
  warehouse: str.optional(),
});

/** Plugins and engines take their settings from the job's own block, handed over as-is. */
export const passThrough = anyMap;
