/**
 * registry/connectors.yaml (what users read) and the adapter table (what runs) describe the same
 * connectors: every (connector, role) there has an adapter row or an explicit refusal, and every
 * connector row or refusal here has its entry there.
 */
import { describe, expect, it } from 'vitest';
import { loadRegistry } from '../../../host/config/registry.js';
import { REFUSALS, SINK_ADAPTERS, SOURCE_ADAPTERS } from '../../../host/connectors/index.js';

const roleOf = { source: 'source', sink: 'target' } as const;

async function yamlPairs(): Promise<Set<string>> {
  const registry = await loadRegistry();
  const pairs = new Set<string>();
  for (const [name, entry] of Object.entries(registry.connectors))
    for (const role of entry.roles) pairs.add(`${role}:${name}`);
  return pairs;
}

function tablePairs(): Map<string, string> {
  const out = new Map<string, string>();
  const add = (key: string, what: string) => {
    expect(out.has(key), `${key} is both ${out.get(key)} and ${what}`).toBe(false);
    out.set(key, what);
  };
  for (const a of [...SOURCE_ADAPTERS, ...SINK_ADAPTERS])
    if (a.selectedBy === 'connector') add(`${roleOf[a.kind]}:${a.name}`, 'an adapter row');
  for (const r of REFUSALS) add(`${roleOf[r.kind]}:${r.name}`, 'a refusal');
  return out;
}

describe('adapter table and registry/connectors.yaml', () => {
  it('every connector role in the yaml has an adapter row or a refusal', async () => {
    const table = tablePairs();
    const missing = [...(await yamlPairs())].filter((p) => !table.has(p));
    expect(missing).toEqual([]);
  });

  it('every connector row and refusal has its entry in the yaml', async () => {
    const yaml = await yamlPairs();
    const orphans = [...tablePairs().keys()].filter((p) => !yaml.has(p));
    expect(orphans).toEqual([]);
  });

  it('the table has the rows this build runs, each selected one way', () => {
    const names = (t: readonly { name: string; selectedBy: string }[]) =>
      t.map((a) => `${a.selectedBy}:${a.name}`).sort();
    expect(names(SOURCE_ADAPTERS)).toEqual([
      'connector:csv',
      'connector:hubspot',
      'connector:markdown_kv',
      'connector:mysql',
      'connector:postgres',
      'connector:postgres_cdc',
      'connector:stripe',
      'engine:airbyte',
      'engine:meltano',
      'engine:singer',
      'plugin:extism',
      'plugin:python',
    ]);
    expect(names(SINK_ADAPTERS)).toEqual([
      'connector:iceberg',
      'connector:local',
      'connector:minio',
      'connector:s3',
      'plugin:extism',
      'plugin:python',
    ]);
  });
});
