/** `dativo check` for targets: can we write where the job points, without writing data? */
import { access, constants, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedJob } from '../config/types.js';
import type { CheckResult } from '../sources/source.js';

async function checkLocal(dir: string): Promise<CheckResult> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    return { status: 'success', message: `${dir} is writable` };
  } catch (err) {
    return {
      status: 'failed',
      message: `${dir} is not writable: ${(err as Error).message}`,
      errorCode: 'WRITE_FAILED',
    };
  }
}

export async function checkTarget(job: ResolvedJob): Promise<CheckResult> {
  if (job.target.type === 'local') {
    const p = job.target.connection.path;
    return checkLocal(path.resolve(typeof p === 'string' ? p : 'output'));
  }
  if (job.target.type === 's3' || job.target.type === 'minio')
    return (await import('./s3/index.js')).checkS3Target(job);
  return { status: 'skipped', message: `no check for target ${job.target.type} yet` };
}
