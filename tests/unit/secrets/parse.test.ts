import { describe, expect, it } from 'vitest';
import { expandVars, parseSecretPayload } from '../../../host/secrets/parse.js';

const env = { HOST: 'db.internal', USER_NAME: 'svc' };

describe('parseSecretPayload', () => {
  it('auto-detects JSON objects and arrays and expands $VAR in their string leaves', () => {
    expect(parseSecretPayload('{"host": "$HOST", "port": 5432}', { env, label: 'pg' })).toEqual({
      host: 'db.internal',
      port: 5432,
    });
    expect(parseSecretPayload('["${HOST}", {"u": "$USER_NAME"}]', { env, label: 'x' })).toEqual([
      'db.internal',
      { u: 'svc' },
    ]);
  });

  it('auto-detects a multi-line K=V blob as dotenv', () => {
    expect(
      parseSecretPayload('USER=admin\nPASSWORD="s3cr3t"\n# c\nHOST=${HOST}', { env, label: 'x' }),
    ).toEqual({
      USER: 'admin',
      PASSWORD: 's3cr3t',
      HOST: 'db.internal',
    });
  });

  it('treats a single K=V line and everything else as text', () => {
    expect(parseSecretPayload('  token=abc  ', { env, label: 'x' })).toBe('token=abc');
    expect(parseSecretPayload('sk_live_$USER_NAME', { env, label: 'x' })).toBe('sk_live_svc');
  });

  it('lets a format hint win over detection', () => {
    expect(parseSecretPayload('{"a":1}', { format: 'text', env, label: 'x' })).toBe('{"a":1}');
    expect(parseSecretPayload('A=1', { format: 'env', env, label: 'x' })).toEqual({ A: '1' });
    expect(parseSecretPayload('{"a":"b"}', { format: 'JSON', env, label: 'x' })).toEqual({ a: 'b' });
  });

  it('falls back to text when auto-detected JSON does not parse', () => {
    expect(parseSecretPayload('{not json', { env, label: 'x' })).toBe('{not json');
  });

  it('reports a broken JSON-hinted secret by name without quoting its value', () => {
    try {
      parseSecretPayload('{"password": hunter22}', { format: 'json', env, label: 'pg' });
      expect.unreachable();
    } catch (err) {
      expect((err as { code: string }).code).toBe('SECRETS_UNAVAILABLE');
      expect((err as Error).message).toMatch(/^secret pg is not valid JSON/);
      expect((err as Error).message).not.toContain('hunter22');
    }
  });
});

describe('expandVars', () => {
  it('expands $VAR and ${VAR}, leaves unknown ones as written, does not re-expand', () => {
    expect(expandVars('$A-${B}-$MISSING-${MISSING}', { A: '1', B: '$A' })).toBe('1-$A-$MISSING-${MISSING}');
  });
});
