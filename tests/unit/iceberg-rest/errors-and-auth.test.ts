/**
 * How the client reads failures (the Java client's mapping: 409 conflict, 5xx/timeout unknown,
 * 404 absent, anything else a DativoError with status and server message), bearer tokens and
 * OAuth2 client credentials — and that no token or secret ever appears in an error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DativoError } from '../../../host/errors.js';
import { type Catalog, CommitConflictError, CommitStateUnknownError } from '../../../host/iceberg/catalog.js';
import { createRestCatalog } from '../../../host/iceberg/rest/client.js';
import { appendCommit, type Fixture, ident, SCHEMA, serveTempCatalog } from './helpers.js';

const TOKEN = 'tok-5ecret-bearer-value-123';
const CREDENTIAL = 'dativo-client:cl1ent-s3cret-value';

/** A fetch that answers /v1/config normally and `status` (with `body`) for everything else. */
function stubFetch(status: number, body: unknown = {}, onCall?: (url: string) => void): typeof fetch {
  return async (input) => {
    const url = String(input);
    onCall?.(url);
    if (url.endsWith('/v1/config')) return Response.json({ defaults: {}, overrides: {} });
    return Response.json(body, { status });
  };
}

const commitArgs = () =>
  appendCommit(
    {
      'table-uuid': 'u',
      refs: {},
      'last-sequence-number': 0,
      location: 's3://b/t',
      'current-schema-id': 0,
    } as never,
    1n,
    'r',
  );

describe('error mapping', () => {
  it.each([500, 502, 503, 504])('a commit answered %i is CommitStateUnknownError', async (status) => {
    const c = createRestCatalog({
      uri: 'http://catalog.invalid',
      fetch: stubFetch(status, {
        error: { message: 'gateway hiccup', type: 'ServiceFailureException', code: status },
      }),
    });
    const { requirements, updates } = commitArgs();
    const err = await c.commitTable(ident('t'), requirements, updates).catch((e) => e);
    expect(err).toBeInstanceOf(CommitStateUnknownError);
    expect(err.message).toContain(`HTTP ${status} ServiceFailureException: gateway hiccup`);
    expect(err.message).toContain('may or may not have landed');
  });

  it('a commit that times out is CommitStateUnknownError', async () => {
    const hanging: typeof fetch = (input, init) =>
      String(input).endsWith('/v1/config')
        ? Promise.resolve(Response.json({}))
        : new Promise((_, reject) =>
            init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
          );
    const c = createRestCatalog({ uri: 'http://catalog.invalid', fetch: hanging, timeoutMs: 50 });
    const { requirements, updates } = commitArgs();
    const err = await c.commitTable(ident('t'), requirements, updates).catch((e) => e);
    expect(err).toBeInstanceOf(CommitStateUnknownError);
    expect(err.message).toContain('no answer within 50 ms');
  });

  it('a commit the server never received (connection refused) is a retryable CONNECTION_FAILED', async () => {
    const c = createRestCatalog({ uri: 'http://127.0.0.1:1' });
    const { requirements, updates } = commitArgs();
    const err = await c.commitTable(ident('t'), requirements, updates).catch((e) => e);
    expect(err).toBeInstanceOf(DativoError);
    expect(err.code).toBe('CONNECTION_FAILED');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('REST catalog GET http://127.0.0.1:1/v1/config failed');
  });

  it('a 409 on commit is CommitConflictError; a 5xx on load is a retryable CONNECTION_FAILED', async () => {
    const conflict = createRestCatalog({ uri: 'http://x.invalid', fetch: stubFetch(409, {}) });
    const { requirements, updates } = commitArgs();
    expect(await conflict.commitTable(ident('t'), requirements, updates).catch((e) => e)).toBeInstanceOf(
      CommitConflictError,
    );
    const down = createRestCatalog({
      uri: 'http://x.invalid',
      fetch: stubFetch(503, {
        error: { message: 'warming up', type: 'ServiceUnavailableException', code: 503 },
      }),
    });
    const err = await down.loadTable(ident('t')).catch((e) => e);
    expect(err).toBeInstanceOf(DativoError);
    expect(err.code).toBe('CONNECTION_FAILED');
    expect(err.retryable).toBe(true);
    expect(err.message).toBe(
      'REST catalog GET http://x.invalid/v1/namespaces/db/tables/t failed: HTTP 503 ServiceUnavailableException: warming up',
    );
  });

  it('a response without metadata is a clear error, not a crash', async () => {
    const c = createRestCatalog({ uri: 'http://x.invalid', fetch: stubFetch(200, { hello: 'world' }) });
    const err = await c.loadTable(ident('t')).catch((e) => e);
    expect(err).toBeInstanceOf(DativoError);
    expect(err.message).toContain('not an Iceberg REST catalog response');
  });

  it('a backing catalog that cannot tell whether it committed reaches the client as CommitStateUnknownError', async () => {
    const fx = await serveTempCatalog({
      wrap: (inner: Catalog): Catalog => ({
        ...inner,
        kind: inner.kind,
        loadTable: (id) => inner.loadTable(id),
        createTable: (id, req) => inner.createTable(id, req),
        commitTable: async () => {
          throw new CommitStateUnknownError('S3 PUT of v2.metadata.json timed out');
        },
      }),
    });
    try {
      const c = createRestCatalog({ uri: fx.server.url });
      const t = await c.createTable(ident('t'), { name: 't', schema: SCHEMA });
      const { requirements, updates } = appendCommit(t.metadata, 5n, 'r');
      const err = await c.commitTable(ident('t'), requirements, updates).catch((e) => e);
      expect(err).toBeInstanceOf(CommitStateUnknownError);
      expect(err.message).toContain(
        'HTTP 500 CommitStateUnknownException: S3 PUT of v2.metadata.json timed out',
      );
    } finally {
      await fx.close();
    }
  });
});

