/**
 * A protocol-faithful fake of AWS Secrets Manager's `GetSecretValue` and `ListSecrets` (no
 * LocalStack or moto can run here; see ../shared/notes/services.md §5). On the wire it is what the
 * SDK talks to: `POST /` with `Content-Type: application/x-amz-json-1.1` and
 * `X-Amz-Target: secretsmanager.<Operation>`, JSON in and out, errors as HTTP 400 with
 * `{"__type": "<Exception>", "message": ...}` and the `x-amzn-ErrorType` header.
 *
 * Every request's SigV4 signature is VERIFIED: the fake rebuilds the canonical request from the
 * headers the client says it signed and signs it again with @smithy/signature-v4 using the secret key
 * it knows for that access key id (service `secretsmanager`, region from the credential scope).
 * Unknown key id → UnrecognizedClientException; wrong signature (e.g. a wrong secret key) →
 * InvalidSignatureException; a date more than 15 minutes off → InvalidSignatureException (expired).
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';

export interface AwsFakeVersion {
  id?: string;
  stages?: string[];
  string?: string;
  binary?: Uint8Array;
}

export interface AwsSecretsFakeOptions {
  /** access key id → secret access key. */
  credentials: Record<string, string>;
  /** Secret name → its current value (a string) or its versions. */
  secrets: Record<string, string | AwsFakeVersion[]>;
  region?: string;
  accountId?: string;
}

export interface AwsRecordedRequest {
  target: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export interface AwsSecretsFake {
  url: string;
  requests: AwsRecordedRequest[];
  close(): Promise<void>;
}

/** The hash the signer needs, from node:crypto (so the fake shares no hashing code with the SDK). */
class NodeSha256 {
  private hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(private readonly secret?: unknown) {
    this.hash = this.fresh();
  }
  private fresh() {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }
  update(data: unknown): void {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

function toBuffer(data: unknown): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('unsupported data for sha256');
}

const AUTH_RE =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

interface Fault {
  type: string;
  message: string;
}

export async function startAwsSecretsFake(options: AwsSecretsFakeOptions): Promise<AwsSecretsFake> {
  const region = options.region ?? 'us-east-1';
  const account = options.accountId ?? '123456789012';
  const requests: AwsRecordedRequest[] = [];
  type StoredVersion = AwsFakeVersion & { id: string; stages: string[] };
  const secrets = new Map<string, { arn: string; versions: StoredVersion[] }>();
  for (const [name, value] of Object.entries(options.secrets)) {
    const versions: StoredVersion[] = (typeof value === 'string' ? [{ string: value }] : value).map(
      (v, i) => ({
        ...v,
        id: v.id ?? randomUUID(),
        stages: v.stages ?? (i === 0 ? ['AWSCURRENT'] : []),
      }),
    );
    const suffix = createHash('sha1').update(name).digest('hex').slice(0, 6);
    secrets.set(name, {
      arn: `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${suffix}`,
      versions,
    });
  }
  const byId = (id: string) => {
    const direct = secrets.get(id);
    if (direct) return { name: id, ...direct };
    for (const [name, s] of secrets) if (s.arn === id) return { name, ...s };
    return undefined;
  };

  const verify = async (req: http.IncomingMessage, body: string): Promise<Fault | undefined> => {
    const auth = String(req.headers.authorization ?? '');
    const m = AUTH_RE.exec(auth);
    if (!m)
      return {
        type: 'IncompleteSignature',
        message: 'Authorization header requires a valid AWS4-HMAC-SHA256 signature.',
      };
    const [, keyId, day, scopeRegion, service, signedList, signature] = m as unknown as string[];
    const secret = options.credentials[keyId!];
    if (secret === undefined) {
      return {
        type: 'UnrecognizedClientException',
        message: 'The security token included in the request is invalid.',
      };
    }
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    const when = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
    if (!when || amzDate.slice(0, 8) !== day || service !== 'secretsmanager') {
      return { type: 'IncompleteSignature', message: 'The credential scope or X-Amz-Date is malformed.' };
    }
    const signingDate = new Date(
      Date.UTC(+when[1]!, +when[2]! - 1, +when[3]!, +when[4]!, +when[5]!, +when[6]!),
    );
    if (Math.abs(Date.now() - signingDate.getTime()) > 15 * 60_000) {
      return {
        type: 'InvalidSignatureException',
        message: 'Signature expired: the request date is more than 15 minutes off.',
      };
    }
    const headers: Record<string, string> = {};
    for (const h of signedList!.split(';')) {
      const v = req.headers[h];
      if (v === undefined) return { type: 'IncompleteSignature', message: `Signed header ${h} is missing.` };
      headers[h] = Array.isArray(v) ? v.join(',') : v;
    }
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const signer = new SignatureV4({
      service: 'secretsmanager',
      region: scopeRegion!,
      credentials: { accessKeyId: keyId!, secretAccessKey: secret },
      sha256: NodeSha256 as never,
      uriEscapePath: true,
    });
    const signed = await signer.sign(
      {
        method: req.method ?? 'POST',
        protocol: 'http:',
        hostname: headers.host ?? '',
        path: url.pathname,
        query,
        headers,
        body,
      },
      { signingDate, signingRegion: scopeRegion!, signingService: 'secretsmanager' },
    );
    const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? ''))?.[1];
    if (expected !== signature) {
      return {
        type: 'InvalidSignatureException',
        message:
          'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      };
    }
    return undefined;
  };

