/**
 * Shared setup for the queue-worker suites: redis-server (scripts/services/start-redis.sh), radosgw
 * (through the S3 suites' helper), job files writing disjoint id ranges to their own S3 prefixes,
 * and `dativo worker` child processes of the built CLI.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'dotenv';
import type { RunRequest } from '../../host/orchestrator/executor.js';
import { cliEnv, entryFor, REPO } from '../helpers/cli.js';

const runDir = process.env.DATIVO_RUN_DIR ?? path.join(REPO, '.run');

export function startRedis(): string {
  execFileSync('bash', [path.join(REPO, 'scripts/services/start-redis.sh')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const env = parse(readFileSync(path.join(runDir, 'redis.env')));
  if (!env.REDIS_URL) throw new Error('start-redis.sh wrote no REDIS_URL');
  return env.REDIS_URL;
}

/**
 * Build dist/ for the CLI children. Type errors elsewhere in the tree (other work in progress) do
 * not stop tsc from emitting, so only a missing output fails here.
 */
export function buildCli(): void {
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    cwd: REPO,
    encoding: 'utf8',
  });
  if (!existsSync(path.join(REPO, 'dist/cli/commands/worker.js'))) {
    throw new Error(`build failed:\n${r.stdout}\n${r.stderr}`);
  }
}

export const CONTRACT = `name: worker_rows
version: "1.0"
domain: dativo
dataProduct: workers_test
tenant: acme
schema:
  - { name: id, type: integer, required: true }
  - { name: name, type: string, required: true }
  - { name: amount, type: double }
`;

export interface JobSet {
  files: string[];
  names: string[];
  totalRows: number;
  /** S3 prefix all jobs write below (each job in `<prefix>job-NN/`). */
  prefix: string;
}

/** `count` jobs of `rows` rows each; job i holds ids i*rows+1 .. (i+1)*rows, so ids are unique overall. */
export async function writeJobs(
  dir: string,
  opts: {
    count: number;
    rows: number;
    prefix: string;
    tenant?: string;
    namePrefix?: string;
    extra?: string;
    bucket?: string;
    /** Write to this local folder instead of S3 (each job in `<dir>/job-NN`). */
    localDir?: string;
    /** Make row 1 of every job invalid (strict validation fails). */
    invalid?: boolean;
  },
): Promise<JobSet> {
  await mkdir(dir, { recursive: true });
  const contract = path.join(dir, 'contract.yaml');
  await writeFile(contract, CONTRACT);
  const files: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < opts.count; i++) {
    const name = `${opts.namePrefix ?? 'rows'}_${String(i).padStart(2, '0')}`;
    const csv = path.join(dir, `${name}.csv`);
    const lines = ['id,name,amount'];
    for (let r = 1; r <= opts.rows; r++) {
      const id = i * opts.rows + r;
      lines.push(`${opts.invalid && r === 1 ? 'not-a-number' : id},name-${id},${(id * 0.25).toFixed(2)}`);
    }
    await writeFile(csv, `${lines.join('\n')}\n`);
    const file = path.join(dir, `${name}.yaml`);
    await writeFile(
      file,
      [
        `tenant_id: ${opts.tenant ?? 'acme'}`,
        'source_connector: csv',
        'source_connector_path: connectors/csv.yaml',
        `target_connector: ${opts.localDir ? 'local' : 's3'}`,
        `target_connector_path: connectors/${opts.localDir ? 'local' : 's3'}.yaml`,
        `asset_path: ${contract}`,
        'source:',
        '  files:',
        `    - { path: ${csv}, object: ${name} }`,
        'target:',
        '  connection:',
        ...(opts.localDir
          ? [`    path: ${path.join(opts.localDir, `job-${String(i).padStart(2, '0')}`)}`]
          : [
              `    bucket: ${opts.bucket ?? 'test-bucket'}`,
              `    prefix: ${opts.prefix}job-${String(i).padStart(2, '0')}`,
              '    endpoint: "${S3_ENDPOINT}"',
              '    access_key_id: "${AWS_ACCESS_KEY_ID}"',
              '    secret_access_key: "${AWS_SECRET_ACCESS_KEY}"',
              '    region: "${AWS_REGION}"',
            ]),
        'schema_validation_mode: strict',
        opts.extra ?? '',
        '',
      ].join('\n'),
    );
    files.push(file);
    names.push(name);
  }
  return { files, names, totalRows: opts.count * opts.rows, prefix: opts.prefix };
}

let seq = 0;
export function request(jobFile: string, tenant = 'acme'): RunRequest {
  const runId = `t${Date.now().toString(36)}-${++seq}`;
  return {
    runKey: `${runId}#1`,
    runId,
    jobFile,
    jobName: path.basename(jobFile, '.yaml'),
    tenant,
    attempt: 1,
    trigger: 'manual',
    tags: {},
  };
}

export interface WorkerProcess {
  child: ChildProcess;
  name: string;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when the output (stdout or stderr) contains `text`. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<string>;
  metricsUrl(): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnWorker(args: string[], env: Record<string, string>): WorkerProcess {
  const nameIdx = args.indexOf('--name');
  const name = nameIdx >= 0 ? String(args[nameIdx + 1]) : 'worker';
  const child = spawn(process.execPath, [entryFor(env), 'worker', ...args], {
    cwd: REPO,
    env: cliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { test: (s: string) => boolean; resolve: (s: string) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.test(out + err)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(out + err);
      }
    }
  };
  child.stdout?.on('data', (d) => {
    out += d;
    check();
  });
  child.stderr?.on('data', (d) => {
    err += d;
    check();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitFor = (text: string | RegExp, timeoutMs = 60_000) =>
    new Promise<string>((resolve, reject) => {
      const test = (s: string) => (typeof text === 'string' ? s.includes(text) : text.test(s));
      if (test(out + err)) return resolve(out + err);
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `worker ${name}: no "${String(text)}" within ${timeoutMs} ms\n${out}\n${err.slice(-4000)}`,
            ),
          ),
        timeoutMs,
      );
      waiters.push({
        test,
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s);
        },
      });
      void exited.then(() => {
        clearTimeout(timer);
        if (!test(out + err)) reject(new Error(`worker ${name} exited:\n${out}\n${err.slice(-4000)}`));
      });
    });
  return {
    child,
    name,
    stdout: () => out,
    stderr: () => err,
    waitFor,
    async metricsUrl() {
      const text = await waitFor(/metrics on (\S+)/);
      return (/metrics on (\S+)/.exec(text) as RegExpExecArray)[1] as string;
    },
    exited,
  };
}

/** Prometheus text → value of one series (labels must all match; matching series are summed). */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) got[l[1] as string] = l[2] as string;
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) total += Number(m[3]);
  }
  return total;
}
