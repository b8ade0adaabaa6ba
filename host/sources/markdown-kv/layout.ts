/**
 * Which rows `target.markdown_kv_storage` asks for (spec §13). Config only, so the connector
 * registry can decide without loading the transform. Defaults follow the original: `mode` string,
 * and `structured` means `row_per_kv` unless `structured_pattern` says otherwise.
 */

/** `raw_file` passes records through unchanged, as the original did. */
export type KvLayout = 'string' | 'row_per_kv' | 'document_level' | 'raw_file' | 'hybrid';

export interface KvStorageConfig {
  mode?: 'string' | 'structured' | 'raw_file' | undefined;
  structured_pattern?: 'row_per_kv' | 'document_level' | 'hybrid' | undefined;
}

export function kvLayout(storage: KvStorageConfig): KvLayout {
  if (storage.mode === 'raw_file') return 'raw_file';
  if (storage.mode === 'structured') return storage.structured_pattern ?? 'row_per_kv';
  return 'string';
}
