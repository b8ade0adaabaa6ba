import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DativoError, DativoErrors } from '../../../host/errors.js';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const ORIGINAL = path.join(REPO, 'tests/fixtures/original-configs');
export const BAD = path.join(REPO, 'tests/fixtures/bad-configs');

/** The variables the original fixtures reference (their recipes' connection templates). */
export const ORIGINAL_ENV: Record<string, string> = {
  S3_ENDPOINT: 'http://localhost:9000',
  AWS_ACCESS_KEY_ID: 'AKIATESTKEY',
  AWS_SECRET_ACCESS_KEY: 'aws-secret-value-123',
  AWS_REGION: 'us-east-1',
  MINIO_ENDPOINT: 'http://localhost:9000',
  MINIO_ACCESS_KEY: 'minioadmin',
  MINIO_SECRET_KEY: 'minio-secret-value',
  MINIO_BUCKET: 'test-bucket',
  S3_BUCKET: 'test-bucket',
  API_TOKEN: 'api-token-value',
};

/** A temp folder with the given files (paths relative to it). */
export async function tempTree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-config-'));
  for (const [rel, text] of Object.entries(files)) {
    const full = path.join(dir, rel);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, text);
  }
  return dir;
}

/** Run `fn`, expect a DativoError; return the first error (and all of them). */
export async function catchErr(
  fn: () => Promise<unknown>,
): Promise<{ first: DativoError; all: DativoError[] }> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof DativoErrors) return { first: e.errors[0] as DativoError, all: e.errors };
    if (e instanceof DativoError) return { first: e, all: [e] };
    throw e;
  }
  throw new Error('expected an error, but it loaded');
}

export const PERSON_CONTRACT = `name: person
version: "1.0"
schema:
  - name: id
    type: integer
    required: true
  - name: email
    type: string
    classification: PII
`;
