/** Developer tooling for plugin authors: scaffold, build, test, and data for plugin unit tests. */
export { type BuildOptions, type BuildResult, buildPlugin } from './build.js';
export { configFromSchema, sampleFromSchema } from './config-gen.js';
export {
  type PluginTestOptions,
  type PluginTestReport,
  streamContract,
  TEST_CONFIG_FILE,
  testConfigFor,
  testPlugin,
} from './harness.js';
export { setManifestEntry, UNBUILT_SHA256 } from './manifest-edit.js';
export {
  type GeneratedRecord,
  type GenerateOptions,
  generateRecords,
  mockConfig,
  recordsToBatch,
  recordsToIpc,
} from './records.js';
export { type InitOptions, type InitResult, initPlugin, LANGUAGES } from './scaffold.js';
export { checkBatchAgainstContract, checkBatchAgainstSchema, type SchemaMismatch } from './schema-check.js';
export { findRustToolchain, RUST_PACKAGES, type RustToolchain } from './toolchain.js';
