/**
 * A Python reader as a `Source`: `open` starts the sandboxed runtime and the plugin class, `read`
 * asks for one batch at a time (Python's `extract()` generator advances one step; the runner
 * turns the rows into an Arrow IPC stream), `checkpoint` is the committed state plus what the
 * plugin set through the state manager as of the last batch handed out.
 */
import type { RecordBatch } from 'apache-arrow';
import { DativoError } from '../../errors.js';
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
import type { PythonInstance } from './instance.js';
import type { PythonPlugin } from './plugin.js';

export function createPythonSource(plugin: PythonPlugin): Source {
  const name = plugin.grant.plugin;
  let instance: PythonInstance | undefined;
  let ctx: SourceOpenContext | undefined;
  let state: SourceState = {};

  const openWith = async (st: SourceState, logger = plugin.logger): Promise<PythonInstance> => {
    const inst = await plugin.start(logger);
    try {
      await inst.request('open', { role: 'reader', ...plugin.openArgs, state: st });
    } catch (e) {
      await inst.close();
      throw e;
    }
    return inst;
  };

  /** check/discover may run without open(): on a short-lived instance of their own. */
  const withInstance = async <T>(fn: (i: PythonInstance) => Promise<T>): Promise<T> => {
    if (instance) return fn(instance);
    const tmp = await openWith(state);
    try {
      return await fn(tmp);
    } finally {
      await tmp.close();
    }
  };

  return {
    kind: `plugin:${name}`,

    async open(c) {
      ctx = c;
      state = { ...c.state };
      instance = await openWith(c.state, c.logger);
    },

    async *read(): AsyncIterable<SourceBatch> {
      const inst = instance;
      if (!inst) throw new DativoError('INTERNAL', `plugin ${name}: read() before open()`);
      const limits = { maxBytes: plugin.grant.outputBytes, maxRows: MAX_BATCH_ROWS };
      let batchNo = 0;
      for (;;) {
        if (ctx?.signal.aborted)
          throw new DativoError('INTERRUPTED', `plugin ${name}: interrupted`, { location: { plugin: name } });
        const { value, body } = await inst.request('next');
        state = { ...state, ...inst.stateSet } as SourceState;
        if ((value as { end?: boolean } | null)?.end) return;
        batchNo++;
        let batch: RecordBatch;
        try {
          batch = decodeIpcBatch(body, limits);
        } catch (e) {
          if (!(e instanceof IpcFramingError)) throw e;
          throw new DativoError(
            'PLUGIN_BAD_OUTPUT',
            `plugin ${name}: batch ${batchNo} is invalid: ${e.message}`,
            {
              location: { plugin: name },
            },
          );
        }
        yield { batch, origin: plugin.stream ? { stream: plugin.stream } : {}, bytesRead: body.byteLength };
      }
    },

    checkpoint() {
      return { ...state };
    },

    async check(): Promise<CheckResult> {
      try {
        const { value } = await withInstance((i) => i.request('check'));
        const r = (value ?? {}) as { status?: string; message?: string };
        return { status: r.status === 'failed' ? 'failed' : 'success', message: r.message ?? '' };
      } catch (e) {
        const err = e instanceof DativoError ? e : new DativoError('PLUGIN_ERROR', String(e));
        return { status: 'failed', message: err.message, errorCode: err.code, retryable: err.retryable };
      }
    },

    async discover(): Promise<DiscoverResult> {
      const { value } = await withInstance((i) => i.request('discover'));
      const r = (value ?? {}) as Partial<DiscoverResult>;
      return { objects: Array.isArray(r.objects) ? r.objects : [], metadata: r.metadata ?? {} };
    },

    async close() {
      const inst = instance;
      instance = undefined;
      if (!inst) return;
      try {
        await inst.request('close');
      } catch {
        /* closing anyway */
      } finally {
        await inst.close();
      }
    },
  };
}
