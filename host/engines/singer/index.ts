/**
 * The Singer engine: a tap (Docker image or local executable) adapted to the one Source interface.
 *
 * read(): discover (unless the job names a catalog), select the job's streams, run the tap with
 * --config, --catalog (or --properties) and --state, and turn its RECORDs into Arrow batches shaped
 * by the contract. The tap's bookmarks live in the job state under `singer`, and checkpoint()
 * returns a STATE only once the records before it were handed to the pipeline, so the state saved
 * with a commit never runs ahead of the data in it. A tap that exits non-zero fails the read (the
 * pipeline then commits nothing); a stop request (the run's signal) sends SIGTERM and, after
 * stop_grace_seconds, SIGKILL.
 */
import { readFile } from 'node:fs/promises';
import type { ResolvedJob } from '../../config/types.js';
import { DativoError } from '../../errors.js';
import { silentLogger } from '../../observability/logger.js';
import type {
  CheckResult,
  DiscoverResult,
  Source,
  SourceBatch,
  SourceOpenContext,
  SourceState,
} from '../../sources/source.js';
import { createConfigDir } from '../docker/index.js';
import { splitLines } from '../protocol/lines.js';
import { type Catalog, chooseStreams, parseCatalog, selectStreams } from './catalog.js';
import { configPathInside, type Sandbox, sandboxOf, startTap } from './launch.js';
import { parseSingerOptions, type SingerOptions } from './options.js';
import { type SingerLoopStats, singerBatches } from './stream.js';

/** Key of the tap's own state (its last safe STATE value) inside the job state. */
export const STATE_KEY = 'singer';

/** What the run report needs to say how the connector ran. */
export interface EngineRunInfo {
  engine: string;
  sandbox: Sandbox;
  /** True when a local tap ran without any sandbox (`unsandboxed: true`). */
  unsandboxed: boolean;
  image?: string;
}

export interface EngineSource extends Source {
  runInfo(): EngineRunInfo;
}

export interface SingerSourceOverrides {
  /** Replaces the parsed options (Meltano builds its own). */
  options?: SingerOptions;
  /** Pass the config file with --config (Meltano supplies its own). Default true. */
  passConfig?: boolean;
  /** Prefix for messages, e.g. "meltano tap-stripe". */
  label?: string;
  engine?: string;
  /**
   * Skip discovery and --catalog (Meltano selects streams from meltano.yml itself). Records of
   * the job's streams are kept, or of every stream when it names none.
   */
  noCatalog?: boolean;
}

const DISCOVER_MAX_BYTES = 64 * 1024 * 1024;

