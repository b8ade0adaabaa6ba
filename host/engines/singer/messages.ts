/**
 * Singer messages (https://hub.meltano.com/singer/spec): one JSON object per stdout line. Parsing is
 * strict about what the spec requires (a `type`, a `stream` on stream messages, an object `record`
 * and `value`) and lenient about extra keys, which taps add freely (`time_extracted`, `version`).
 * Every error names the line, since that is what a tap author can look up.
 */
import { DativoError } from '../../errors.js';

export interface SchemaMessage {
  type: 'SCHEMA';
  stream: string;
  schema: Record<string, unknown>;
  keyProperties: string[];
  bookmarkProperties: string[];
}

export interface RecordMessage {
  type: 'RECORD';
  stream: string;
  record: Record<string, unknown>;
}

export interface StateMessage {
  type: 'STATE';
  value: Record<string, unknown>;
}

export interface ActivateVersionMessage {
  type: 'ACTIVATE_VERSION';
  stream: string;
  version: number;
}

/** BATCH and any future type: passed over with a debug log, as the spec asks of unknown types. */
export interface OtherMessage {
  type: 'OTHER';
  name: string;
}

export type SingerMessage =
  | SchemaMessage
  | RecordMessage
  | StateMessage
  | ActivateVersionMessage
  | OtherMessage;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** A short, single-line excerpt of a bad line for the error message (never the whole record). */
export function excerpt(text: string, max = 120): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

export function malformed(label: string, line: number, why: string, text?: string): DativoError {
  return new DativoError(
    'SOURCE_PROTOCOL',
    `${label}: line ${line} is not a valid Singer message: ${why}${text === undefined ? '' : ` (${excerpt(text)})`}`,
    { location: { row: line }, details: { line } },
  );
}

/** Parses one stdout line. `label` names the tap in errors, e.g. "singer tap dativo-test/singer-tap". */
export function parseMessage(text: string, line: number, label: string): SingerMessage {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw malformed(label, line, `invalid JSON (${(err as Error).message})`, text);
  }
  if (!isObject(v)) throw malformed(label, line, 'expected a JSON object', text);
  const type = v.type;
  if (typeof type !== 'string') throw malformed(label, line, 'no "type"', text);
  const needStream = (): string => {
    if (typeof v.stream !== 'string' || v.stream === '')
      throw malformed(label, line, `${type} without a "stream"`, text);
    return v.stream;
  };
  switch (type) {
    case 'RECORD': {
      const stream = needStream();
      if (!isObject(v.record)) throw malformed(label, line, 'RECORD without an object "record"', text);
      return { type, stream, record: v.record };
    }
    case 'SCHEMA': {
      const stream = needStream();
      if (!isObject(v.schema)) throw malformed(label, line, 'SCHEMA without an object "schema"', text);
      return {
        type,
        stream,
        schema: v.schema,
        keyProperties: strings(v.key_properties),
        bookmarkProperties: strings(v.bookmark_properties),
      };
    }
    case 'STATE':
      if (!isObject(v.value)) throw malformed(label, line, 'STATE without an object "value"', text);
      return { type, value: v.value };
    case 'ACTIVATE_VERSION': {
      const stream = needStream();
      if (typeof v.version !== 'number')
        throw malformed(label, line, 'ACTIVATE_VERSION without a numeric "version"', text);
      return { type, stream, version: v.version };
    }
    default:
      return { type: 'OTHER', name: type };
  }
}
