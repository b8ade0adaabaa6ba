/** Iceberg v2: table metadata, manifests, transforms, catalogs and the append commit. */

export {
  type AppendRequest,
  type AppendResult,
  appendFiles,
  findRunSnapshot,
  RUN_ID_KEY,
  STATE_KEY,
} from './append.js';
export * from './catalog.js';
export {
  createFilesystemCatalog,
  type FilesystemCatalog,
  type FilesystemCatalogOptions,
  fileWarehouseUri,
} from './fs-catalog.js';
export { type FileIO, storeFileIO } from './io.js';
export { type JsonValue, parseJson, stringifyJson } from './json.js';
export { type DataFile, readManifest, readManifestList } from './manifest.js';
export * from './metadata.js';
export { initialSchema, partitionSpecFor, writeSchemaFor } from './schema.js';
export { applyTransform, hashValue, murmur3x86_32, parseTransform, type Transform } from './transforms.js';
export { applyUpdates, checkRequirements, InvalidUpdateError } from './updates.js';
