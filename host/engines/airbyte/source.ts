/**
 * An Airbyte connector image adapted to the one Source interface. Every command (spec, check,
 * discover, read) is one hardened container; its config, catalog and state are files in a
 * read-only mount. stdout is parsed line by line as it arrives; RECORDs of the job's stream become
 * Arrow batches typed by the contract, STATE messages are kept and become the checkpoint only once
 * the records before them were handed to the pipeline (which commits the checkpoint with the data).
 */
import type { ResolvedJob } from '../../config/types.js';
import { DativoError } from '../../errors.js';
import { type Logger, silentLogger } from '../../observability/logger.js';
import type {
  CheckResult,
  DiscoverResult,
  Source,
  SourceBatch,
  SourceOpenContext,
  SourceState,
} from '../../sources/source.js';
import {
  createConfigDir,
  type Line,
  type RunningContainer,
  runContainer,
  splitLineBatches,
} from '../docker/index.js';
import { type AirbyteMessage, type AirbyteStream, parseMessage } from './messages.js';
import { RecordBuffer } from './records.js';
import { type AirbyteSettings, airbyteSettings, configuredCatalog, connectorConfig } from './settings.js';
import { type AirbyteState, applyState, connectorState, readState, STATE_KEY } from './state.js';

/** A batch is also cut at this many bytes of JSON, so huge records do not pile up. */
const MAX_BATCH_BYTES = 64 * 1024 * 1024;
const MOUNT = '/config';

interface Session {
  container: RunningContainer;
  /** stdout's lines, a chunk's worth at a time (one async step per chunk, not per line). */
  lines: AsyncGenerator<Line[]>;
  dispose(): Promise<void>;
}

