/**
 * Airbyte state as Dativo keeps it, under one key of the job's state: the latest message per
 * stream (STREAM), the latest global message (GLOBAL) or the latest data blob (LEGACY). What is
 * passed back to the connector with `--state` is rebuilt from it in the same form the connector
 * wrote, so a connector resumes exactly where the committed data ends.
 */
import type { SourceState } from '../../sources/source.js';
import type { AirbyteStateMessage, AirbyteStreamState } from './messages.js';

export const STATE_KEY = 'airbyte';

export interface AirbyteState {
  type: 'STREAM' | 'GLOBAL' | 'LEGACY';
  /** STREAM: stream key (namespace/name) → its latest state message. */
  streams?: Record<string, AirbyteStreamState>;
  global?: AirbyteStateMessage['global'];
  data?: unknown;
}

export function streamKey(d: { name: string; namespace?: string | null }): string {
  return d.namespace ? `${d.namespace}/${d.name}` : d.name;
}

/** The state stored in the job's state, if any. */
export function readState(state: SourceState): AirbyteState | undefined {
  const s = state[STATE_KEY];
  return s && typeof s === 'object' ? (s as AirbyteState) : undefined;
}

/** Folds one STATE message into the kept state (returns a new object). */
export function applyState(prev: AirbyteState | undefined, msg: AirbyteStateMessage): AirbyteState {
  const type = msg.type ?? 'LEGACY';
  if (type === 'STREAM' && msg.stream) {
    const streams = prev?.type === 'STREAM' ? { ...prev.streams } : {};
    streams[streamKey(msg.stream.stream_descriptor)] = msg.stream;
    return { type: 'STREAM', streams };
  }
  if (type === 'GLOBAL' && msg.global) return { type: 'GLOBAL', global: msg.global };
  return { type: 'LEGACY', data: msg.data };
}

/** The `--state` file content for the connector, or undefined for a first run. */
export function connectorState(s: AirbyteState | undefined): unknown {
  if (!s) return undefined;
  if (s.type === 'STREAM') {
    const list = Object.values(s.streams ?? {}).map((stream) => ({ type: 'STREAM', stream }));
    return list.length > 0 ? list : undefined;
  }
  if (s.type === 'GLOBAL') return s.global ? [{ type: 'GLOBAL', global: s.global }] : undefined;
  // LEGACY connectors read the bare data blob.
  return s.data ?? undefined;
}
