/**
 * What an Airbyte job asks for, read once from the resolved job: the image (and its pin), the
 * container limits and network grant, the connector config (credentials go only there), and the
 * one stream this job reads with its sync mode and cursor.
 */
import type { ResolvedJob } from '../../config/types.js';
import { DativoError } from '../../errors.js';
import type { ContainerLimits, NetworkMode, PullPolicy } from '../docker/index.js';
import type { AirbyteStream } from './messages.js';

export interface AirbyteSettings {
  image: string;
  imageKeyPath: string;
  digest?: string;
  pull: PullPolicy;
  network: NetworkMode;
  limits: Partial<ContainerLimits>;
  user?: string;
  stopGraceMs: number;
  maxLineBytes?: number;
  /** The stream this job reads. */
  stream: string;
  incremental: boolean;
  cursorField?: string;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** "512m", "2g", "1024" (MB) → MB. */
function memoryMb(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(v.trim()) : null;
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  return unit === 'g' ? n * 1024 : unit === 'k' ? n / 1024 : n;
}

export function airbyteSettings(job: ResolvedJob): AirbyteSettings {
  const o = job.source.options;
  const image = str(o.docker_image) ?? str(o.image);
  if (!image) {
    throw new DativoError(
      'CONFIG_INVALID',
      `source ${job.source.type} runs on the airbyte engine but no docker_image is set (source.engine.options.airbyte.docker_image)`,
      { location: job.locate('source') },
    );
  }
  const network = o.network === 'host' || o.allow_network === true ? 'host' : 'none';
  if (o.network !== undefined && o.network !== 'host' && o.network !== 'none') {
    throw new DativoError(
      'CONFIG_INVALID',
      `airbyte network must be "none" or "host", not ${JSON.stringify(o.network)}`,
      {
        location: job.locate('source.engine.options'),
      },
    );
  }
  // The original's plugins.sandbox limits are an upper bound.
  const sandboxMb = memoryMb(job.sandbox?.memoryLimit);
  const wantMb = memoryMb(o.memory_mb ?? o.memory) ?? 1024;
  const limits: Partial<ContainerLimits> = {
    memoryMb: sandboxMb ? Math.min(wantMb, sandboxMb) : wantMb,
    cpus: Math.min(num(o.cpus) ?? 1, job.sandbox?.cpuLimit ?? Number.POSITIVE_INFINITY),
    pids: num(o.pids) ?? 256,
  };
  if (job.sandbox?.networkDisabled === true && network === 'host') {
    throw new DativoError(
      'PLUGIN_DENIED',
      'the job grants the connector network access but plugins.sandbox.network_disabled is true',
      {
        location: job.locate('source.engine.options'),
      },
    );
  }
  const objects = job.source.objects;
  if (objects.length > 1) {
    throw new DativoError(
      'CONFIG_INVALID',
      `one job reads one Airbyte stream, but source.objects lists ${objects.length} (${objects.join(', ')}); ` +
        'run one job per stream or use source.streams: {stream: asset_path}',
      { location: job.locate('source.objects') },
    );
  }
  const defaults = Array.isArray(o.streams_default) ? (o.streams_default as unknown[]).map(String) : [];
  // The original's `source.streams` list (objects wins); the map form is expanded by run-streams.ts.
  const listed = Array.isArray(job.source.config.streams)
    ? (job.source.config.streams as unknown[]).map(String)
    : [];
  if (objects.length === 0 && listed.length > 1) {
    throw new DativoError(
      'CONFIG_INVALID',
      `one job reads one Airbyte stream, but source.streams lists ${listed.length} (${listed.join(', ')}); ` +
        'map each stream to its contract instead: source.streams: {stream: asset_path}',
      { location: job.locate('source.streams') },
    );
  }
  const stream = objects[0] ?? listed[0] ?? job.contract.object ?? defaults[0];
  if (!stream) {
    throw new DativoError('CONFIG_INVALID', 'which Airbyte stream to read: set source.objects: [<stream>]', {
      location: job.locate('source'),
    });
  }
  return {
    image,
    imageKeyPath: 'source.engine.options.airbyte.docker_image',
    digest: str(o.docker_image_digest) ?? str(o.image_digest),
    pull: o.pull === 'never' ? 'never' : 'missing',
    network,
    limits,
    user: str(o.user),
    stopGraceMs: (num(o.stop_grace_seconds) ?? 10) * 1000,
    maxLineBytes: num(o.max_line_bytes),
    stream,
    incremental: job.source.incremental !== undefined,
    cursorField: job.source.incremental?.cursorField ?? undefined,
  };
}

/** The connector's config.json: credentials, start date, connection, then explicit options.config. */
export function connectorConfig(job: ResolvedJob): Record<string, unknown> {
  const o = job.source.options;
  const conn = job.source.config.connection;
  const start = str(o.start_date) ?? str(o.start_date_default);
  return {
    ...job.source.credentials,
    ...(start ? { start_date: start.length === 10 ? `${start}T00:00:00Z` : start } : {}),
    ...(conn && typeof conn === 'object' ? (conn as Record<string, unknown>) : {}),
    ...(o.config && typeof o.config === 'object' ? (o.config as Record<string, unknown>) : {}),
  };
}

/** The configured catalog selecting `s.stream` from the discovered streams. */
export function configuredCatalog(job: ResolvedJob, s: AirbyteSettings, streams: AirbyteStream[]): unknown {
  const stream = streams.find((x) => x.name === s.stream);
  if (!stream) {
    throw new DativoError(
      'CONFIG_INVALID',
      `the connector ${s.image} has no stream "${s.stream}"; it offers: ${streams.map((x) => x.name).join(', ') || 'none'}`,
      { location: job.locate(job.source.objects.length > 0 ? 'source.objects' : 'source') },
    );
  }
  const modes = stream.supported_sync_modes ?? ['full_refresh'];
  const incremental = s.incremental && modes.includes('incremental');
  const cursor = s.cursorField ? [s.cursorField] : stream.default_cursor_field;
  return {
    streams: [
      {
        stream,
        sync_mode: incremental ? 'incremental' : 'full_refresh',
        ...(incremental && cursor ? { cursor_field: cursor } : {}),
        ...(stream.source_defined_primary_key ? { primary_key: stream.source_defined_primary_key } : {}),
        destination_sync_mode: 'append',
      },
    ],
  };
}
