/** A plugin's config: host-only values stripped; `${secret:…}`/`${ENV}` only as granted. */
import { describe, expect, it } from 'vitest';
import { DativoError } from '../../../host/errors.js';
import { checkConfigReferences, pluginConfigFrom } from '../../../host/plugins/config-grant.js';
import type { Grant } from '../../../host/plugins/policy.js';
import { captureLogger } from './fixtures.js';

const grant = { plugin: 'p', secrets: ['api_token'], env: ['REGION'] } as unknown as Grant;
const job = (references: { keyPath: (string | number)[]; kind: 'secret' | 'env'; name: string }[]) => ({
  references,
  locate: (keyPath: string) => ({ file: 'job.yaml', keyPath }),
});

describe('pluginConfigFrom', () => {
  it('drops credentials, the plugin reference and host paths; keeps the rest', () => {
    expect(
      pluginConfigFrom({
        url: 'https://api',
        password: 'x',
        credentials: { token: 'y' },
        plugin: { path: '/opt/p' },
        files: [{ path: '/data/a.csv' }],
        connection: { path: '/out', bucket: 'b' },
        incremental: { state_path: '/state', cursor_field: 'id' },
        nested: [{ api_key: 'z', keep: 1 }],
      }),
    ).toEqual({
      url: 'https://api',
      connection: { bucket: 'b' },
      incremental: { cursor_field: 'id' },
      nested: [{ keep: 1 }],
    });
  });

  it("drops a writer's whole target.connection: the host commits its outputs there", () => {
    const target = {
      connection: { bucket: 'b', prefix: 'p', endpoint: 'http://s3', s3: { region: 'eu' } },
      output: 'orders.jsonl',
    };
    expect(pluginConfigFrom(target, 'writer')).toEqual({ output: 'orders.jsonl' });
    expect(pluginConfigFrom(target, 'reader')).toEqual(target);
  });
});

describe('checkConfigReferences', () => {
  it('refuses an ungranted secret, naming the key and the secret, and audits it', () => {
    const cap = captureLogger();
    let err: unknown;
    try {
      checkConfigReferences(
        job([{ keyPath: ['source', 'options', 'query'], kind: 'secret', name: 'warehouse_password' }]),
        'reader',
        grant,
        cap.logger,
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DativoError);
    expect((err as DativoError).code).toBe('PLUGIN_DENIED');
    expect((err as DativoError).message).toContain(
      'plugin p: its config key source.options.query uses secret "warehouse_password", which is not granted',
    );
    expect(cap.parsed().at(-1)).toMatchObject({
      event_type: 'plugin_denied',
      capability: 'secret',
      resource: 'warehouse_password',
    });
  });

  it('refuses an ungranted environment variable; ignores host-only keys and the other side', () => {
    expect(() =>
      checkConfigReferences(
        job([{ keyPath: ['target', 'prefix'], kind: 'env', name: 'HOME' }]),
        'writer',
        grant,
      ),
    ).toThrow(/its config key target.prefix uses environment variable HOME, which is not granted/);
    expect(() =>
      checkConfigReferences(
        job([
          { keyPath: ['source', 'credentials', 'token'], kind: 'secret', name: 'other' },
          { keyPath: ['source', 'plugin', 'path'], kind: 'env', name: 'PLUGIN_DIR' },
          { keyPath: ['target', 'connection', 'path'], kind: 'env', name: 'OUT_DIR' },
        ]),
        'reader',
        grant,
      ),
    ).not.toThrow();
  });

  it("ignores a writer's target.connection (the S3 endpoint and keys are the host's)", () => {
    expect(() =>
      checkConfigReferences(
        job([
          { keyPath: ['target', 'connection', 'endpoint'], kind: 'env', name: 'S3_ENDPOINT' },
          { keyPath: ['target', 'connection', 's3', 'region'], kind: 'env', name: 'AWS_REGION' },
        ]),
        'writer',
        grant,
      ),
    ).not.toThrow();
  });

  it('allows granted names and writes the audit line of what the plugin receives', () => {
    const cap = captureLogger();
    checkConfigReferences(
      job([
        { keyPath: ['source', 'url'], kind: 'secret', name: 'api_token' },
        { keyPath: ['source', 'region'], kind: 'env', name: 'REGION' },
      ]),
      'reader',
      grant,
      cap.logger,
    );
    expect(cap.parsed().at(-1)).toMatchObject({
      event_type: 'plugin_secrets',
      plugin: 'p',
      secrets: ['api_token'],
      config_secrets: ['api_token'],
      config_env: ['REGION'],
    });
  });
});
