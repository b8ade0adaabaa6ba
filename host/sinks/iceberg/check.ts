/**
 * `dativo check` for an Iceberg target, without writing data: the catalog answers for the job's
 * table (REST: the catalog URI; filesystem: the warehouse), and the object store that holds the
 * table's files is reachable (an existing table: its location; a new one: the target's bucket or
 * warehouse folder). Each failure names what did not answer, never credentials.
 */
import { access, constants, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DativoError } from '../../errors.js';
import type { CheckResult } from '../../sources/source.js';
import { s3TargetOptions } from '../s3/connection.js';
import { type IcebergTarget, type IcebergTargetJob, openIcebergTarget, restCatalogOf } from './target.js';

const reason = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function failed(message: string, errorCode = 'CONNECTION_FAILED'): CheckResult {
  return { status: 'failed', message, errorCode, retryable: errorCode === 'CONNECTION_FAILED' };
}

/** A local warehouse folder must exist (or be creatable) and be writable. */
async function checkLocalDir(dir: string): Promise<string | undefined> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    return undefined;
  } catch (e) {
    return `warehouse folder ${dir} is not writable: ${reason(e)}`;
  }
}

/** The storage a new table of a REST catalog would use: the target's S3 bucket, if it names one. */
function newTableStorage(job: IcebergTargetJob, t: IcebergTarget): string | undefined {
  try {
    const { store } = s3TargetOptions(job);
    return `s3://${store.bucket}`;
  } catch {
    return t.location.startsWith('file:') ? t.location : undefined;
  }
}

async function probeStore(t: IcebergTarget, location: string): Promise<string | undefined> {
  if (location.startsWith('file:')) return checkLocalDir(fileURLToPath(location));
  try {
    const { store, tableKey } = t.ioFor(location);
    await store.list(tableKey ? `${tableKey}/` : '');
    return undefined;
  } catch (e) {
    return `object store ${location} is not reachable: ${reason(e)}`;
  }
}

export async function checkIcebergTarget(job: IcebergTargetJob): Promise<CheckResult> {
  let t: IcebergTarget;
  try {
    // Two attempts: a check answers in seconds, it does not ride out an outage like a run does.
    t = openIcebergTarget(job, { store: { maxAttempts: 2 } });
  } catch (e) {
    return failed(reason(e), e instanceof DativoError ? e.code : 'CONFIG_INVALID');
  }
  const table = [...t.ident.namespace, t.ident.name].join('.');
  const rest = restCatalogOf(job);
  const catalogName = rest ? `catalog ${rest.uri}` : `warehouse ${t.location}`;
  try {
    if (t.location.startsWith('file:')) {
      const problem = await checkLocalDir(fileURLToPath(t.location));
      if (problem) return failed(problem, 'WRITE_FAILED');
    }
    let loaded: Awaited<ReturnType<IcebergTarget['catalog']['loadTable']>>;
    try {
      loaded = await t.catalog.loadTable(t.ident);
    } catch (e) {
      return failed(`${catalogName} is not reachable: ${reason(e)}`);
    }
    const storage = loaded ? loaded.metadata.location : rest ? newTableStorage(job, t) : undefined;
    if (storage) {
      const problem = await probeStore(t, storage);
      if (problem) return failed(problem);
    }
    const state = loaded ? 'exists' : 'will be created on the first run';
    const where = storage && storage !== t.location ? `, files in ${storage}` : '';
    return { status: 'success', message: `${catalogName} answers; table ${table} ${state}${where}` };
  } finally {
    t.close();
  }
}