describe('bearer token', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await serveTempCatalog({ token: TOKEN });
  });
  afterAll(() => fx?.close());

  it('is required by the server and sent by the client', async () => {
    const c = createRestCatalog({ uri: fx.server.url, token: TOKEN });
    await c.createTable(ident('t'), { name: 't', schema: SCHEMA });
    expect((await c.loadTable(ident('t')))?.metadata['format-version']).toBe(2);
  });

  it('missing or wrong: AUTHENTICATION_FAILED, and neither token appears in the error', async () => {
    const none = await createRestCatalog({ uri: fx.server.url })
      .loadTable(ident('t'))
      .catch((e) => e);
    expect(none).toBeInstanceOf(DativoError);
    expect(none.code).toBe('AUTHENTICATION_FAILED');
    expect(none.message).toContain('HTTP 401 NotAuthorizedException: missing or invalid bearer token');

    const wrongToken = 'wrong-token-value-987';
    const wrong = await createRestCatalog({ uri: fx.server.url, token: wrongToken })
      .commitTable(ident('t'), [], [])
      .catch((e) => e);
    expect(wrong.code).toBe('AUTHENTICATION_FAILED');
    for (const e of [none, wrong]) {
      const text = `${e.message} ${JSON.stringify(e.details)} ${e.stack}`;
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(wrongToken);
    }
  });

  it('a server that echoes the token back does not get it into the error', async () => {
    const echo: typeof fetch = async (input, init) => {
      if (String(input).endsWith('/v1/config')) return Response.json({});
      const auth = new Headers(init?.headers).get('authorization');
      return Response.json(
        { error: { message: `bad header ${auth}`, type: 'BadRequestException', code: 400 } },
        {
          status: 400,
        },
      );
    };
    const err = await createRestCatalog({ uri: 'http://x.invalid', token: TOKEN, fetch: echo })
      .loadTable(ident('t'))
      .catch((e) => e);
    expect(err.message).toContain('bad header Bearer ***');
    expect(err.message).not.toContain(TOKEN);
  });
});

describe('OAuth2 client credentials', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await serveTempCatalog({ credential: CREDENTIAL });
  });
  afterAll(() => fx?.close());

  it('exchanges the credential at /v1/oauth/tokens once and uses the token', async () => {
    const calls: string[] = [];
    const c = createRestCatalog({
      uri: fx.server.url,
      credential: CREDENTIAL,
      fetch: (input, init) => {
        calls.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
        return fetch(input, init);
      },
    });
    await c.createTable(ident('t'), { name: 't', schema: SCHEMA });
    expect(await c.loadTable(ident('t'))).toBeDefined();
    expect(calls[0]).toBe('POST /v1/oauth/tokens');
    expect(calls.filter((x) => x.includes('oauth')).length).toBe(1);
  });

  it('a wrong secret fails with AUTHENTICATION_FAILED and the secret is not in the message', async () => {
    const bad = 'dativo-client:not-the-s3cret';
    const err = await createRestCatalog({ uri: fx.server.url, credential: bad })
      .loadTable(ident('t'))
      .catch((e) => e);
    expect(err).toBeInstanceOf(DativoError);
    expect(err.code).toBe('AUTHENTICATION_FAILED');
    expect(err.message).toContain('refused the client credentials (HTTP 401: invalid_client');
    expect(err.message).not.toContain('not-the-s3cret');
    expect(err.message).not.toContain('cl1ent-s3cret-value');
  });

  it('refetches the token once after a 401 (an expired token)', async () => {
    let tokenCalls = 0;
    let first = true;
    const flaky: typeof fetch = async (input, init) => {
      const url = String(input);
      if (url.endsWith('/oauth/tokens')) {
        tokenCalls++;
        return Response.json({
          access_token: `t-${tokenCalls}-xxxx`,
          token_type: 'bearer',
          expires_in: 3600,
        });
      }
      if (url.endsWith('/v1/config')) return Response.json({});
      if (first) {
        first = false;
        return Response.json(
          { error: { message: 'expired', type: 'NotAuthorizedException', code: 401 } },
          { status: 401 },
        );
      }
      expect(new Headers(init?.headers).get('authorization')).toBe('Bearer t-2-xxxx');
      return Response.json({}, { status: 404 });
    };
    const c = createRestCatalog({ uri: 'http://x.invalid', credential: 'abcd', fetch: flaky });
    expect(await c.loadTable(ident('t'))).toBeUndefined();
    expect(tokenCalls).toBe(2);
  });
});
