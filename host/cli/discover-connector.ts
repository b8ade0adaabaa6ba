/**
 * `dativo discover --connector NAME` (spec §2): what a connector offers, without a job file. As in
 * the original, a built-in connector answers from the registry (its `objects_supported`; stripe and
 * hubspot list their streams), since listing a real account's objects needs a job's credentials.
 * A `.py` plugin needs the Python plugin runtime, which this version does not have: exit 2 says so.
 */

import { nearest } from '../config/issues.js';
import { loadRegistry } from '../config/registry.js';
import { DativoError } from '../errors.js';

export interface ConnectorDiscovery {
  objects: { name: string; type: string }[];
  metadata: Record<string, unknown>;
  count: number;
}

export async function discoverConnector(name: string): Promise<ConnectorDiscovery> {
  if (name.endsWith('.py') || name.includes('.py:')) {
    throw new DativoError(
      'NOT_IMPLEMENTED',
      `discover --connector ${name}: Python plugins need the Python plugin runtime, which is not part of this version of Dativo`,
      { location: { plugin: name } },
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
      source: 'registry',
    },
    count: objects.length,
  };
}
