/**
 * A reader plugin as a `Source`: `open` → `next_batch` until none → `close`. Each batch crosses
 * as one validated Arrow IPC stream and is yielded as a RecordBatch; the plugin's state_set
 * values are the checkpoint (only as of the last successful call).
 */
import type { RecordBatch } from 'apache-arrow';
import type { SecretLookup } from '../../config/secret-lookup.js';
import { DativoError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type {
  CheckResult,
  DiscoverResult,
  Source,
  SourceBatch,
  SourceOpenContext,
  SourceState,
} from '../../sources/source.js';
import { decodeIpcBatch, IpcFramingError } from '../ipc-frame.js';
import { MAX_BATCH_ROWS } from '../limits.js';
import type { PreparedPlugin } from '../load.js';
import { stateForPlugin } from '../load.js';
import { type EarlyWorker, ExtismInstance, type PluginCallHooks } from './instance.js';

export interface ExtismSourceOptions {
  prepared: PreparedPlugin;
  /** A Worker started before the checks; the first instance (open, check or discover) uses it. */
  early?: EarlyWorker;
  secrets?: SecretLookup;
  logger?: Logger;
  fetch?: typeof fetch;
  stream?: string;
  hooks?: PluginCallHooks;
}

function parseJson(plugin: string, call: string, bytes: Uint8Array | null): Record<string, unknown> {
  if (!bytes || bytes.length === 0) return {};
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new DativoError(
    'PLUGIN_ERROR',
    `plugin ${plugin}: ${call} returned something other than a JSON object`,
    { location: { plugin }, details: { call } },
  );
}

/** PLUGIN_BAD_OUTPUT naming the plugin, the batch (1-based) and the column the lie is in. */
function badBatch(plugin: string, batchNo: number, e: IpcFramingError): DativoError {
  const where = e.field === undefined ? '' : `, field "${e.field}"`;
  return new DativoError(
    'PLUGIN_BAD_OUTPUT',
    `plugin ${plugin}: next_batch returned an invalid batch (batch ${batchNo}${where}): ${e.message}`,
    {
      location: { plugin, ...(e.field === undefined ? {} : { field: e.field }) },
      details: { call: 'next_batch', batch: batchNo, ...(e.field === undefined ? {} : { field: e.field }) },
    },
  );
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: long: not split yet
export function createExtismSource(opts: ExtismSourceOptions): Source {
  const { prepared } = opts;
  const plugin = prepared.grant.plugin;
  let instance: ExtismInstance | undefined;
  let ctx: SourceOpenContext | undefined;
  let state: SourceState = {};
  let early = opts.early;

  const start = async (
    st: Record<string, string>,
    logger: Logger | undefined,
    signal?: AbortSignal,
  ): Promise<ExtismInstance> => {
    const worker = early;
    early = undefined;
    return ExtismInstance.start({
      wasm: prepared.wasm,
      ...(prepared.runtime ? { runtime: prepared.runtime } : {}),
      ...(worker ? { early: worker } : {}),
      grant: prepared.grant,
      config: prepared.config,
      state: st,
      ...(opts.secrets ? { secrets: opts.secrets } : {}),
      ...(logger ? { logger } : {}),
      ...(opts.hooks ? { hooks: opts.hooks } : {}),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(signal ? { signal } : {}),
    });
  };

  /** check/discover may run without open(): on a short-lived instance of their own. */
  const withInstance = async <T>(fn: (i: ExtismInstance) => Promise<T>): Promise<T> => {
    if (instance) return fn(instance);
    const tmp = await start(stateForPlugin(state), opts.logger);
    try {
      return await fn(tmp);
    } finally {
      await tmp.close();
    }
  };

  return {
    kind: `plugin:${plugin}`,

    async open(c) {
      ctx = c;
      state = { ...c.state };
      instance = await start(stateForPlugin(c.state), c.logger ?? opts.logger, c.signal);
      if (instance.hasExport('open')) {
        const params = { batch_size: c.batchSize, stream: opts.stream ?? null };
        await instance.call('open', new TextEncoder().encode(JSON.stringify(params)));
      }
      state = { ...state, ...instance.state() };
    },

    async *read(): AsyncIterable<SourceBatch> {
      const inst = instance;
      if (!inst) throw new DativoError('INTERNAL', `plugin ${plugin}: read() before open()`);
      // One batch ahead: the worker parses the next batch while this thread decodes and the
      // pipeline consumes the current one (the two run on different cores).
      const ask = (): Promise<Uint8Array | null> => {
        const p = inst.call('next_batch');
        p.catch(() => {}); // surfaced by the await below; never an unhandled rejection
        return p;
      };
      let pending = ask();
      // What a batch may claim: the memory grant bounds its bytes, the host maximum its rows.
      const limits = { maxBytes: prepared.grant.memoryBytes, maxRows: MAX_BATCH_ROWS };
      let batchNo = 0;
      for (;;) {
        if (ctx?.signal.aborted)
          throw new DativoError('INTERRUPTED', `plugin ${plugin}: interrupted`, { location: { plugin } });
        const out = await pending;
        if (!out || out.byteLength === 0) {
          state = { ...state, ...inst.state() }; // the end: nothing was fetched ahead
          return;
        }
        // The state as of this batch: taken before the next call is even sent.
        const asOfBatch = inst.state();
        pending = ask();
        batchNo++;
        let batch: RecordBatch;
        try {
          batch = decodeIpcBatch(out, limits);
        } catch (e) {
          if (!(e instanceof IpcFramingError)) throw e;
          throw badBatch(plugin, batchNo, e);
        }
        state = { ...state, ...asOfBatch };
        const origin = opts.stream ? { stream: opts.stream } : {};
        yield { batch, origin, bytesRead: out.byteLength };
      }
    },

    checkpoint() {
      // `state` holds the plugin's state as of the last batch handed out, not of a batch fetched ahead.
      return { ...state };
    },

    async check(): Promise<CheckResult> {
      try {
        return await withInstance(async (i) => {
          if (!i.hasExport('check'))
            return { status: 'skipped', message: `plugin ${plugin} has no check` } as CheckResult;
          const r = parseJson(plugin, 'check', await i.call('check'));
          const status =
            r.status === 'success' || r.status === 'failed' || r.status === 'skipped' ? r.status : 'success';
          return { status, message: typeof r.message === 'string' ? r.message : '' };
        });
      } catch (e) {
        const err = e instanceof DativoError ? e : new DativoError('PLUGIN_ERROR', String(e));
        return { status: 'failed', message: err.message, errorCode: err.code, retryable: err.retryable };
      }
    },

    async discover(): Promise<DiscoverResult> {
      return withInstance(async (i) => {
        if (!i.hasExport('discover')) return { objects: [], metadata: {} };
        const r = parseJson(plugin, 'discover', await i.call('discover'));
        const objects = Array.isArray(r.objects) ? (r.objects as DiscoverResult['objects']) : [];
        const metadata =
          r.metadata && typeof r.metadata === 'object' ? (r.metadata as Record<string, unknown>) : {};
        return { objects, metadata };
      });
    },

    async close() {
      const unused = early;
      early = undefined;
      await unused?.worker.terminate();
      const inst = instance;
      instance = undefined;
      if (!inst) return;
      try {
        if (inst.hasExport('close')) await inst.call('close');
      } finally {
        await inst.close();
      }
    },
  };
}