  const getSecretValue = (input: Record<string, unknown>): [number, unknown] => {
    const id = typeof input.SecretId === 'string' ? input.SecretId : '';
    const s = byId(id);
    if (!s) return fault('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    const wantId = typeof input.VersionId === 'string' ? input.VersionId : undefined;
    const stage =
      typeof input.VersionStage === 'string' ? input.VersionStage : wantId ? undefined : 'AWSCURRENT';
    const v = s.versions.find(
      (x) => (wantId === undefined || x.id === wantId) && (stage === undefined || x.stages.includes(stage)),
    );
    if (!v) {
      return fault(
        'ResourceNotFoundException',
        wantId
          ? `Secrets Manager can't find the specified secret value for VersionId: ${wantId}`
          : `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
      );
    }
    return [
      200,
      {
        ARN: s.arn,
        Name: s.name,
        VersionId: v.id,
        VersionStages: v.stages,
        CreatedDate: 1704067200,
        ...(v.string !== undefined ? { SecretString: v.string } : {}),
        ...(v.binary !== undefined ? { SecretBinary: Buffer.from(v.binary).toString('base64') } : {}),
      },
    ];
  };

  const listSecrets = (input: Record<string, unknown>): [number, unknown] => {
    const filters = Array.isArray(input.Filters)
      ? (input.Filters as { Key?: string; Values?: string[] }[])
      : [];
    let names = [...secrets.keys()].sort();
    for (const f of filters) {
      if (f.Key !== 'name')
        return fault('InvalidParameterException', `This fake only filters by name, not ${f.Key}.`);
      names = names.filter((n) => (f.Values ?? []).some((p) => n.startsWith(p)));
    }
    const max = typeof input.MaxResults === 'number' ? input.MaxResults : 100;
    const start =
      typeof input.NextToken === 'string' ? Number(Buffer.from(input.NextToken, 'base64').toString()) : 0;
    const page = names.slice(start, start + max);
    const more = start + max < names.length;
    return [
      200,
      {
        SecretList: page.map((n) => ({ ARN: secrets.get(n)!.arn, Name: n, LastChangedDate: 1704067200 })),
        ...(more ? { NextToken: Buffer.from(String(start + max)).toString('base64') } : {}),
      },
    ];
  };

  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      void (async () => {
        const target = String(req.headers['x-amz-target'] ?? '');
        let input: Record<string, unknown> = {};
        try {
          input = body ? JSON.parse(body) : {};
        } catch {
          input = {};
        }
        requests.push({ target, headers: req.headers, body: input });
        const send = ([status, payload]: [number, unknown]): void => {
          res.statusCode = status;
          res.setHeader('Content-Type', 'application/x-amz-json-1.1');
          res.setHeader('x-amzn-RequestId', randomUUID());
          const type = (payload as { __type?: string }).__type;
          if (type) res.setHeader('x-amzn-ErrorType', type);
          res.end(JSON.stringify(payload));
        };
        if (
          req.method !== 'POST' ||
          !String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')
        ) {
          return send(fault('UnknownOperationException', 'Expected a POST of application/x-amz-json-1.1.'));
        }
        const bad = await verify(req, body);
        if (bad) return send(fault(bad.type, bad.message));
        if (target === 'secretsmanager.GetSecretValue') return send(getSecretValue(input));
        if (target === 'secretsmanager.ListSecrets') return send(listSecrets(input));
        return send(fault('UnknownOperationException', `Unsupported operation ${target}.`));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function fault(type: string, message: string, status = 400): [number, unknown] {
  return [status, { __type: type, message }];
}
