import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { credentialsFromAuthFile } from '../../../host/marketplace/credentials.js';
import { RegistryClient } from '../../../host/marketplace/oci-client.js';

/** A registry that wants a bearer token from its realm, which wants Basic credentials. */
function tokenRegistry(user: string, pass: string) {
  const seen: string[] = [];
  const fake = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const auth = new Headers(init?.headers).get('authorization') ?? '';
    seen.push(`${url.pathname}${url.search} ${auth.split(' ')[0] ?? ''}`);
    if (url.pathname === '/token') {
      if (auth !== `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`)
        return new Response('', { status: 401 });
      return Response.json({ token: 'tok-123' });
    }
    if (auth !== 'Bearer tok-123') {
      return new Response('', {
        status: 401,
        headers: {
          'www-authenticate':
            'Bearer realm="http://auth.test/token",service="reg.test",scope="repository:acme/p:pull"',
        },
      });
    }
    return Response.json({ name: 'acme/p', tags: ['1.0.0', '1.1.0'] });
  }) as typeof fetch;
  return { fake, seen };
}

describe('registry client auth', () => {
  it('follows the bearer token flow with the Basic credentials of the auth file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dativo-auth-'));
    const file = path.join(dir, 'auth.json');
    writeFileSync(
      file,
      JSON.stringify({ auths: { 'reg.test': { auth: Buffer.from('alice:s3cret').toString('base64') } } }),
    );
    const credentials = credentialsFromAuthFile('reg.test', { REGISTRY_AUTH_FILE: file });
    expect(credentials).toEqual({ username: 'alice', password: 's3cret' });
    const { fake, seen } = tokenRegistry('alice', 's3cret');
    const client = new RegistryClient('http://reg.test', { credentials, fetch: fake });
    expect(await client.listTags('acme/p')).toEqual(['1.0.0', '1.1.0']);
    expect(seen).toEqual([
      '/v2/acme/p/tags/list?n=1000 ',
      '/token?service=reg.test&scope=repository%3Aacme%2Fp%3Apull Basic',
      '/v2/acme/p/tags/list?n=1000 Bearer',
    ]);
  });

  it('says how to log in when the token service refuses, without echoing the password', async () => {
    const { fake } = tokenRegistry('alice', 's3cret');
    const client = new RegistryClient('http://reg.test', {
      credentials: { username: 'alice', password: 'wrong-pw' },
      fetch: fake,
    });
    const err = await client.listTags('acme/p').catch((e: Error) => e);
    expect(String(err)).toContain('needs credentials: log in with `skopeo login` or `docker login`');
    expect(String(err)).not.toContain('wrong-pw');
  });
});
