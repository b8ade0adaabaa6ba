/**
 * OpenLineage run events (spec 2-0-2, https://openlineage.io/spec/2-0-2/OpenLineage.json): one
 * START when a run begins and one COMPLETE or FAIL when it ends, POSTed as JSON to the configured
 * endpoint (Marquez: `http://host:5000/api/v1/lineage`), the way dlt, Airbyte and Meltano report
 * lineage. Both events carry the same run UUID, the job (`<tenant>.<job>` in the namespace
 * `$DATIVO_OPENLINEAGE_NAMESPACE`, default `dativo`) and its datasets named by the OpenLineage
 * naming conventions: local files `file` + absolute path, S3 `s3://bucket` + key prefix, anything
 * else `<connector>://<tenant>` + object. The output carries row and byte counts on COMPLETE.
 * Delivery retries like the notification webhooks; a lineage endpoint that is down never fails
 * the run (a warning is logged).
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { ResolvedJob } from '../config/types.js';
import { targetLocation } from '../connectors/index.js';
import type { Logger } from '../observability/logger.js';
import type { RunReport } from '../pipeline/report.js';
import { deliver } from '../store/notify.js';

const SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
const PRODUCER = 'https://github.com/dativo-io/dativo';
const ERROR_FACET =
  'https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet';
const OUTPUT_STATS_FACET =
  'https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet';

export interface Dataset {
  namespace: string;
  name: string;
  outputFacets?: Record<string, unknown>;
}

export interface OpenLineageEvent {
  eventType: 'START' | 'COMPLETE' | 'FAIL';
  eventTime: string;
  run: { runId: string; facets?: Record<string, unknown> };
  job: { namespace: string; name: string };
  inputs: Dataset[];
  outputs: Dataset[];
  producer: string;
  schemaURL: string;
}

/** A location as an OpenLineage dataset: `s3://bucket/prefix`, a local path, or a connector's object. */
export function datasetOf(location: string, fallbackNamespace: string): Dataset {
  const s3 = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (s3) return { namespace: `s3://${s3[1]}`, name: s3[2] || '/' };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    const u = new URL(location);
    return { namespace: `${u.protocol}//${u.host}`, name: u.pathname.replace(/^\//, '') || '/' };
  }
  if (path.isAbsolute(location) || location.startsWith('.'))
    return { namespace: 'file', name: path.resolve(location) };
  return { namespace: fallbackNamespace, name: location };
}

export function inputsOf(job: ResolvedJob): Dataset[] {
  const ns = `${job.source.type}://${job.tenantId}`;
  const files = job.source.files.map((f) => datasetOf(f.path, ns));
  if (files.length > 0) return files;
  const object = job.source.config.object ?? job.source.config.table ?? job.name;
  return [{ namespace: ns, name: String(object) }];
}

export interface LineageRun {
  /** After the job loaded: START. */
  start(job: ResolvedJob): Promise<void>;
  /** COMPLETE, or FAIL for a failed or interrupted run. */
  finish(report: RunReport): Promise<void>;
  /** FAIL of a run that ended without a report after its START (nothing when the job never loaded). */
  failed(err: { code: string; message: string }): Promise<void>;
}

export interface LineageOptions {
  url: string;
  namespace?: string;
  logger: Logger;
  /** Delivery attempts (default 4) and first backoff (default 500 ms). */
  attempts?: number;
  backoffMs?: number;
}

/** The emitter configured by --openlineage / $DATIVO_OPENLINEAGE_URL, or one that does nothing. */
export function lineageRun(opts: LineageOptions | undefined): LineageRun {
  if (!opts) return { async start() {}, async finish() {}, async failed() {} };
  const runId = randomUUID();
  const target = { label: 'openlineage', url: opts.url, events: new Set<never>() };
  const namespace = opts.namespace ?? 'dativo';
  let base: Pick<OpenLineageEvent, 'job' | 'inputs' | 'outputs'> | undefined;
  const send = (eventType: OpenLineageEvent['eventType'], extra: Partial<OpenLineageEvent> = {}) => {
    if (!base) return Promise.resolve();
    const event: OpenLineageEvent = {
      eventType,
      eventTime: new Date().toISOString(),
      run: { runId },
      ...base,
      producer: PRODUCER,
      schemaURL: SCHEMA_URL,
      ...extra,
    };
    return deliver(target, event, `${runId}:${eventType}`, opts).then(() => {});
  };
  const errorFacet = (message: string) => ({
    errorMessage: {
      _producer: PRODUCER,
      _schemaURL: ERROR_FACET,
      message,
      programmingLanguage: 'TypeScript',
    },
  });
  return {
    async start(job) {
      const location = await targetLocation(job);
      base = {
        job: { namespace, name: `${job.tenantId}.${job.name}` },
        inputs: inputsOf(job),
        outputs: [datasetOf(location ?? job.name, `${job.target.type}://${job.tenantId}`)],
      };
      await send('START');
    },
    async finish(report) {
      if (!base) return;
      const failed = report.status === 'failed' || report.status === 'interrupted';
      const error = report.errors[0];
      if (failed) {
        await send('FAIL', {
          run: { runId, facets: errorFacet(error ? `${error.code}: ${error.message}` : report.status) },
        });
        return;
      }
      const stats = {
        _producer: PRODUCER,
        _schemaURL: OUTPUT_STATS_FACET,
        rowCount: report.rows.written,
        size: report.bytes.written,
      };
      await send('COMPLETE', {
        outputs: base.outputs.map((o) => ({ ...o, outputFacets: { outputStatistics: stats } })),
      });
    },
    async failed(err) {
      await send('FAIL', { run: { runId, facets: errorFacet(`${err.code}: ${err.message}`) } });
    },
  };
}
