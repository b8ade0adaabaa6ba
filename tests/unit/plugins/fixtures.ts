/**
 * Test plumbing for plugins: build the C/WAT fixtures (scripts/build-test-plugins.sh, cached by
 * mtime), package a built module as a plugin folder with a manifest, a captured logger, a
 * minimal ResolvedJob and local HTTP servers on 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { ResolvedJob } from '../../../host/config/types.js';
import { createLogger, type Logger } from '../../../host/observability/logger.js';

export const REPO = fileURLToPath(new URL('../../..', import.meta.url));
export const BUILT = path.join(REPO, '.run', 'plugins');

export function buildTestPlugins(): void {
  execFileSync('bash', [path.join(REPO, 'scripts', 'build-test-plugins.sh')], {
    cwd: REPO,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

export function builtModule(name: string): string {
  return path.join(BUILT, `${name}.wasm`);
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

export interface ManifestInput {
  name?: string;
  role?: 'reader' | 'writer';
  abi?: string;
  sha256?: string;
  capabilities?: Record<string, unknown>;
  config_schema?: Record<string, unknown>;
  runtime?: string;
}

/** A plugin folder in a temp dir: the module as `plugin.wasm` and its `dativo-plugin.yaml`. */
export function pluginDir(module: string, m: ManifestInput = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `dativo-test-plugin-${module}-`));
  const wasm = path.join(dir, 'plugin.wasm');
  copyFileSync(builtModule(module), wasm);
  const manifest: Record<string, unknown> = {
    name: m.name ?? module,
    version: '0.1.0',
    role: m.role ?? 'reader',
    runtime: m.runtime ?? 'extism',
    abi: m.abi ?? '1.0',
    entry: { file: 'plugin.wasm', sha256: m.sha256 ?? sha256File(wasm) },
    capabilities: { memory_mb: 64, timeout_ms: 5000, ...(m.capabilities ?? {}) },
  };
  if (m.config_schema) manifest.config_schema = m.config_schema;
  writeFileSync(path.join(dir, 'dativo-plugin.yaml'), stringify(manifest));
  return dir;
}

/** A logger whose (masked) lines are collected; `parsed()` gives them as objects. */
export function captureLogger(): {
  logger: Logger;
  lines: string[];
  parsed: () => Record<string, unknown>[];
} {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** Just enough of a ResolvedJob for the plugin factories. */
export function fakeJob(
  over: {
    source?: Partial<ResolvedJob['source']>;
    target?: Partial<ResolvedJob['target']>;
    sandbox?: ResolvedJob['sandbox'];
  } = {},
): ResolvedJob {
  const job = {
    file: path.join(os.tmpdir(), 'job.yaml'),
    name: 'plugin_job',
    tenantId: 'acme',
    validationMode: 'strict',
    source: {
      type: 'custom',
      engine: 'native',
      config: {},
      options: {},
      files: [],
      objects: ['numbers'],
      credentials: {},
      ...over.source,
    },
    target: {
      type: 'custom',
      engine: 'native',
      config: {},
      options: {},
      connection: {},
      fileFormat: 'jsonl',
      partitioning: [],
      parquetTargetSizeMb: 128,
      compression: 'zstd',
      rowGroupSize: 100000,
      ...over.target,
    },
    contract: { name: 'numbers', fields: [] },
    classificationOverrides: {},
    retry: {
      maxRetries: 0,
      initialDelaySeconds: 1,
      maxDelaySeconds: 1,
      backoffMultiplier: 2,
      retryableExitCodes: [],
      retryableErrorPatterns: [],
    },
    logging: { level: 'info', redaction: true },
    statePath: path.join(os.tmpdir(), 'state.json'),
    locate: (keyPath: string) => ({ file: 'job.yaml', keyPath }),
    ...(over.sandbox ? { sandbox: over.sandbox } : {}),
  };
  return job as unknown as ResolvedJob;
}

export interface TestServer {
  url: string;
  port: number;
  hits: string[];
  close: () => Promise<void>;
}

/** An HTTP server on 127.0.0.1 that records every request path. */
export async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TestServer> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Resolves when the event loop of this process gets to run a timer (the host is not blocked). */
export function eventLoopTicks(): Promise<boolean> {
  return new Promise((r) => setTimeout(() => r(true), 5));
}

export const SOURCE_CTX = (logger: Logger, state: Record<string, unknown> = {}) => ({
  state,
  logger,
  signal: new AbortController().signal,
  batchSize: 1000,
});