function labelOf(o: SingerOptions): string {
  return o.launch.kind === 'docker' ? `singer tap ${o.launch.image}` : `singer tap ${o.launch.executable}`;
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export function createSingerSource(
  job: ResolvedJob,
  batchSize: number,
  overrides: SingerSourceOverrides = {},
): EngineSource {
  const opts = overrides.options ?? parseSingerOptions(job);
  const label = overrides.label ?? labelOf(opts);
  const passConfig = overrides.passConfig ?? true;
  let ctx: SourceOpenContext | undefined;
  let previous: SourceState = {};
  let safe: Record<string, unknown> | undefined;
  const logger = (): NonNullable<SourceOpenContext['logger']> => ctx?.logger ?? silentLogger();

  /** Runs the tap once with `flags(dirInside)`, with the config directory prepared. */
  async function withTap<T>(
    files: Record<string, unknown>,
    flags: (dir: string) => string[],
    body: (tap: Awaited<ReturnType<typeof startTap>>) => Promise<T>,
  ): Promise<T> {
    const local = opts.launch.kind === 'local';
    const uid = local ? (process.getuid?.() ?? 0) : 65534;
    const dir = await createConfigDir(local ? { uid, gid: process.getgid?.() ?? uid } : {});
    try {
      for (const [name, content] of Object.entries(files)) await dir.write(name, content);
      const inside = configPathInside(opts, dir.dir);
      const tap = await startTap(opts, { configDir: dir.dir, flags: flags(inside), logger: logger(), label });
      try {
        return await body(tap);
      } finally {
        await tap.stop(opts.graceMs).catch(() => {});
        await tap.remove().catch(() => {});
      }
    } finally {
      await dir.dispose();
    }
  }

  const configFlags = (dir: string): string[] => (passConfig ? ['--config', `${dir}/config.json`] : []);

  function failure(exitCode: number, oom: boolean, tail: string): DativoError {
    const why = oom ? 'was killed for exceeding its memory limit' : `exited with code ${exitCode}`;
    const last = tail.trim().split('\n').slice(-5).join('\n');
    return new DativoError(
      'ENGINE_FAILED',
      `${label} ${why}${last ? `; its last stderr lines:\n${last}` : ''}`,
      {
        retryable: !oom,
        details: { exitCode },
      },
    );
  }

  async function discoverCatalog(): Promise<Catalog> {
    if (opts.catalogFile) return parseCatalog(await readFile(opts.catalogFile, 'utf8'), label);
    return withTap(
      { 'config.json': opts.config },
      (dir) => [...configFlags(dir), '--discover'],
      async (tap) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        for await (const c of tap.stdout) {
          bytes += c.length;
          if (bytes > DISCOVER_MAX_BYTES)
            throw new DativoError('SOURCE_PROTOCOL', `${label}: --discover wrote more than 64 MiB`);
          chunks.push(c);
        }
        const exit = await tap.wait();
        if (exit.exitCode !== 0) throw failure(exit.exitCode, exit.oomKilled, tap.stderrTail());
        return parseCatalog(Buffer.concat(chunks).toString('utf8'), `${label} --discover`);
      },
    );
  }

  const source: EngineSource = {
    kind: 'singer',

    async open(context) {
      ctx = context;
      previous = { ...context.state };
      safe = undefined;
    },

    read: () => readTap(),

    checkpoint() {
      return safe ? { ...previous, [STATE_KEY]: safe } : { ...previous };
    },

    nothingNew() {
      return false;
    },

    async check(): Promise<CheckResult> {
      try {
        const catalog = await discoverCatalog();
        const streams = chooseStreams(catalog, opts.streams, label);
        return {
          status: 'success',
          message: `${label}: discovery returned ${catalog.streams.length} stream(s); reading ${streams.join(', ')}`,
        };
      } catch (err) {
        const e = err instanceof DativoError ? err : new DativoError('ENGINE_FAILED', String(err));
        return { status: 'failed', message: e.message, errorCode: e.code, retryable: e.retryable };
      }
    },

    async discover(): Promise<DiscoverResult> {
      const catalog = await discoverCatalog();
      return {
        objects: catalog.streams.map((s) => ({
          name: s.tap_stream_id,
          type: 'stream',
          key_properties: s.key_properties ?? [],
          ...(s.replication_key ? { replication_key: s.replication_key } : {}),
          columns: Object.keys(((s.schema ?? {}) as { properties?: object }).properties ?? {}),
        })),
        metadata: { engine: overrides.engine ?? 'singer', tap: label, sandbox: sandboxOf(opts) },
      };
    },

    async close() {},

    runInfo() {
      return {
        engine: overrides.engine ?? 'singer',
        sandbox: sandboxOf(opts),
        unsandboxed: sandboxOf(opts) === 'none',
        ...(opts.launch.kind === 'docker' ? { image: opts.launch.image } : {}),
      };
    },
  };

  /** The tap run as a generator: cleanup (stop, remove, delete config) in its finally. */
  async function* readTap(): AsyncGenerator<SourceBatch> {
    const c = ctx;
    if (!c) throw new DativoError('INTERNAL', 'singer source read() before open()');
    let streams: string[] = [...opts.streams];
    const files: Record<string, unknown> = {};
    if (!overrides.noCatalog) {
      const catalog = await discoverCatalog();
      streams = chooseStreams(catalog, opts.streams, label);
      files['catalog.json'] = selectStreams(catalog, streams);
    }
    const state = previous[STATE_KEY];
    if (passConfig) files['config.json'] = opts.config;
    const hasState = state !== null && typeof state === 'object';
    if (hasState) files['state.json'] = state;

    const local = opts.launch.kind === 'local';
    const uid = local ? (process.getuid?.() ?? 0) : 65534;
    const dir = await createConfigDir(local ? { uid, gid: process.getgid?.() ?? uid } : {});
    let tap: Awaited<ReturnType<typeof startTap>> | undefined;
    const onAbort = (): void => void tap?.stop(opts.graceMs);
    c.signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (const [name, content] of Object.entries(files)) await dir.write(name, content);
      const inside = configPathInside(opts, dir.dir);
      const flags = [
        ...configFlags(inside),
        ...(files['catalog.json'] ? [opts.catalogFlag, `${inside}/catalog.json`] : []),
        ...(hasState ? ['--state', `${inside}/state.json`] : []),
      ];
      if (c.signal.aborted) throw new DativoError('INTERRUPTED', `${label}: interrupted before start`);
      tap = await startTap(opts, { configDir: dir.dir, flags, logger: c.logger, label });
      const stats: SingerLoopStats = {
        records: 0,
        dropped: 0,
        states: 0,
        schemas: new Map(),
        versions: new Map(),
      };
      const lines = splitLines(tap.stdout, {
        label: `${label} stdout`,
        ...(opts.maxLineBytes ? { maxLineBytes: opts.maxLineBytes } : {}),
      });
      const batches = singerBatches(
        lines,
        {
          label,
          fields: job.contract.fields,
          batchSize: c.batchSize || batchSize,
          selected: streams.length > 0 ? new Set(streams) : 'all',
          logger: c.logger,
          // Called only when every record before this STATE was taken by the pipeline.
          onSafeState: (v) => {
            safe = v;
          },
        },
        stats,
      );
      yield* batches;
      const exit = await tap.wait();
      if (c.signal.aborted || exit.killed)
        throw new DativoError(
          'INTERRUPTED',
          `${label}: stopped${exit.killed ? ' (killed after the grace period)' : ''}`,
        );
      if (exit.exitCode !== 0) throw failure(exit.exitCode, exit.oomKilled, tap.stderrTail());
      c.logger.info(
        {
          event: 'singer_done',
          records: stats.records,
          dropped: stats.dropped,
          states: stats.states,
          versions: Object.fromEntries(stats.versions),
        },
        `${label}: ${stats.records} record(s), ${stats.states} state message(s)`,
      );
    } catch (err) {
      if (c.signal.aborted && !(err instanceof DativoError && err.code === 'INTERRUPTED'))
        throw new DativoError('INTERRUPTED', `${label}: stopped`, { cause: err });
      throw err;
    } finally {
      c.signal.removeEventListener('abort', onAbort);
      await tap?.stop(opts.graceMs).catch(() => {});
      await tap?.remove().catch(() => {});
      await dir.dispose();
    }
  }

  return source;
}