export interface AirbyteSource extends Source {
  /** The connector's SPEC message body (connectionSpecification, ...). */
  spec(): Promise<Record<string, unknown>>;
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export function createAirbyteSource(job: ResolvedJob, batchSize: number): AirbyteSource {
  const settings: AirbyteSettings = airbyteSettings(job);
  const label = `airbyte ${settings.image}`;
  const location = job.locate('source');
  let ctx: SourceOpenContext | undefined;
  let log: Logger = silentLogger();
  let previous: SourceState = {};
  let committed: AirbyteState | undefined;
  let catalog: unknown;
  const open: Session[] = [];

  async function start(args: string[], files: Record<string, unknown>): Promise<Session> {
    const dir = await createConfigDir();
    try {
      const flags: string[] = [];
      for (const [name, content] of Object.entries(files)) {
        if (content === undefined) continue;
        await dir.write(`${name}.json`, content);
        flags.push(`--${name}`, `${MOUNT}/${name}.json`);
      }
      const container = await runContainer(
        {
          image: settings.image,
          digest: settings.digest,
          pull: settings.pull,
          imageKeyPath: settings.imageKeyPath,
          imageLocation: job.locate('source.engine'),
          args: [...args, ...flags],
          network: settings.network,
          configDir: dir.dir,
          configMount: MOUNT,
          limits: settings.limits,
          user: settings.user,
          labels: { 'dev.dativo.job': job.name, 'dev.dativo.tenant': job.tenantId },
        },
        {
          onStderrLine: (line) =>
            log.debug({ event_type: 'connector_stderr', connector: settings.image }, line),
        },
      );
      const session: Session = {
        container,
        lines: splitLineBatches(container.stdout, {
          label: `${label} stdout`,
          maxLineBytes: settings.maxLineBytes,
        }),
        async dispose() {
          await container.stop(settings.stopGraceMs);
          await container.remove();
          await dir.dispose();
          const i = open.indexOf(session);
          if (i >= 0) open.splice(i, 1);
        },
      };
      open.push(session);
      return session;
    } catch (err) {
      await dir.dispose();
      throw err;
    }
  }

  /** LOG and TRACE are handled the same in every command; true when the message was one. */
  function common(msg: AirbyteMessage, traceErrors: string[], retry: { retryable: boolean }): boolean {
    if (msg.type === 'LOG') {
      const level = msg.log.level?.toUpperCase();
      const fn =
        level === 'ERROR' || level === 'FATAL'
          ? 'error'
          : level === 'WARN'
            ? 'warn'
            : level === 'DEBUG' || level === 'TRACE'
              ? 'debug'
              : 'info';
      log[fn]({ event_type: 'connector_log', connector: settings.image }, msg.log.message);
      return true;
    }
    if (msg.type === 'TRACE') {
      const t = msg.trace;
      if (t.type === 'ERROR') {
        const e = t.error ?? {};
        traceErrors.push(`${e.message ?? 'error'}${e.failure_type ? ` (${e.failure_type})` : ''}`);
        if (e.failure_type === 'transient_error') retry.retryable = true;
        log.error(
          {
            event_type: 'connector_error',
            connector: settings.image,
            failure_type: e.failure_type,
            internal: e.internal_message,
          },
          e.message ?? 'connector error',
        );
      } else if (t.type === 'ESTIMATE') {
        log.info(
          { event_type: 'progress_estimate', connector: settings.image, ...t.estimate },
          'connector estimate',
        );
      }
      return true;
    }
    return false;
  }

  /** Waits for the container and throws when it failed (exit code, trace errors, stderr tail). */
  async function finish(
    s: Session,
    command: string,
    traceErrors: string[],
    retry: { retryable: boolean },
  ): Promise<void> {
    const status = await s.container.wait();
    if (status.exitCode === 0 && traceErrors.length === 0) return;
    const parts = [`${label} ${command} failed`];
    if (traceErrors.length > 0) parts.push(`: ${traceErrors.join('; ')}`);
    if (status.oomKilled) parts.push(`; killed: out of memory (limit ${settings.limits.memoryMb} MB)`);
    else if (status.exitCode !== 0) parts.push(`; exit code ${status.exitCode}`);
    const tail = s.container.stderrTail().trim().split('\n').slice(-5).join('\n');
    if (tail) parts.push(`\nstderr (last lines):\n${tail}`);
    throw new DativoError('ENGINE_FAILED', parts.join(''), {
      location,
      retryable: retry.retryable,
      details: { exitCode: status.exitCode },
    });
  }

  /** Runs a short command and returns the first message of `want`. */
  async function single<T extends AirbyteMessage['type']>(
    command: string,
    want: T,
  ): Promise<Extract<AirbyteMessage, { type: T }>> {
    const files = command === 'spec' ? {} : { config: connectorConfig(job) };
    const s = await start([command], files);
    const traceErrors: string[] = [];
    const retry = { retryable: false };
    let found: Extract<AirbyteMessage, { type: T }> | undefined;
    try {
      for await (const lines of s.lines) {
        for (const { number, text } of lines) {
          const msg = parseMessage(text, number, label);
          if (common(msg, traceErrors, retry)) continue;
          if (msg.type === want && !found) found = msg as Extract<AirbyteMessage, { type: T }>;
        }
      }
      await finish(s, command, traceErrors, retry);
    } finally {
      await s.dispose();
    }
    if (!found)
      throw new DativoError('SOURCE_PROTOCOL', `${label} ${command} printed no ${want} message`, {
        location,
      });
    return found;
  }

  async function discoverStreams(): Promise<AirbyteStream[]> {
    return (await single('discover', 'CATALOG')).catalog.streams ?? [];
  }

  async function* readBatches(): AsyncGenerator<SourceBatch> {
    const c = ctx as SourceOpenContext;
    const state = connectorState(committed);
    const s = await start(['read'], { config: connectorConfig(job), catalog, state });
    const buffer = new RecordBuffer(job.contract);
    const origin = { stream: settings.stream };
    const traceErrors: string[] = [];
    const retry = { retryable: false };
    let pending: AirbyteState | undefined = committed;
    let other = 0;
    const abort = (): void => void s.container.stop(settings.stopGraceMs);
    c.signal.addEventListener('abort', abort, { once: true });
    try {
      chunks: for await (const lines of s.lines) {
        for (const { number, text } of lines) {
          if (c.signal.aborted) break chunks;
          const msg = parseMessage(text, number, label);
          if (msg.type === 'RECORD') {
            if (msg.record.stream !== settings.stream) {
              other++;
              continue;
            }
            buffer.add(msg.record.data as never, text.length);
            if (buffer.rows >= batchSize || buffer.bytes >= MAX_BATCH_BYTES) {
              const toCommit = pending;
              const bytesRead = buffer.bytes;
              const batch = buffer.flush();
              if (batch) yield { batch, origin, bytesRead };
              // The pipeline took the batch: the states seen before its records may now be committed.
              committed = toCommit;
            }
          } else if (msg.type === 'STATE') {
            pending = applyState(pending, msg.state);
            // Nothing buffered: every record before this state was already handed over.
            if (buffer.rows === 0) committed = pending;
          } else common(msg, traceErrors, retry);
        }
      }
      if (c.signal.aborted) throw new DativoError('INTERRUPTED', `${label}: read interrupted`);
      await finish(s, 'read', traceErrors, retry);
      const bytesRead = buffer.bytes;
      const batch = buffer.flush();
      if (batch) yield { batch, origin, bytesRead };
      committed = pending;
      if (other > 0)
        log.warn(
          { event_type: 'connector_other_streams', records: other },
          `${label}: ignored ${other} record(s) of streams the job did not select`,
        );
    } finally {
      c.signal.removeEventListener('abort', abort);
      await s.dispose();
    }
  }

  return {
    kind: 'airbyte',

    async spec() {
      return (await single('spec', 'SPEC')).spec;
    },

    async open(context) {
      ctx = context;
      log = context.logger.child({ engine: 'airbyte', stream: settings.stream });
      previous = { ...context.state };
      committed = readState(previous);
      catalog = configuredCatalog(job, settings, await discoverStreams());
    },

    read() {
      if (!ctx) throw new DativoError('INTERNAL', 'airbyte source read() before open()');
      return readBatches();
    },

    checkpoint() {
      const out: SourceState = { ...previous };
      if (committed) out[STATE_KEY] = committed;
      return out;
    },

    async check(): Promise<CheckResult> {
      try {
        const r = await single('check', 'CONNECTION_STATUS');
        const ok = r.connectionStatus.status === 'SUCCEEDED';
        return {
          status: ok ? 'success' : 'failed',
          message: ok
            ? `${label}: connection succeeded`
            : `${label}: ${r.connectionStatus.message ?? 'connection failed'}`,
          ...(ok ? {} : { errorCode: 'CONNECTION_FAILED' }),
        };
      } catch (err) {
        const e = err instanceof DativoError ? err : undefined;
        return {
          status: 'failed',
          message: (err as Error).message,
          errorCode: e?.code ?? 'INTERNAL',
          retryable: e?.retryable ?? false,
        };
      }
    },

    async discover(): Promise<DiscoverResult> {
      const streams = await discoverStreams();
      return {
        objects: streams.map((st) => ({
          name: st.name,
          type: 'stream',
          sync_modes: st.supported_sync_modes ?? [],
          ...(st.default_cursor_field ? { cursor_field: st.default_cursor_field } : {}),
          ...(st.source_defined_primary_key ? { primary_key: st.source_defined_primary_key } : {}),
        })),
        metadata: { engine: 'airbyte', image: settings.image, selected: settings.stream },
      };
    },

    async close() {
      await Promise.all(open.slice().map((s) => s.dispose().catch(() => {})));
    },
  };
}
