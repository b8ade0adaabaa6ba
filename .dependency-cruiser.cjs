/**
 * The layers of host/ (docs/architecture.md), checked in CI by `npm run deps`.
 * Top to bottom; a module may import its own layer and any layer below, never one above:
 *
 *   cli → (api | orchestrator) → (pipeline | plugin-dev) → connectors
 *       → (sources | sinks | plugins | marketplace | engines)
 *       → iceberg → config → kernels (contract, tags, state, secrets, observability, errors.ts)
 *
 * Type-only imports count (tsPreCompilationDeps), and so do dynamic import()s: a lazy edge is
 * still an edge a reader has to follow. Edges against the order that existed when the check was
 * introduced are listed in .dependency-cruiser-known-violations.json; that list only shrinks.
 */
const LAYERS = [
  ['cli'],
  ['api', 'orchestrator'],
  ['pipeline', 'plugin-dev'],
  ['connectors'],
  // marketplace shares the plugins layer: plugins/load.ts resolves `plugin.name` through its lock, and
  // it reads plugin manifests and the ABI table from plugins/.
  ['sources', 'sinks', 'plugins', 'marketplace', 'engines'],
  ['iceberg'],
  ['config'],
  ['contract', 'tags', 'state', 'secrets', 'observability'],
];

const folderPath = (names) => `^host/(${names.join('|')})/`;

/** One rule per layer: nothing in it imports a layer above it. */
const layerRules = LAYERS.slice(1).map((layer, i) => ({
  name: `layer-${layer.join('-')}`,
  comment: `${layer.join(', ')} must not import ${LAYERS.slice(0, i + 1).flat().join(', ')} (layers point down)`,
  severity: 'error',
  from: { path: folderPath(layer) },
  to: { path: folderPath(LAYERS.slice(0, i + 1).flat()) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'an import cycle (type-only and dynamic imports included)',
      severity: 'error',
      from: { path: '^host/' },
      to: { circular: true },
    },
    {
      name: 'kernel-errors-imports-nothing',
      comment: 'host/errors.ts is the bottom of the stack',
      severity: 'error',
      from: { path: '^host/errors\\.ts$' },
      to: { path: '^host/' },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
