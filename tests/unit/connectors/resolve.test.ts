/** Which adapter serves a job, and the NOT_IMPLEMENTED / PLUGIN_DENIED answers for the rest. */
import { describe, expect, it } from 'vitest';
import type { ResolvedJob } from '../../../host/config/types.js';
import { resolveJob, resolveSink, resolveSource, targetLocation } from '../../../host/connectors/index.js';
import { DativoError } from '../../../host/errors.js';

interface Shape {
  source?: Partial<ResolvedJob['source']>;
  target?: Partial<ResolvedJob['target']>;
}

function job(shape: Shape = {}): ResolvedJob {
  return {
    file: 'job.yaml',
    locate: (keyPath: string) => ({ file: 'job.yaml', keyPath }),
    source: {
      type: 'csv',
      engine: 'native',
      config: {},
      options: {},
      files: [],
      objects: [],
      credentials: {},
      ...shape.source,
    },
    target: {
      type: 'local',
      engine: 'native',
      config: {},
      options: {},
      connection: { path: 'out' },
      fileFormat: 'parquet',
      ...shape.target,
    },
  } as unknown as ResolvedJob;
}

function failure(fn: () => unknown): { code: string; message: string; keyPath?: string } {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof DativoError)) throw e;
    return { code: e.code, message: e.message, keyPath: e.location?.keyPath };
  }
  throw new Error('expected a DativoError');
}

describe('resolveSource', () => {
  it('picks the connector row by source.type for native sources', () => {
    expect(resolveSource(job()).name).toBe('csv');
    expect(resolveSource(job({ source: { type: 'stripe', engine: 'native' } })).name).toBe('stripe');
  });

  it('picks the engine row when the job resolves to an engine', () => {
    const a = resolveSource(job({ source: { type: 'stripe', engine: 'airbyte' } }));
    expect([a.selectedBy, a.name]).toEqual(['engine', 'airbyte']);
  });

  it('reads Postgres natively unless the job names the engine itself', () => {
    expect(resolveSource(job({ source: { type: 'postgres', engine: 'meltano' } })).name).toBe('postgres');
    const named = { type: 'postgres', engine: 'meltano', engineExplicit: true };
    expect(resolveSource(job({ source: named })).name).toBe('meltano');
  });

  it('picks the plugin row for a reader plugin, the Python row for a .py file, and refuses native plugins', () => {
    expect(resolveSource(job({ source: { customReader: 'plugins/r.wasm' } })).selectedBy).toBe('plugin');
    expect(failure(() => resolveSource(job({ source: { customReader: 'r.so' } }))).code).toBe(
      'PLUGIN_DENIED',
    );
    const py = resolveSource(job({ source: { customReader: 'plugins/r.py:Reader' } }));
    expect([py.selectedBy, py.name]).toEqual(['plugin', 'python']);
    expect(resolveSource(job({ source: { customReader: 'plugins/r.wasm' } })).name).toBe('extism');
    const writer = resolveSink(job({ target: { customWriter: 'plugins/w.py:Writer' } }));
    expect([writer.selectedBy, writer.name]).toEqual(['plugin', 'python']);
  });

  it('refuses a connector without a row, at source_connector_path', () => {
    expect(failure(() => resolveSource(job({ source: { type: 'gdrive_csv' } })))).toEqual({
      code: 'NOT_IMPLEMENTED',
      message: 'source connector "gdrive_csv" is valid but not implemented in this version of Dativo',
      keyPath: 'source_connector_path',
    });
  });

  it('refuses an engine this build does not run for a connector', () => {
    const f = failure(() => resolveSource(job({ source: { type: 'csv', engine: 'jdbc' } })));
    expect(f.message).toBe('engine "jdbc" for csv is valid but not implemented in this version of Dativo');
  });

  it('picks the plugin row for a plugin by name (resolved through dativo.lock when opened)', () => {
    const plugin = { name: 'acme/reader', allow: { hosts: [], secrets: [] } };
    const a = resolveSource(job({ source: { plugin } }));
    expect([a.selectedBy, a.name]).toEqual(['plugin', 'extism']);
    const both = resolveJob(job({ source: { plugin }, target: { plugin: { ...plugin, name: 'acme/w' } } }));
    expect([both.source.selectedBy, both.sink.selectedBy]).toEqual(['plugin', 'plugin']);
  });
});

describe('resolveSink', () => {
  it('picks local, s3, minio and iceberg rows by target.type', () => {
    for (const t of ['local', 's3', 'minio', 'iceberg'])
      expect(resolveSink(job({ target: { type: t } })).name).toBe(t);
  });

  it('picks the plugin row for a writer plugin, whatever the file format', () => {
    const a = resolveSink(job({ target: { customWriter: 'w.wasm', fileFormat: 'csv' } }));
    expect(a.selectedBy).toBe('plugin');
  });

  it('serves a writer plugin on the file targets and Iceberg, nothing else', () => {
    for (const t of ['local', 's3', 'minio', 'iceberg'])
      expect(resolveSink(job({ target: { type: t, customWriter: 'w.wasm' } })).selectedBy).toBe('plugin');
    expect(failure(() => resolveSink(job({ target: { type: 'postgres', customWriter: 'w.wasm' } })))).toEqual(
      {
        code: 'NOT_IMPLEMENTED',
        message:
          'a writer plugin with target "postgres" is valid but not implemented in this version of Dativo',
        keyPath: 'target_connector_path',
      },
    );
  });

  it('picks the Python row for a custom_writer file.py:Class, on the file targets only', () => {
    for (const t of ['local', 's3', 'minio'])
      expect(resolveSink(job({ target: { type: t, customWriter: 'w.py:W' } })).name).toBe('python');
    expect(failure(() => resolveSink(job({ target: { type: 'iceberg', customWriter: 'w.py:W' } })))).toEqual({
      code: 'CONFIG_INVALID',
      message:
        'a Python custom_writer writes files, and target "iceberg" is not a file target; use local, s3 or minio',
      keyPath: 'target.custom_writer',
    });
  });

  it('refuses unknown targets, other formats and the hybrid markdown_kv pattern', () => {
    expect(failure(() => resolveSink(job({ target: { type: 'postgres' } }))).keyPath).toBe(
      'target_connector_path',
    );
    expect(failure(() => resolveSink(job({ target: { fileFormat: 'csv' } }))).message).toMatch(
      /^file_format "csv" is valid but not implemented/,
    );
    const hybrid = { config: { markdown_kv_storage: { mode: 'structured', structured_pattern: 'hybrid' } } };
    expect(failure(() => resolveSink(job({ target: hybrid }))).keyPath).toBe(
      'target.markdown_kv_storage.structured_pattern',
    );
    const kv = { config: { markdown_kv_storage: { mode: 'string' } } };
    expect(resolveSink(job({ target: kv })).name).toBe('local');
  });
});

describe('resolveJob', () => {
  it('reports a refused writer plugin before an unknown source connector', () => {
    const f = failure(() => resolveJob(job({ source: { type: 'nope' }, target: { customWriter: 'w.dll' } })));
    expect(f.code).toBe('PLUGIN_DENIED');
  });

  it('targetLocation names the local folder, also for a target this build refuses', async () => {
    expect(await targetLocation(job())).toBe('out');
    expect(await targetLocation(job({ target: { type: 'azure_blob', connection: { path: 'x' } } }))).toBe(
      'x',
    );
  });
});
