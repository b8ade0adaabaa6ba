/**
 * The run report: what `--json` prints on stdout and what orchestrators store. Values of
 * sensitive fields are already masked by the validator; the whole report passes the masker too.
 */
import type { CommitRecord } from '../sinks/sink.js';

export type RunStatus = 'succeeded' | 'succeeded_with_warnings' | 'nothing_new' | 'failed' | 'interrupted';

export interface RunReport {
  runId: string;
  job: string;
  jobFile: string;
  tenant: string;
  status: RunStatus;
  exitCode: 0 | 1 | 2;
  startedAt: string;
  finishedAt: string;
  durationsMs: { total: number; extract: number; commit: number };
  source: {
    type: string;
    engine: string;
    files: string[];
    /** Engine sources: what isolated the connector. */
    sandbox?: 'docker' | 'bubblewrap' | 'none';
    /** Set when a local connector ran without a sandbox because the job said `unsandboxed: true`. */
    unsandboxed?: true;
    image?: string;
    /** A reader plugin: its name and the runtime that ran it (the job's `type` is only the recipe's). */
    plugin?: PluginInfo;
  };
  target: { type: string; location?: string; plugin?: PluginInfo };
  contract?: { id: string; name: string; version: string };
  rows: { read: number; written: number; invalid: number };
  bytes: { read: number; written: number };
  files: { key: string; rows: number; bytes: number }[];
  /** Key of the rejected rows (JSON lines) under the target location, when rows were rejected. */
  rejectsKey?: string;
  validation?: {
    mode: 'strict' | 'warn';
    issuesTotal: number;
    firstIssues: unknown[];
    counts: { field: string; rule: string; count: number }[];
    columnMismatch?: { missing: string[]; unexpected: string[] };
  };
  tags?: Record<string, string>;
  recovery?: { rolledForward: string[]; cleaned: string[] };
  state?: Record<string, unknown>;
  /** For `nothing_new`: the commit the source found nothing newer than, and the state file. */
  since?: { runId?: string; committedAt?: string; statePath: string };
  /** Whole process (main thread and workers): what the run cost. */
  resources?: { peakRssMb: number; cpuUserMs: number; cpuSystemMs: number };
  errors: { code: string; message: string; location?: string; retryable: boolean }[];
  errorsByCode: Record<string, number>;
}

export interface PluginInfo {
  name: string;
  runtime: string;
}

/**
 * The plugin behind a source or sink, from its `kind` (`plugin:<name>`; plugin adapters of other
 * runtimes say `plugin:<runtime>:<name>`). Extism (WebAssembly) is the runtime of the bare form.
 */
export function pluginInfo(kind: string): PluginInfo | undefined {
  if (!kind.startsWith('plugin:')) return undefined;
  const rest = kind.slice('plugin:'.length);
  const colon = rest.indexOf(':');
  return colon > 0
    ? { runtime: rest.slice(0, colon), name: rest.slice(colon + 1) }
    : { runtime: 'extism', name: rest };
}

export function exitCodeFor(status: RunStatus): 0 | 1 | 2 {
  switch (status) {
    case 'succeeded':
    case 'nothing_new':
      return 0;
    case 'succeeded_with_warnings':
      return 1;
    default:
      return 2;
  }
}

export function filesOf(record: CommitRecord | undefined): RunReport['files'] {
  return (record?.files ?? []).map((f) => ({ key: f.key, rows: f.rows, bytes: f.bytes }));
}

export function countByCode(errors: RunReport['errors']): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of errors) out[e.code] = (out[e.code] ?? 0) + 1;
  return out;
}
