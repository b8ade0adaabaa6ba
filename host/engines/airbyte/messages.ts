/**
 * Airbyte protocol messages, parsed from one stdout line each. Lines that are not JSON objects are
 * a protocol error naming the line; connectors that print plain text on stdout break the protocol.
 */
import { DativoError } from '../../errors.js';

export interface AirbyteStreamDescriptor {
  name: string;
  namespace?: string | null;
}

export interface AirbyteStreamState {
  stream_descriptor: AirbyteStreamDescriptor;
  stream_state?: unknown;
}

export interface AirbyteStateMessage {
  type?: 'STREAM' | 'GLOBAL' | 'LEGACY';
  stream?: AirbyteStreamState;
  global?: { shared_state?: unknown; stream_states: AirbyteStreamState[] };
  data?: unknown;
}

export interface AirbyteStream {
  name: string;
  namespace?: string;
  json_schema?: Record<string, unknown>;
  supported_sync_modes?: string[];
  source_defined_cursor?: boolean;
  default_cursor_field?: string[];
  source_defined_primary_key?: string[][];
}

export type AirbyteMessage =
  | {
      type: 'RECORD';
      record: { stream: string; namespace?: string; data: Record<string, unknown>; emitted_at?: number };
    }
  | { type: 'STATE'; state: AirbyteStateMessage }
  | { type: 'LOG'; log: { level: string; message: string; stack_trace?: string } }
  | { type: 'TRACE'; trace: AirbyteTrace }
  | { type: 'SPEC'; spec: Record<string, unknown> }
  | { type: 'CONNECTION_STATUS'; connectionStatus: { status: 'SUCCEEDED' | 'FAILED'; message?: string } }
  | { type: 'CATALOG'; catalog: { streams: AirbyteStream[] } }
  | { type: 'CONTROL'; control: unknown };

export interface AirbyteTrace {
  type: 'ERROR' | 'ESTIMATE' | 'STREAM_STATUS' | 'ANALYTICS' | string;
  emitted_at?: number;
  error?: { message?: string; internal_message?: string; failure_type?: string; stack_trace?: string };
  estimate?: {
    name?: string;
    namespace?: string;
    type?: string;
    row_estimate?: number;
    byte_estimate?: number;
  };
}

const KNOWN = new Set(['RECORD', 'STATE', 'LOG', 'TRACE', 'SPEC', 'CONNECTION_STATUS', 'CATALOG', 'CONTROL']);

function excerpt(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}... (${text.length} characters)` : text;
}

export function protocolError(label: string, line: number, why: string, text?: string): DativoError {
  return new DativoError(
    'SOURCE_PROTOCOL',
    `${label}: stdout line ${line} is not a valid Airbyte message (${why})${text !== undefined ? `: ${excerpt(text)}` : ''}`,
    { details: { line } },
  );
}

export function parseMessage(text: string, line: number, label: string): AirbyteMessage {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch (err) {
    throw protocolError(label, line, (err as Error).message, text);
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
    throw protocolError(label, line, 'not a JSON object', text);
  }
  const type = (msg as { type?: unknown }).type;
  if (typeof type !== 'string' || !KNOWN.has(type)) {
    throw protocolError(label, line, `unknown message type ${JSON.stringify(type)}`, text);
  }
  if (type === 'RECORD') {
    const r = (msg as { record?: { stream?: unknown; data?: unknown } }).record;
    if (
      !r ||
      typeof r.stream !== 'string' ||
      !r.data ||
      typeof r.data !== 'object' ||
      Array.isArray(r.data)
    ) {
      throw protocolError(label, line, 'RECORD needs record.stream and an object record.data', text);
    }
  }
  return msg as AirbyteMessage;
}
