import { describe, expect, it } from 'vitest';
import { IncrementalCursor } from '../../../plugin-pdk/ts/src/incremental.js';
import { OAuth2ClientCredentials } from '../../../plugin-pdk/ts/src/oauth2.js';
import { scriptedSend } from './fake-send.js';

const TOKEN_URL = 'https://auth.example.com/oauth/token';

describe('OAuth2ClientCredentials', () => {
  it('fetches a token with basic auth and a form body, caches it, refreshes it before expiry', () => {
    let t = 0;
    const { send, requests } = scriptedSend([
      { body: { access_token: 'tok-1', expires_in: 120, refresh_token: 'r-1' } },
      { body: { access_token: 'tok-2', expires_in: 120 } },
    ]);
    const auth = new OAuth2ClientCredentials({
      tokenUrl: TOKEN_URL,
      clientId: 'my app',
      clientSecret: 's3cr:et',
      scope: 'read write',
      send,
      now: () => t,
    });
    expect(auth.accessToken()).toBe('tok-1');
    t = 59_000; // 120 s − the 60 s margin not reached
    expect(auth.authorize({ url: 'https://api.example.com/x' }).headers).toEqual({
      authorization: 'Bearer tok-1',
    });
    t = 61_000;
    expect(auth.accessToken()).toBe('tok-2');
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({
      method: 'POST',
      url: TOKEN_URL,
      body: 'grant_type=client_credentials&scope=read%20write',
    });
    expect(requests[0]?.headers?.authorization).toBe(`Basic ${btoa('my%20app:s3cr%3Aet')}`);
    expect(requests[0]?.headers?.['content-type']).toBe('application/x-www-form-urlencoded');
    expect(requests[1]?.body).toBe('grant_type=refresh_token&refresh_token=r-1');
  });

  it('a 401 from the API fetches a new token and retries once', () => {
    const token = scriptedSend([{ body: { access_token: 'old' } }, { body: { access_token: 'new' } }]);
    const api = scriptedSend([{ status: 401 }, { status: 200, body: [] }]);
    const auth = new OAuth2ClientCredentials({
      tokenUrl: TOKEN_URL,
      clientId: 'c',
      clientSecret: 's',
      send: token.send,
    });
    expect(auth.wrap(api.send)({ url: 'https://api.example.com/x' }).status).toBe(200);
    expect(api.requests.map((r) => r.headers?.authorization)).toEqual(['Bearer old', 'Bearer new']);
  });

  it('a refused grant is AUTHENTICATION_FAILED naming the endpoint and client, never the secret', () => {
    const { send } = scriptedSend([{ status: 401, body: { error: 'invalid_client' } }]);
    const auth = new OAuth2ClientCredentials({
      tokenUrl: TOKEN_URL,
      clientId: 'c1',
      clientSecret: 'hunter2',
      send,
    });
    try {
      auth.accessToken();
      expect.unreachable();
    } catch (e) {
      const p = (e as { payload: { code: string; message: string; retryable: boolean } }).payload;
      expect(p).toEqual({
        code: 'AUTHENTICATION_FAILED',
        message: `token endpoint ${TOKEN_URL} answered 401 (invalid_client) for client c1: no access_token`,
        retryable: false,
      });
      expect(JSON.stringify(p)).not.toContain('hunter2');
    }
  });
});

describe('IncrementalCursor', () => {
  function memory(initial: Record<string, string> = {}) {
    const data = { ...initial };
    const store = {
      get: (k: string) => data[k],
      set: (k: string, v: string) => {
        data[k] = v;
      },
    };
    return { data, store };
  }

  it('starts at the committed value, keeps the largest observed, saves it', () => {
    const m = memory({ updated_at: '2026-01-02T00:00:00Z' });
    const c = new IncrementalCursor('updated_at', { store: m.store, initial: '1970-01-01T00:00:00Z' });
    expect(c.value).toBe('2026-01-02T00:00:00Z');
    for (const v of ['2026-01-03T10:00:00Z', null, '2026-01-02T05:00:00Z', new Date('2026-01-04T00:00:00Z')])
      c.observe(v);
    expect(c.latest).toBe('2026-01-04T00:00:00.000Z');
    c.save();
    expect(m.data.updated_at).toBe('2026-01-04T00:00:00.000Z');
  });

  it('numbers compare as numbers; a first run starts at initial; nothing observed saves nothing', () => {
    const m = memory();
    const c = new IncrementalCursor('id', { store: m.store, initial: '0' });
    expect(c.value).toBe('0');
    c.observe(9);
    c.observe(10n);
    c.observe('2');
    expect(c.latest).toBe('10');
    const empty = new IncrementalCursor('other', { store: m.store });
    empty.save();
    expect(m.data).toEqual({});
  });
});
