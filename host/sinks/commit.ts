/**
 * The commit protocol of architecture §6, over any ObjectStore: stage under non-final names,
 * write a durable record with a conditional create, publish, mark done. Recovery rolls a recorded
 * commit forward and deletes unrecorded staging, for one job only. Nothing here knows whether the
 * store is a directory or a bucket.
 */
import { DativoError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { keys } from './layout.js';
import type { CommitRecord, RecoveryReport, StagedFile } from './sink.js';
import { deletePrefix, type ObjectStore, PreconditionFailed } from './store/object-store.js';

export interface StagingMarker {
  version: 1;
  runId: string;
  job: string;
  tenant: string;
  startedAt: string;
}

export interface JobIdentity {
  job: string;
  tenant: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const json = (v: unknown): Uint8Array => enc.encode(`${JSON.stringify(v, null, 2)}\n`);

/**
 * The start of a run on a store, for every sink that stages through this protocol: recover this
 * job's earlier runs, then mark the new run's staging as ours.
 */
export async function beginRun(
  store: ObjectStore,
  run: { runId: string; job: string; tenant: string; logger?: Logger },
  startedAt: Date,
): Promise<RecoveryReport> {
  const report = await recover(
    store,
    { job: run.job, tenant: run.tenant },
    { currentRunId: run.runId, ...(run.logger ? { logger: run.logger } : {}) },
  );
  await writeStagingMarker(store, {
    version: 1,
    runId: run.runId,
    job: run.job,
    tenant: run.tenant,
    startedAt: startedAt.toISOString(),
  });
  return report;
}

/** Written before any staged file, so recovery knows whose staging a directory is. */
export async function writeStagingMarker(store: ObjectStore, marker: StagingMarker): Promise<void> {
  await store.putBytes(keys.stagingMarker(marker.runId), json(marker));
}

/** Step 1 of commit: the durable, conditionally created record (status `pending`). */
export async function writeCommitRecord(store: ObjectStore, record: CommitRecord): Promise<void> {
  try {
    await store.putBytes(keys.commitRecord(record.runId), json(record), { ifNoneMatch: true });
  } catch (e) {
    if (e instanceof PreconditionFailed) {
      throw new DativoError(
        'COMMIT_FAILED',
        `a commit record for run ${record.runId} already exists in ${store.location}`,
        {
          cause: e,
          details: { key: e.key },
        },
      );
    }
    throw e;
  }
}

export async function readCommitRecord(store: ObjectStore, runId: string): Promise<CommitRecord | undefined> {
  return parseRecord(store, keys.commitRecord(runId));
}

/**
 * Steps 2 and 3: publish every file and the rejects, mark the record done, drop the staging.
 * Idempotent, so recovery can call it again after a crash at any point: a file whose staging copy
 * is gone and whose final key exists was published before.
 */
export async function completeCommit(
  store: ObjectStore,
  record: CommitRecord,
  hooks: { afterFirstPublish?: () => void } = {},
): Promise<CommitRecord> {
  let first = true;
  for (const f of record.files) {
    await publishIdempotent(store, f.stagingKey, f.key, record.runId, f.attributes);
    if (first) hooks.afterFirstPublish?.();
    first = false;
  }
  if (record.rejectsKey)
    await publishIdempotent(store, keys.stagingRejects(record.runId), record.rejectsKey, record.runId);
  // Full refresh: the replaced data goes only once the new data is in place (delete is idempotent).
  for (const key of record.replaces?.keys ?? []) await store.delete(key);
  for (const runId of record.replaces?.runIds ?? []) await store.delete(keys.commitRecord(runId));
  const done: CommitRecord = { ...record, status: 'done' };
  await store.putBytes(keys.commitRecord(record.runId), json(done));
  await deleteStaging(store, record.runId);
  return done;
}

async function publishIdempotent(
  store: ObjectStore,
  stagingKey: string,
  key: string,
  runId: string,
  attrs?: StagedFile['attributes'],
): Promise<void> {
  if (await store.exists(stagingKey)) {
    await store.publish(stagingKey, key, attrs);
    return;
  }
  if (await store.exists(key)) return; // published by an earlier attempt
  throw new DativoError(
    'COMMIT_FAILED',
    `run ${runId} recorded ${key} but neither it nor its staged copy ${stagingKey} exists in ${store.location}`,
    { details: { runId, key, stagingKey } },
  );
}

/**
 * Recovery at start, for this job only: roll forward its pending records, delete its staging
 * that no record covers, and return its latest done record (the source of truth for state).
 * Staging without a marker, or another job's, is left alone.
 */
export async function recover(
  store: ObjectStore,
  who: JobIdentity,
  opts: { currentRunId?: string; logger?: Logger } = {},
): Promise<RecoveryReport> {
  const report: RecoveryReport = { rolledForward: [], cleaned: [] };
  const mine = (r: { job: string; tenant: string }): boolean => r.job === who.job && r.tenant === who.tenant;

  const records: CommitRecord[] = [];
  for (const key of await store.list(keys.commitsPrefix)) {
    if (!key.endsWith('.json')) continue;
    const r = await parseRecord(store, key);
    if (r && mine(r)) records.push(r);
  }
  const recorded = new Map(records.map((r) => [r.runId, r]));

  for (const r of records) {
    if (r.status !== 'pending') continue;
    opts.logger?.warn({ runId: r.runId, files: r.files.length }, 'rolling forward an interrupted commit');
    recorded.set(r.runId, await completeCommit(store, r));
    report.rolledForward.push(r.runId);
  }

  for (const runId of await stagingRuns(store)) {
    if (runId === opts.currentRunId) continue;
    const marker = await readMarker(store, runId);
    if (!marker || !mine(marker)) continue;
    // Staging of a done record is a leftover of a crash after "done": already published.
    await deleteStaging(store, runId);
    if (!recorded.has(runId)) {
      opts.logger?.warn({ runId }, 'deleted the staging of an uncommitted run');
      report.cleaned.push(runId);
    }
  }

  const done = [...recorded.values()]
    .filter((r) => r.status === 'done')
    .sort((a, b) => cmp(a.runId, b.runId));
  const latest = done[done.length - 1];
  if (latest) report.latest = latest;
  return report;
}

/** What a full refresh replaces: every done commit of this job, with its data and rejects keys. */
export async function replacedBy(store: ObjectStore, who: JobIdentity): Promise<CommitRecord['replaces']> {
  const runIds: string[] = [];
  const replaced: string[] = [];
  for (const key of await store.list(keys.commitsPrefix)) {
    if (!key.endsWith('.json')) continue;
    const r = await parseRecord(store, key);
    if (!r || r.job !== who.job || r.tenant !== who.tenant || r.status !== 'done') continue;
    runIds.push(r.runId);
    replaced.push(...r.files.map((f) => f.key), ...(r.rejectsKey ? [r.rejectsKey] : []));
  }
  return { runIds, keys: replaced };
}

/** Delete a run's staging unless a record covers it (then recovery must roll it forward). */
export async function dropStaging(store: ObjectStore, runId: string): Promise<boolean> {
  if (await store.exists(keys.commitRecord(runId))) return false;
  await deleteStaging(store, runId);
  return true;
}

/** A run's staged objects and, on stores that have them, its unfinished uploads (a crash mid-file). */
async function deleteStaging(store: ObjectStore, runId: string): Promise<void> {
  await store.abortUploads?.(keys.stagingPrefix(runId));
  await deletePrefix(store, keys.stagingPrefix(runId));
}

async function stagingRuns(store: ObjectStore): Promise<string[]> {
  const runs = new Set<string>();
  for (const key of await store.list(keys.stagingRoot)) {
    const runId = key.slice(keys.stagingRoot.length).split('/')[0];
    if (runId) runs.add(runId);
  }
  return [...runs].sort();
}

async function readMarker(store: ObjectStore, runId: string): Promise<StagingMarker | undefined> {
  const bytes = await store.get(keys.stagingMarker(runId));
  if (!bytes) return undefined;
  try {
    return JSON.parse(dec.decode(bytes)) as StagingMarker;
  } catch {
    return undefined; // a torn marker cannot be attributed: leave it alone
  }
}

async function parseRecord(store: ObjectStore, key: string): Promise<CommitRecord | undefined> {
  const bytes = await store.get(key);
  if (!bytes) return undefined;
  try {
    return JSON.parse(dec.decode(bytes)) as CommitRecord;
  } catch (e) {
    throw new DativoError('STATE_CORRUPT', `commit record ${key} in ${store.location} is not valid JSON`, {
      cause: e,
    });
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
