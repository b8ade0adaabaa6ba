/**
 * `dativo discover --connector NAME` (spec §2): what a connector offers, without a job file. As in
 * the original, a built-in connector answers from the registry (its `objects_supported`; stripe and
 * hubspot list their streams), since listing a real account's objects needs a job's credentials.
 * Whether this build runs the connector in each role comes from the adapter rows of host/connectors
 * (the same rows `run` resolves through). A plugin file is refused as `run` refuses it; a `.py`
 * reader's discover() needs the config its class is built with, so it is asked through a job.
 */

import { nearest } from '../config/issues.js';
import { loadRegistry } from '../config/registry.js';
import { REFUSALS, refusedPlugin, SINK_ADAPTERS, SOURCE_ADAPTERS } from '../connectors/index.js';
import { DativoError } from '../errors.js';

export interface ConnectorDiscovery {
  objects: { name: string; type: string }[];
  metadata: Record<string, unknown>;
  count: number;
}

export async function discoverConnector(name: string): Promise<ConnectorDiscovery> {
  const refused = refusedPlugin(name, { plugin: name });
  if (refused) throw refused;
  if (/\.py(:\w+)?$/i.test(name)) {
    throw new DativoError(
      'CONFIG_INVALID',
      `discover --connector ${name}: a Python reader is built from a job's source block; ` +
        'run `dativo discover --config JOB.yaml` with a job whose source.custom_reader names it',
    );
  }
  const registry = await loadRegistry();
  const entry = registry.connectors[name];
  if (!entry) {
    const names = Object.keys(registry.connectors);
    const near = nearest(name, names).best;
    throw new DativoError(
      'CONFIG_INVALID',
      `discover --connector: no connector named "${name}" (the nearest is "${near}"; known: ${names.join(', ')})`,
    );
  }
  const objects = (entry.objects_supported ?? []).map((o) => ({ name: o, type: 'stream' }));
  return {
    objects,
    metadata: {
      connector: name,
      roles: entry.roles,
      engines: entry.engines_supported,
      default_engine: entry.default_engine,
      adapters: adapterStatus(name, entry.roles),
      source: 'registry',
    },
    count: objects.length,
  };
}

/** Per role the registry lists: 'runs' when an adapter row serves it, else why this build refuses it. */
function adapterStatus(name: string, roles: readonly ('source' | 'target')[]): Record<string, string> {
  const served = { source: SOURCE_ADAPTERS, target: SINK_ADAPTERS } as const;
  const status: Record<string, string> = {};
  for (const role of roles) {
    const row = served[role].find((a) => a.selectedBy === 'connector' && a.name === name);
    const kind = role === 'source' ? 'source' : 'sink';
    status[role] = row
      ? 'runs'
      : (REFUSALS.find((r) => r.kind === kind && r.name === name)?.reason ?? 'no adapter');
  }
  return status;
}
