/** The config layer's public surface. */

export { findJobFiles, isJobDocument } from './find-jobs.js';
export { type LoadOptions, loadJob } from './load-job.js';
export { BUNDLED_RECIPES_DIR, PACKAGE_ROOT } from './paths.js';
export { loadRecipe, type Recipe } from './recipe.js';
export {
  BUNDLED_REGISTRY,
  type ConnectorChoice,
  loadRegistry,
  type Registry,
  type RegistryEntry,
  validateAgainstRegistry,
} from './registry.js';
export { type SecretLookup, staticSecrets } from './secret-lookup.js';
export type * from './types.js';
export { formatKeyPath, loadYamlFile, parseKeyPath, parseYaml, type YamlSource } from './yaml-source.js';
