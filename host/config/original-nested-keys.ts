/**
 * The fate of nested keys of an original job (spec §3) that differ from "part of its block":
 * `source.files[].path`, `source.incremental.*`, `target.connection.s3.*` and so on. Array items
 * are written `[]`; a trailing `*` matches any key of that map. Keys without a rule here take
 * their nearest ancestor's fate (see original-keys.ts).
 */

/** What became of an original key: read as it was, migrated to today's form, or ignored. */
export type KeyFate = 'used' | 'migrated' | 'ignored';

export interface NestedRule {
  fate: KeyFate;
  why: string;
}

const used = (why: string): NestedRule => ({ fate: 'used', why });
const ignored = (why: string): NestedRule => ({ fate: 'ignored', why });

const S3_KEYS: Record<string, NestedRule> = {
  endpoint: used('the S3 endpoint (MinIO, radosgw or AWS)'),
  bucket: used('the bucket written to'),
  access_key_id: used('S3 credentials; masked in every log, error and report'),
  secret_access_key: used('S3 credentials; masked in every log, error and report'),
  region: used('the S3 region'),
  path_style_access: used('path-style addressing, as in the original'),
  prefix: used('a key prefix under the bucket (the original ignored it)'),
};

function store(name: 's3' | 'minio'): Record<string, NestedRule> {
  return Object.fromEntries(Object.entries(S3_KEYS).map(([k, r]) => [`target.connection.${name}.${k}`, r]));
}

export const NESTED_RULES: Record<string, NestedRule> = {
  'source.custom_reader': used(
    'a plugin: .wasm/.js run sandboxed; .py needs the Python plugin runtime; .so is refused',
  ),
  'source.files': used('the input files, read in order'),
  'source.files[].path': used('a file or glob, relative to the working directory as in the original'),
  'source.files[].object': used(
    'the object name: names the state file ({tenant}/{type}.{object}.state.json)',
  ),
  'source.files[].id': used('the state key of the file (file_<id>), as in the original'),
  'source.tables[].name': used('the table read (schema.table)'),
  'source.tables[].object': used('the object name: names the state file'),
  'source.tables[].cursor_field': used('the incremental cursor of that table'),
  'source.objects': used('the API objects (streams) read; the first names the state file'),
  'source.connection.*': used('connection settings of the source (host, port, database, user...)'),
  'source.credentials': used('credentials of the source; secrets are masked everywhere'),
  'source.rate_limits': used('enforced by the HTTP client of API sources (the original never enforced them)'),
  'source.engine.type': used(
    'selects the engine (the original ignored a job-level engine.type; only the recipe counted)',
  ),
  'source.incremental.strategy': used(
    'the incremental strategy, checked against the registry as the original did',
  ),
  'source.incremental.cursor_field': used('the cursor column'),
  'source.incremental.lookback_days': used('re-reads that many days before the stored cursor or file time'),
  'source.null_values': used('the CSV text read as null (default "", NULL, null, None, as in the original)'),
  'target.custom_writer': used(
    'a writer plugin (.wasm/.js) or a Python BaseWriter (.py:Class), sandboxed; .so is refused',
  ),
  'target.file_format': used('parquet; iceberg, delta, csv and json are valid but exit 2 (not implemented)'),
  'target.connection.s3': used('the S3 connection (nested form, read before flat keys)'),
  'target.connection.minio': used('the MinIO connection (nested form, read before flat keys)'),
  'target.connection.nessie': used('the Nessie catalog of an Iceberg target'),
  'target.connection.rest': used('an Iceberg REST catalog (uri, token, warehouse)'),
  ...store('s3'),
  ...store('minio'),
  'target.connection.nessie.uri': used(
    'the Iceberg REST catalog (a Nessie /api/v1|v2 URI is turned into its /iceberg endpoint)',
  ),
  'target.connection.path': used('the local output folder'),
  'target.connection.*': used(
    'a flat S3 connection key (bucket, endpoint...), read as the s3/minio recipes wrote them',
  ),
  'target.catalog': used(
    'a map with uri selects the Iceberg REST catalog (the original could only set it from a recipe)',
  ),
  'target.branch': ignored(
    "Nessie branches are not used: commits go to the table on the catalog's main branch",
  ),
  'target.warehouse': used("the Iceberg warehouse (filesystem catalog) or the REST catalog's warehouse name"),
  'target.partitioning': used('partition columns of the written files'),
  'target.parquet_target_size_mb': used(
    'the size at which a Parquet file is closed and the next one started',
  ),
  'target.markdown_kv_storage.mode': used(
    'string, structured or raw_file (records pass through), as in the original',
  ),
  'target.markdown_kv_storage.structured_pattern': used(
    'row_per_kv or document_level; hybrid exits 2, as the original refused it',
  ),
  'target.markdown_kv_storage.file_extension': ignored(
    'only meaningful for raw_file, which passes records through (the original did the same)',
  ),
  'target.markdown_kv_storage.path_pattern': ignored(
    'only meaningful for raw_file, which passes records through (the original did the same)',
  ),
};
